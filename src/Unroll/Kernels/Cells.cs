using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// The element-wise part of one recurrent time step, for every sequence of the batch: the matrix
/// products are done by <see cref="Blas"/> beforehand (forward) or afterwards (backward). Each row
/// of the batch is one sequence; <c>hidden</c> is the state width H. The equations are PyTorch's
/// (gate orders LSTM i, f, g, o and GRU r, z, n).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Cells
{
    /// <summary>
    /// LSTM step. On entry <paramref name="gates"/> <c>[batch, 4H]</c> holds the pre-activations
    /// <c>W_ih x + b_ih + W_hh h + b_hh</c>; on exit the activated gates <c>σ(i), σ(f), tanh(g), σ(o)</c>
    /// (kept for backward). Writes <c>c = f⊙c_prev + i⊙g</c> and <c>h = o⊙tanh(c)</c>.
    /// </summary>
    public static void LstmForward(
        Span<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int hidden)
    {
        int H = hidden;
        if (gates.Length < batch * 4 * H || cPrev.Length < batch * H || c.Length < batch * H || (batch > 0 && h.Length < (batch - 1) * ldh + H))
            throw new ArgumentException($"The spans do not hold {batch} rows of {H} states.");
        if (H == 0) return; // no units: nothing to take a reference to
        for (int b = 0; b < batch; b++)
        {
            // One pass over the hidden units: the four gates of unit j sit H apart. The widest vectors first, then
            // narrower ones for the rest, then single units.
            ref float g = ref gates[b * 4 * H];
            ref float cp = ref Unsafe.AsRef(in cPrev[b * H]);
            ref float cn = ref c[b * H];
            ref float hn = ref h[b * ldh];
            int j = 0;
            if (Vector512.IsHardwareAccelerated) j = LstmUnits<Vector512<float>, W512>(ref g, ref cp, ref cn, ref hn, j, H);
            if (Vector256.IsHardwareAccelerated) j = LstmUnits<Vector256<float>, W256>(ref g, ref cp, ref cn, ref hn, j, H);
            if (Vector128.IsHardwareAccelerated) j = LstmUnits<Vector128<float>, W128>(ref g, ref cp, ref cn, ref hn, j, H);
            LstmUnits<float, W1>(ref g, ref cp, ref cn, ref hn, j, H);
        }
    }

    /// <summary><see cref="LstmForward"/> for units <paramref name="j"/> on, a whole vector at a time; returns the first unit left.</summary>
    private static int LstmUnits<TVector, TWidth>(ref float g, ref float cp, ref float cn, ref float hn, int j, int H)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        for (; j + TWidth.Count <= H; j += TWidth.Count)
        {
            nuint u = (nuint)j, h = (nuint)H;
            TVector i = Activations.Sigmoid<TVector, TWidth>(TWidth.Load(ref g, u));
            TVector f = Activations.Sigmoid<TVector, TWidth>(TWidth.Load(ref g, h + u));
            TVector gg = Activations.Tanh<TVector, TWidth>(TWidth.Load(ref g, 2 * h + u));
            TVector o = Activations.Sigmoid<TVector, TWidth>(TWidth.Load(ref g, 3 * h + u));
            TVector cj = TWidth.Add(TWidth.Multiply(f, TWidth.Load(ref cp, u)), TWidth.Multiply(i, gg));
            TWidth.Store(i, ref g, u);
            TWidth.Store(f, ref g, h + u);
            TWidth.Store(gg, ref g, 2 * h + u);
            TWidth.Store(o, ref g, 3 * h + u);
            TWidth.Store(cj, ref cn, u);
            TWidth.Store(TWidth.Multiply(o, Activations.Tanh<TVector, TWidth>(cj)), ref hn, u);
        }
        return j;
    }

    /// <summary>
    /// LSTM step backward. <paramref name="dhOut"/> is the gradient arriving at <c>h</c> from the
    /// layer above (row stride <paramref name="lddh"/>), <paramref name="dhNext"/> <c>[batch, H]</c>
    /// the one from the next step (set to zero on exit: the caller adds <c>∂gates·W_hh</c>),
    /// <paramref name="dc"/> <c>[batch, H]</c> carries <c>∂c</c> from the next step in and to the
    /// previous step out. Writes the pre-activation gradients <paramref name="dGates"/> <c>[batch, 4H]</c>.
    /// </summary>
    public static void LstmBackward(
        ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c,
        ReadOnlySpan<float> dhOut, int lddh, Span<float> dhNext, Span<float> dc, Span<float> dGates,
        int batch, int hidden)
    {
        int H = hidden;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> g = gates.Slice(b * 4 * H, 4 * H);
            ReadOnlySpan<float> i = g.Slice(0, H), f = g.Slice(H, H), gg = g.Slice(2 * H, H), o = g.Slice(3 * H, H);
            Span<float> d = dGates.Slice(b * 4 * H, 4 * H);
            Span<float> di = d.Slice(0, H), df = d.Slice(H, H), dg = d.Slice(2 * H, H), dO = d.Slice(3 * H, H);
            Span<float> dcRow = dc.Slice(b * H, H);
            Span<float> dhNextRow = dhNext.Slice(b * H, H);

            // dh = ∂h from above + ∂h from the next step (held in dO for now); tc = tanh(c) (in dg).
            TensorPrimitives.Add(dhOut.Slice(b * lddh, H), dhNextRow, dO);
            dhNextRow.Clear();
            TensorPrimitives.Tanh(c.Slice(b * H, H), dg);

            // dc += dh ⊙ o ⊙ (1 − tc²)   (di as scratch)
            TensorPrimitives.Multiply(dg, dg, di);
            TensorPrimitives.Subtract(1f, di, di);
            TensorPrimitives.Multiply(di, o, di);
            TensorPrimitives.MultiplyAdd(di, dO, dcRow, dcRow);

            // do = dh ⊙ tc ⊙ o(1 − o)   (df as scratch)
            TensorPrimitives.Multiply(dO, dg, dO);
            TensorPrimitives.Subtract(1f, o, df);
            TensorPrimitives.Multiply(df, o, df);
            TensorPrimitives.Multiply(dO, df, dO);

            // di = dc ⊙ g ⊙ i(1 − i)
            TensorPrimitives.Subtract(1f, i, di);
            TensorPrimitives.Multiply(di, i, di);
            TensorPrimitives.Multiply(di, gg, di);
            TensorPrimitives.Multiply(di, dcRow, di);

            // df = dc ⊙ c_prev ⊙ f(1 − f)
            TensorPrimitives.Subtract(1f, f, df);
            TensorPrimitives.Multiply(df, f, df);
            TensorPrimitives.Multiply(df, cPrev.Slice(b * H, H), df);
            TensorPrimitives.Multiply(df, dcRow, df);

            // dg = dc ⊙ i ⊙ (1 − g²)
            TensorPrimitives.Multiply(gg, gg, dg);
            TensorPrimitives.Subtract(1f, dg, dg);
            TensorPrimitives.Multiply(dg, i, dg);
            TensorPrimitives.Multiply(dg, dcRow, dg);

            // ∂c_prev = dc ⊙ f
            TensorPrimitives.Multiply(dcRow, f, dcRow);
        }
    }

    /// <summary>
    /// GRU step. <paramref name="cache"/> <c>[batch, 4H]</c> holds <c>W_ih x + b_ih</c> in its first
    /// 3H columns on entry; <paramref name="gh"/> <c>[batch, 3H]</c> is <c>W_hh h_prev + b_hh</c>.
    /// On exit the cache holds <c>r, z, n</c> and <c>W_hn h_prev + b_hn</c> (for backward), and
    /// <c>h = (1 − z)⊙n + z⊙h_prev</c> is written to <paramref name="h"/>.
    /// </summary>
    public static void GruForward(
        Span<float> cache, ReadOnlySpan<float> gh, ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh,
        int batch, int hidden)
    {
        int H = hidden;
        if (cache.Length < batch * 4 * H || gh.Length < batch * 3 * H || (batch > 0 && (hPrev.Length < (batch - 1) * ldhPrev + H || h.Length < (batch - 1) * ldh + H)))
            throw new ArgumentException($"The spans do not hold {batch} rows of {H} states.");
        if (H == 0) return; // no units: nothing to take a reference to
        for (int b = 0; b < batch; b++)
        {
            // One pass over the hidden units: r, z, n of unit j sit H apart in the cache and in gh.
            ref float row = ref cache[b * 4 * H];
            ref float g = ref Unsafe.AsRef(in gh[b * 3 * H]);
            ref float hp = ref Unsafe.AsRef(in hPrev[b * ldhPrev]);
            ref float hn = ref h[b * ldh];
            int j = 0;
            if (Vector512.IsHardwareAccelerated) j = GruUnits<Vector512<float>, W512>(ref row, ref g, ref hp, ref hn, j, H);
            if (Vector256.IsHardwareAccelerated) j = GruUnits<Vector256<float>, W256>(ref row, ref g, ref hp, ref hn, j, H);
            if (Vector128.IsHardwareAccelerated) j = GruUnits<Vector128<float>, W128>(ref row, ref g, ref hp, ref hn, j, H);
            GruUnits<float, W1>(ref row, ref g, ref hp, ref hn, j, H);
        }
    }

    /// <summary><see cref="GruForward"/> for units <paramref name="j"/> on, a whole vector at a time; returns the first unit left.</summary>
    private static int GruUnits<TVector, TWidth>(ref float row, ref float g, ref float hp, ref float hn, int j, int H)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        for (; j + TWidth.Count <= H; j += TWidth.Count)
        {
            nuint u = (nuint)j, h = (nuint)H;
            TVector r = Activations.Sigmoid<TVector, TWidth>(TWidth.Add(TWidth.Load(ref row, u), TWidth.Load(ref g, u)));
            TVector z = Activations.Sigmoid<TVector, TWidth>(TWidth.Add(TWidth.Load(ref row, h + u), TWidth.Load(ref g, h + u)));
            TVector ghn = TWidth.Load(ref g, 2 * h + u);
            TVector n = Activations.Tanh<TVector, TWidth>(TWidth.Add(TWidth.Load(ref row, 2 * h + u), TWidth.Multiply(r, ghn)));
            TWidth.Store(r, ref row, u);
            TWidth.Store(z, ref row, h + u);
            TWidth.Store(n, ref row, 2 * h + u);
            TWidth.Store(ghn, ref row, 3 * h + u);
            TWidth.Store(TWidth.Add(n, TWidth.Multiply(z, TWidth.Subtract(TWidth.Load(ref hp, u), n))), ref hn, u);
        }
        return j;
    }

    /// <summary>
    /// GRU step backward. Reads the cache written by <see cref="GruForward"/>, the gradient from
    /// above <paramref name="dhOut"/> and from the next step <paramref name="dhNext"/>. Writes the
    /// pre-activation gradients of the input projection <paramref name="dGx"/> <c>[batch, 3H]</c> and
    /// of the recurrent projection <paramref name="dGh"/> <c>[batch, 3H]</c>, and leaves the direct
    /// part <c>dh ⊙ z</c> of <c>∂h_prev</c> in <paramref name="dhNext"/> (the caller adds <c>∂gh·W_hh</c>).
    /// </summary>
    public static void GruBackward(
        ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev, int ldhPrev, ReadOnlySpan<float> dhOut, int lddh,
        Span<float> dhNext, Span<float> dGx, Span<float> dGh, int batch, int hidden)
    {
        int H = hidden;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = cache.Slice(b * 4 * H, 4 * H);
            ReadOnlySpan<float> r = row.Slice(0, H), z = row.Slice(H, H), n = row.Slice(2 * H, H), ghn = row.Slice(3 * H, H);
            Span<float> gx = dGx.Slice(b * 3 * H, 3 * H), gh = dGh.Slice(b * 3 * H, 3 * H);
            Span<float> dr = gx.Slice(0, H), dz = gx.Slice(H, H), dn = gx.Slice(2 * H, H);
            Span<float> dh = gh.Slice(2 * H, H), scratch = gh.Slice(H, H);
            Span<float> dhNextRow = dhNext.Slice(b * H, H);

            // dh = ∂h from above + ∂h from the next step (held in the n column of dGh for now).
            TensorPrimitives.Add(dhOut.Slice(b * lddh, H), dhNextRow, dh);

            // dz = dh ⊙ (h_prev − n) ⊙ z(1 − z)
            TensorPrimitives.Subtract(hPrev.Slice(b * ldhPrev, H), n, dz);
            TensorPrimitives.Multiply(dz, dh, dz);
            TensorPrimitives.Subtract(1f, z, scratch);
            TensorPrimitives.Multiply(scratch, z, scratch);
            TensorPrimitives.Multiply(dz, scratch, dz);

            // direct part of ∂h_prev: dh ⊙ z
            TensorPrimitives.Multiply(dh, z, dhNextRow);

            // dn = dh ⊙ (1 − z) ⊙ (1 − n²)
            TensorPrimitives.Multiply(n, n, dn);
            TensorPrimitives.Subtract(1f, dn, dn);
            TensorPrimitives.Multiply(dn, dh, dn);
            TensorPrimitives.Subtract(1f, z, scratch);
            TensorPrimitives.Multiply(dn, scratch, dn);

            // dr = dn ⊙ ghn ⊙ r(1 − r)
            TensorPrimitives.Subtract(1f, r, dr);
            TensorPrimitives.Multiply(dr, r, dr);
            TensorPrimitives.Multiply(dr, ghn, dr);
            TensorPrimitives.Multiply(dr, dn, dr);

            // recurrent side: [dr, dz, dn ⊙ r]
            gx.Slice(0, 2 * H).CopyTo(gh.Slice(0, 2 * H));
            TensorPrimitives.Multiply(dn, r, gh.Slice(2 * H, H));
        }
    }

    /// <summary>
    /// Elman step. <paramref name="pre"/> <c>[batch, H]</c> holds the pre-activations; writes
    /// <c>h = tanh(pre)</c> or <c>relu(pre)</c> to <paramref name="h"/>.
    /// </summary>
    public static void RnnForward(ReadOnlySpan<float> pre, Span<float> h, int ldh, int batch, int hidden, Nonlinearity nonlinearity)
    {
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> p = pre.Slice(b * hidden, hidden);
            Span<float> hRow = h.Slice(b * ldh, hidden);
            if (nonlinearity == Nonlinearity.Tanh) TensorPrimitives.Tanh(p, hRow);
            else TensorPrimitives.Max(p, 0f, hRow);
        }
    }

    /// <summary>
    /// Elman step backward: <c>∂pre = (∂h from above + ∂h from the next step) ⊙ act'(h)</c>, with
    /// <c>tanh' = 1 − h²</c> and <c>relu' = [h &gt; 0]</c>. Clears <paramref name="dhNext"/> (the caller adds <c>∂pre·W_hh</c>).
    /// </summary>
    public static void RnnBackward(
        ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dhOut, int lddh, Span<float> dhNext, Span<float> dPre,
        int batch, int hidden, Nonlinearity nonlinearity)
    {
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> hRow = h.Slice(b * ldh, hidden);
            Span<float> d = dPre.Slice(b * hidden, hidden);
            Span<float> dhNextRow = dhNext.Slice(b * hidden, hidden);
            TensorPrimitives.Add(dhOut.Slice(b * lddh, hidden), dhNextRow, d);
            dhNextRow.Clear();
            if (nonlinearity == Nonlinearity.Tanh)
            {
                // d ⊙ (1 − h²), with the cleared dhNext row as scratch
                TensorPrimitives.Multiply(hRow, hRow, dhNextRow);
                TensorPrimitives.Subtract(1f, dhNextRow, dhNextRow);
                TensorPrimitives.Multiply(d, dhNextRow, d);
                dhNextRow.Clear();
            }
            else
            {
                MaskWherePositive(hRow, d);
            }
        }
    }

    /// <summary><c>d[i] = h[i] &gt; 0 ? d[i] : 0</c>, vectorised.</summary>
    private static void MaskWherePositive(ReadOnlySpan<float> h, Span<float> d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= h.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(h.Slice(i)), Vector512<float>.Zero);
                (Vector512.Create((ReadOnlySpan<float>)d.Slice(i)) & mask).CopyTo(d.Slice(i));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= h.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(h.Slice(i)), Vector256<float>.Zero);
                (Vector256.Create((ReadOnlySpan<float>)d.Slice(i)) & mask).CopyTo(d.Slice(i));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= h.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var mask = Vector128.GreaterThan(Vector128.Create(h.Slice(i)), Vector128<float>.Zero);
                (Vector128.Create((ReadOnlySpan<float>)d.Slice(i)) & mask).CopyTo(d.Slice(i));
            }
        }
        for (; i < h.Length; i++)
        {
            if (!(h[i] > 0f)) d[i] = 0f;
        }
    }
}
