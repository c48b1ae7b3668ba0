using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// The fused streaming steps: one call per layer computes <c>[x ; h_prev]·[W_ih W_hh]ᵀ + b</c>, the gates and the new
/// state, one vector of hidden units at a time, with the sums in registers. The weights are packed once per change of
/// the parameters (<see cref="PackLstmStep"/>, <see cref="PackGruStep"/>) into blocks of as many units as a vector holds
/// on this machine (16 with AVX-512, 8 with AVX2, 4 with 128-bit vectors, 1 without SIMD; <see cref="Widths.Best"/>):
/// first the block's biases, then one row per input and per state element holding that element's weights into every
/// gate of the block's units side by side, so a step reads its weights once, front to back, each row broadcast
/// against one input. Units past <c>H</c> in the last block have zero weights and are never written. The kernels are
/// written once over the width (<see cref="IWidth{TVector}"/>); the JIT compiles the one this machine runs.
/// </summary>
public static unsafe partial class Cells
{
    /// <summary>
    /// Hidden units per block of the packed step weights at the widest width: one 512-bit vector per gate. The sizes
    /// below count blocks of this many units, which holds the blocks of every narrower width too.
    /// </summary>
    public const int StepBlock = 16;

    /// <summary>Blocks of <paramref name="units"/> units each that hold <paramref name="hidden"/> units.</summary>
    private static int StepBlocks(int hidden, int units) => (hidden + units - 1) / units;

    /// <summary>Floats <see cref="PackLstmStep"/> may write: per block of 16 units, 64 biases and 64 weights per input and state element.</summary>
    public static int LstmStepSize(int input, int hidden) => StepBlocks(hidden, StepBlock) * 4 * StepBlock * (1 + input + hidden);

    /// <summary>Floats <see cref="PackGruStep"/> may write: per block of 16 units, 64 biases (r, z, input-side n, state-side n) and 48 weights per input and state element.</summary>
    public static int GruStepSize(int input, int hidden) => StepBlocks(hidden, StepBlock) * StepBlock * (4 + 3 * (input + hidden));

    /// <summary>
    /// Packs an LSTM layer's <c>W_ih [4H, input]</c>, <c>W_hh [4H, H]</c>, <c>b_ih</c>, <c>b_hh</c> (PyTorch's layouts, gates
    /// i, f, g, o) for <see cref="LstmStep"/>: per block of <see cref="Widths.Best"/> units, <c>b_ih + b_hh</c> then the rows
    /// of <c>[W_ih W_hh]ᵀ</c>, each <c>[i f g o]</c> × the block's units.
    /// </summary>
    public static void PackLstmStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden)
    {
        int H = hidden, K = input + H, units = Widths.Best, stride = 4 * units;
        if (wIh.Length < 4 * H * input || wHh.Length < 4 * H * H || bIh.Length < 4 * H || bHh.Length < 4 * H || packed.Length < LstmStepSize(input, H))
            throw new ArgumentException($"The weights of an LSTM {input} → {H} or their {LstmStepSize(input, H)} packed values do not fit their spans.");
        packed = packed.Slice(0, LstmStepSize(input, H));
        packed.Clear();
        for (int block = 0; block < StepBlocks(H, units); block++)
        {
            Span<float> target = packed.Slice(block * stride * (1 + K));
            for (int gate = 0; gate < 4; gate++)
            {
                for (int e = 0, u = block * units; e < units && u < H; e++, u++)
                {
                    int row = gate * H + u, column = gate * units + e;
                    target[column] = bIh[row] + bHh[row];
                    for (int p = 0; p < input; p++) target[(1 + p) * stride + column] = wIh[row * input + p];
                    for (int p = 0; p < H; p++) target[(1 + input + p) * stride + column] = wHh[row * H + p];
                }
            }
        }
    }

    /// <summary>
    /// Packs a GRU layer's weights (gates r, z, n) for <see cref="GruStep"/>: per block of <see cref="Widths.Best"/> units, the biases
    /// <c>b_ir + b_hr</c>, <c>b_iz + b_hz</c>, <c>b_in</c>, <c>b_hn</c>, then the rows of <c>W_ihᵀ</c> and of <c>W_hhᵀ</c>,
    /// each <c>[r z n]</c> × the block's units (the two sides of <c>n</c> stay apart: <c>r</c> scales the state side only).
    /// </summary>
    public static void PackGruStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden)
    {
        int H = hidden, K = input + H, units = Widths.Best, stride = 3 * units;
        if (wIh.Length < 3 * H * input || wHh.Length < 3 * H * H || bIh.Length < 3 * H || bHh.Length < 3 * H || packed.Length < GruStepSize(input, H))
            throw new ArgumentException($"The weights of a GRU {input} → {H} or their {GruStepSize(input, H)} packed values do not fit their spans.");
        packed = packed.Slice(0, GruStepSize(input, H));
        packed.Clear();
        for (int block = 0; block < StepBlocks(H, units); block++)
        {
            Span<float> target = packed.Slice(block * units * (4 + 3 * K));
            Span<float> rows = target.Slice(4 * units);
            for (int e = 0, u = block * units; e < units && u < H; e++, u++)
            {
                target[e] = bIh[u] + bHh[u];
                target[units + e] = bIh[H + u] + bHh[H + u];
                target[2 * units + e] = bIh[2 * H + u];
                target[3 * units + e] = bHh[2 * H + u];
                for (int gate = 0; gate < 3; gate++)
                {
                    int row = gate * H + u, column = gate * units + e;
                    for (int p = 0; p < input; p++) rows[p * stride + column] = wIh[row * input + p];
                    for (int p = 0; p < H; p++) rows[(input + p) * stride + column] = wHh[row * H + p];
                }
            }
        }
    }

    /// <summary>
    /// One LSTM step for every row of the batch over weights packed by <see cref="PackLstmStep"/>:
    /// <c>c = f⊙c_prev + i⊙g</c> into <paramref name="c"/> <c>[batch, H]</c> and <c>h = o⊙tanh(c)</c> into
    /// <paramref name="h"/> (row stride <paramref name="ldh"/>; it must not overlap <paramref name="hPrev"/>).
    /// </summary>
    public static void LstmStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden)
    {
        int H = hidden;
        if (batch <= 0) return;
        if (x.Length < (batch - 1) * ldx + input || hPrev.Length < (batch - 1) * ldPrev + H || packed.Length < LstmStepSize(input, H)
            || cPrev.Length < batch * H || c.Length < batch * H || h.Length < (batch - 1) * ldh + H)
            throw new ArgumentException($"The spans do not hold {batch} rows of an LSTM {input} → {H} step.");
        int blocks = StepBlocks(H, Widths.Best);
        int parts = Workers.Parts((long)batch * 4 * H * (input + H), blocks, Workers.MemoryBound);
        if (parts > 1) RunSteps(&LstmPart, parts, x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H);
        else LstmBlocks(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H, 0, blocks);
    }

    /// <summary>A share of <see cref="LstmStep"/>'s blocks of units.</summary>
    private static void LstmPart(StepJob* j, int part, int parts)
    {
        (int first, int count) = Workers.Share(StepBlocks(j->Hidden, Widths.Best), 1, part, parts);
        if (count > 0)
            LstmBlocks(j->SpanX, j->Ldx, j->SpanHPrev, j->LdPrev, j->SpanPacked, j->SpanCPrev, j->SpanC, j->SpanH, j->Ldh, j->Batch, j->Input, j->Hidden, first, first + count);
    }

    /// <summary><see cref="LstmStep"/> for the blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) of every row, at this machine's width.</summary>
    private static void LstmBlocks(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
    {
        if (Vector512.IsHardwareAccelerated) LstmBlocks<Vector512<float>, W512>(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, hidden, first, end);
        else if (Vector256.IsHardwareAccelerated) LstmBlocks<Vector256<float>, W256>(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, hidden, first, end);
        else if (Vector128.IsHardwareAccelerated) LstmBlocks<Vector128<float>, W128>(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, hidden, first, end);
        else LstmBlocks<float, W1>(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, hidden, first, end);
    }

    private static void LstmBlocks<TVector, TWidth>(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        int H = hidden, W = TWidth.Count, blockLength = 4 * W * (1 + input + H);
        ref float w0 = ref MemoryMarshal.GetReference(packed);
        for (int b = 0; b < batch; b++)
        {
            ref float xRow = ref Unsafe.AsRef(in x[b * ldx]);
            ref float hRow = ref Unsafe.AsRef(in hPrev[b * ldPrev]);
            for (int block = first; block < end; block++)
            {
                SumBlock<TVector, TWidth>(ref xRow, input, ref hRow, H, ref Unsafe.Add(ref w0, block * blockLength), gru: false,
                    out TVector i, out TVector f, out TVector g, out TVector o);
                i = Activations.Sigmoid<TVector, TWidth>(i);
                f = Activations.Sigmoid<TVector, TWidth>(f);
                g = Activations.Tanh<TVector, TWidth>(g);
                o = Activations.Sigmoid<TVector, TWidth>(o);
                int u0 = block * W, at = b * H + u0;
                if (u0 + W <= H)
                {
                    TVector cNew = TWidth.Add(TWidth.Multiply(f, TWidth.Load(ref Unsafe.AsRef(in cPrev[at]), 0)), TWidth.Multiply(i, g));
                    TWidth.Store(cNew, ref c[at], 0);
                    TWidth.Store(TWidth.Multiply(o, Activations.Tanh<TVector, TWidth>(cNew)), ref h[b * ldh + u0], 0);
                }
                else
                {
                    LstmEdge<TVector, TWidth>(i, f, g, o, cPrev.Slice(at, H - u0), c.Slice(at, H - u0), h.Slice(b * ldh + u0, H - u0));
                }
            }
        }
    }

    /// <summary>The last, partial block of <see cref="LstmStep"/>: its first <c>c.Length</c> units through a buffer.</summary>
    [SkipLocalsInit]
    private static void LstmEdge<TVector, TWidth>(TVector i, TVector f, TVector g, TVector o, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        Span<float> edge = stackalloc float[StepBlock];
        edge.Clear();
        cPrev.CopyTo(edge);
        ref float e = ref MemoryMarshal.GetReference(edge);
        TVector cNew = TWidth.Add(TWidth.Multiply(f, TWidth.Load(ref e, 0)), TWidth.Multiply(i, g));
        TWidth.Store(cNew, ref e, 0);
        edge.Slice(0, c.Length).CopyTo(c);
        TWidth.Store(TWidth.Multiply(o, Activations.Tanh<TVector, TWidth>(cNew)), ref e, 0);
        edge.Slice(0, h.Length).CopyTo(h);
    }

    /// <summary>
    /// One GRU step for every row of the batch over weights packed by <see cref="PackGruStep"/>:
    /// <c>h = (1 − z)⊙n + z⊙h_prev</c> into <paramref name="h"/> (row stride <paramref name="ldh"/>; it must not overlap
    /// <paramref name="hPrev"/>).
    /// </summary>
    public static void GruStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden)
    {
        int H = hidden;
        if (batch <= 0) return;
        if (x.Length < (batch - 1) * ldx + input || hPrev.Length < (batch - 1) * ldPrev + H || packed.Length < GruStepSize(input, H)
            || h.Length < (batch - 1) * ldh + H)
            throw new ArgumentException($"The spans do not hold {batch} rows of a GRU {input} → {H} step.");
        int blocks = StepBlocks(H, Widths.Best);
        int parts = Workers.Parts((long)batch * 3 * H * (input + H), blocks, Workers.MemoryBound);
        if (parts > 1) RunSteps(&GruPart, parts, x, ldx, hPrev, ldPrev, packed, default, default, h, ldh, batch, input, H);
        else GruBlocks(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, H, 0, blocks);
    }

    /// <summary>A share of <see cref="GruStep"/>'s blocks of units.</summary>
    private static void GruPart(StepJob* j, int part, int parts)
    {
        (int first, int count) = Workers.Share(StepBlocks(j->Hidden, Widths.Best), 1, part, parts);
        if (count > 0)
            GruBlocks(j->SpanX, j->Ldx, j->SpanHPrev, j->LdPrev, j->SpanPacked, j->SpanH, j->Ldh, j->Batch, j->Input, j->Hidden, first, first + count);
    }

    /// <summary><see cref="GruStep"/> for the blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) of every row, at this machine's width.</summary>
    private static void GruBlocks(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
    {
        if (Vector512.IsHardwareAccelerated) GruBlocks<Vector512<float>, W512>(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, hidden, first, end);
        else if (Vector256.IsHardwareAccelerated) GruBlocks<Vector256<float>, W256>(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, hidden, first, end);
        else if (Vector128.IsHardwareAccelerated) GruBlocks<Vector128<float>, W128>(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, hidden, first, end);
        else GruBlocks<float, W1>(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, hidden, first, end);
    }

    private static void GruBlocks<TVector, TWidth>(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        int H = hidden, W = TWidth.Count, blockLength = W * (4 + 3 * (input + H));
        ref float w0 = ref MemoryMarshal.GetReference(packed);
        for (int b = 0; b < batch; b++)
        {
            ref float xRow = ref Unsafe.AsRef(in x[b * ldx]);
            ref float hRow = ref Unsafe.AsRef(in hPrev[b * ldPrev]);
            for (int block = first; block < end; block++)
            {
                SumBlock<TVector, TWidth>(ref xRow, input, ref hRow, H, ref Unsafe.Add(ref w0, block * blockLength), gru: true,
                    out TVector r, out TVector z, out TVector nx, out TVector nh);
                r = Activations.Sigmoid<TVector, TWidth>(r);
                z = Activations.Sigmoid<TVector, TWidth>(z);
                TVector n = Activations.Tanh<TVector, TWidth>(TWidth.Add(nx, TWidth.Multiply(r, nh)));
                int u0 = block * W;
                if (u0 + W <= H)
                    TWidth.Store(TWidth.Add(n, TWidth.Multiply(z, TWidth.Subtract(TWidth.Load(ref hRow, (nuint)u0), n))), ref h[b * ldh + u0], 0);
                else
                    GruEdge<TVector, TWidth>(z, n, hPrev.Slice(b * ldPrev + u0, H - u0), h.Slice(b * ldh + u0, H - u0));
            }
        }
    }

    /// <summary>The last, partial block of <see cref="GruStep"/>: its first <c>h.Length</c> units through a buffer.</summary>
    [SkipLocalsInit]
    private static void GruEdge<TVector, TWidth>(TVector z, TVector n, ReadOnlySpan<float> hPrev, Span<float> h)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        Span<float> edge = stackalloc float[StepBlock];
        edge.Clear();
        hPrev.CopyTo(edge);
        ref float e = ref MemoryMarshal.GetReference(edge);
        TWidth.Store(TWidth.Add(n, TWidth.Multiply(z, TWidth.Subtract(TWidth.Load(ref e, 0), n))), ref e, 0);
        edge.Slice(0, h.Length).CopyTo(h);
    }

    /// <summary>Runs a step's blocks in <paramref name="parts"/> parts on the workers, with the spans pinned meanwhile.</summary>
    private static void RunSteps(delegate*<StepJob*, int, int, void> body, int parts,
        ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden)
    {
        fixed (float* px = x, ph = hPrev, pw = packed, pcp = cPrev, pc = c, phn = h)
        {
            var job = new StepJob
            {
                X = px, HPrev = ph, Packed = pw, CPrev = pcp, C = pc, H = phn,
                LengthX = x.Length, LengthHPrev = hPrev.Length, LengthPacked = packed.Length, LengthCPrev = cPrev.Length, LengthC = c.Length, LengthH = h.Length,
                Ldx = ldx, LdPrev = ldPrev, Ldh = ldh, Batch = batch, Input = input, Hidden = hidden,
            };
            Workers.Run(body, &job, parts);
        }
    }

    /// <summary>The operands of a fused step, as pointers for the workers (see <see cref="Product"/>).</summary>
    private struct StepJob
    {
        public float* X, HPrev, Packed, CPrev, C, H;
        public int LengthX, LengthHPrev, LengthPacked, LengthCPrev, LengthC, LengthH;
        public int Ldx, LdPrev, Ldh, Batch, Input, Hidden;

        public readonly ReadOnlySpan<float> SpanX => new(X, LengthX);
        public readonly ReadOnlySpan<float> SpanHPrev => new(HPrev, LengthHPrev);
        public readonly ReadOnlySpan<float> SpanPacked => new(Packed, LengthPacked);
        public readonly ReadOnlySpan<float> SpanCPrev => new(CPrev, LengthCPrev);
        public readonly Span<float> SpanC => new(C, LengthC);
        public readonly Span<float> SpanH => new(H, LengthH);
    }

    /// <summary>
    /// The sums of one block: four vectors start from the block's biases; each input, then each state element, is
    /// broadcast against its row of vectors (LSTM: i, f, g, o; GRU: r, z and n, whose state side goes to the fourth sum).
    /// Even and odd rows sum apart, so eight multiply-adds are in flight; the weights are asked for 2 KB ahead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlock<TVector, TWidth>(ref float x, int input, ref float hPrev, int hidden, ref float weights, bool gru,
        out TVector s0, out TVector s1, out TVector s2, out TVector s3)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        const int Ahead = 512; // floats: how far ahead of the row being read the prefetches ask
        nuint W = (nuint)TWidth.Count;
        ref float w = ref weights;
        TVector a0 = TWidth.Load(ref w, 0), a1 = TWidth.Load(ref w, W), a2 = TWidth.Load(ref w, 2 * W), a3 = TWidth.Load(ref w, 3 * W);
        TVector b0 = default, b1 = default, b2 = default, b3 = default;
        w = ref Unsafe.Add(ref w, 4 * W);
        for (int side = 0; side < 2; side++)
        {
            ref float v0 = ref side == 0 ? ref x : ref hPrev;
            int n = side == 0 ? input : hidden, p = 0;
            if (!gru)
            {
                for (; p + 2 <= n; p += 2)
                {
                    IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead));
                    IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead + 4 * W));
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p)), o = TWidth.Broadcast(Unsafe.Add(ref v0, p + 1));
                    a0 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, W), a1);
                    a2 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a2);
                    a3 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 3 * W), a3);
                    b0 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 4 * W), b0);
                    b1 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 5 * W), b1);
                    b2 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 6 * W), b2);
                    b3 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 7 * W), b3);
                    w = ref Unsafe.Add(ref w, 8 * W);
                }
                if (p < n)
                {
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p));
                    a0 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, W), a1);
                    a2 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a2);
                    a3 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 3 * W), a3);
                    w = ref Unsafe.Add(ref w, 4 * W);
                }
            }
            else
            {
                // GRU: the third vector of a row is n's input side for x and its state side for h_prev.
                for (; p + 2 <= n; p += 2)
                {
                    IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead));
                    IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead + 4 * W));
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p)), o = TWidth.Broadcast(Unsafe.Add(ref v0, p + 1));
                    a0 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, W), a1);
                    b0 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 3 * W), b0);
                    b1 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 4 * W), b1);
                    if (side == 0)
                    {
                        a2 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a2);
                        b2 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 5 * W), b2);
                    }
                    else
                    {
                        a3 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a3);
                        b3 = TWidth.MultiplyAdd(o, TWidth.Load(ref w, 5 * W), b3);
                    }
                    w = ref Unsafe.Add(ref w, 6 * W);
                }
                if (p < n)
                {
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p));
                    a0 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, W), a1);
                    if (side == 0) a2 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a2);
                    else a3 = TWidth.MultiplyAdd(e, TWidth.Load(ref w, 2 * W), a3);
                    w = ref Unsafe.Add(ref w, 3 * W);
                }
            }
        }
        s0 = TWidth.Add(a0, b0);
        s1 = TWidth.Add(a1, b1);
        s2 = TWidth.Add(a2, b2);
        s3 = TWidth.Add(a3, b3);
    }
}
