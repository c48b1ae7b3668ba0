using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

/// <summary>
/// The fused streaming steps: one call per layer computes <c>[x ; h_prev]·[W_ih W_hh]ᵀ + b</c>, the gates and the new
/// state, sixteen hidden units at a time, with the sums in registers. The weights are packed once per change of the
/// parameters (<see cref="PackLstmStep"/>, <see cref="PackGruStep"/>) into blocks of sixteen units: first the block's
/// biases, then one row per input and per state element holding that element's weights into every gate of the sixteen
/// units side by side, so a step reads its weights once, front to back, each row broadcast against one input.
/// Units past <c>H</c> in the last block have zero weights and are never written.
/// </summary>
public static unsafe partial class Cells
{
    /// <summary>Hidden units per block of the packed step weights: one 512-bit vector per gate.</summary>
    public const int StepBlock = 16;

    private static int StepBlocks(int hidden) => (hidden + StepBlock - 1) / StepBlock;

    /// <summary>Floats <see cref="PackLstmStep"/> writes: per block of 16 units, 64 biases and 64 weights per input and state element.</summary>
    public static int LstmStepSize(int input, int hidden) => StepBlocks(hidden) * 4 * StepBlock * (1 + input + hidden);

    /// <summary>Floats <see cref="PackGruStep"/> writes: per block of 16 units, 64 biases (r, z, input-side n, state-side n) and 48 weights per input and state element.</summary>
    public static int GruStepSize(int input, int hidden) => StepBlocks(hidden) * StepBlock * (4 + 3 * (input + hidden));

    /// <summary>
    /// Packs an LSTM layer's <c>W_ih [4H, input]</c>, <c>W_hh [4H, H]</c>, <c>b_ih</c>, <c>b_hh</c> (PyTorch's layouts, gates
    /// i, f, g, o) for <see cref="LstmStep"/>: per block of 16 units, <c>b_ih + b_hh</c> then the rows of <c>[W_ih W_hh]ᵀ</c>,
    /// each <c>[i f g o]</c> × 16 units.
    /// </summary>
    public static void PackLstmStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden)
    {
        int H = hidden, K = input + H, stride = 4 * StepBlock;
        if (wIh.Length < 4 * H * input || wHh.Length < 4 * H * H || bIh.Length < 4 * H || bHh.Length < 4 * H || packed.Length < LstmStepSize(input, H))
            throw new ArgumentException($"The weights of an LSTM {input} → {H} or their {LstmStepSize(input, H)} packed values do not fit their spans.");
        packed = packed.Slice(0, LstmStepSize(input, H));
        packed.Clear();
        for (int block = 0; block < StepBlocks(H); block++)
        {
            Span<float> target = packed.Slice(block * stride * (1 + K));
            for (int gate = 0; gate < 4; gate++)
            {
                for (int e = 0, u = block * StepBlock; e < StepBlock && u < H; e++, u++)
                {
                    int row = gate * H + u, column = gate * StepBlock + e;
                    target[column] = bIh[row] + bHh[row];
                    for (int p = 0; p < input; p++) target[(1 + p) * stride + column] = wIh[row * input + p];
                    for (int p = 0; p < H; p++) target[(1 + input + p) * stride + column] = wHh[row * H + p];
                }
            }
        }
    }

    /// <summary>
    /// Packs a GRU layer's weights (gates r, z, n) for <see cref="GruStep"/>: per block of 16 units, the biases
    /// <c>b_ir + b_hr</c>, <c>b_iz + b_hz</c>, <c>b_in</c>, <c>b_hn</c>, then the rows of <c>W_ihᵀ</c> and of <c>W_hhᵀ</c>,
    /// each <c>[r z n]</c> × 16 units (the two sides of <c>n</c> stay apart: <c>r</c> scales the state side only).
    /// </summary>
    public static void PackGruStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden)
    {
        int H = hidden, K = input + H, stride = 3 * StepBlock;
        if (wIh.Length < 3 * H * input || wHh.Length < 3 * H * H || bIh.Length < 3 * H || bHh.Length < 3 * H || packed.Length < GruStepSize(input, H))
            throw new ArgumentException($"The weights of a GRU {input} → {H} or their {GruStepSize(input, H)} packed values do not fit their spans.");
        packed = packed.Slice(0, GruStepSize(input, H));
        packed.Clear();
        for (int block = 0; block < StepBlocks(H); block++)
        {
            Span<float> target = packed.Slice(block * StepBlock * (4 + 3 * K));
            Span<float> rows = target.Slice(4 * StepBlock);
            for (int e = 0, u = block * StepBlock; e < StepBlock && u < H; e++, u++)
            {
                target[e] = bIh[u] + bHh[u];
                target[StepBlock + e] = bIh[H + u] + bHh[H + u];
                target[2 * StepBlock + e] = bIh[2 * H + u];
                target[3 * StepBlock + e] = bHh[2 * H + u];
                for (int gate = 0; gate < 3; gate++)
                {
                    int row = gate * H + u, column = gate * StepBlock + e;
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
        int parts = Workers.Parts((long)batch * 4 * H * (input + H), StepBlocks(H), Workers.MemoryBound);
        if (parts > 1) RunSteps(&LstmPart, parts, x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H);
        else LstmBlocks(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H, 0, StepBlocks(H));
    }

    /// <summary>A share of <see cref="LstmStep"/>'s blocks of units.</summary>
    private static void LstmPart(StepJob* j, int part, int parts)
    {
        (int first, int count) = Workers.Share(StepBlocks(j->Hidden), 1, part, parts);
        if (count > 0)
            LstmBlocks(j->SpanX, j->Ldx, j->SpanHPrev, j->LdPrev, j->SpanPacked, j->SpanCPrev, j->SpanC, j->SpanH, j->Ldh, j->Batch, j->Input, j->Hidden, first, first + count);
    }

    /// <summary><see cref="LstmStep"/> for the blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) of every row.</summary>
    [SkipLocalsInit]
    private static void LstmBlocks(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
    {
        int H = hidden, K = input + H, blockLength = 4 * StepBlock * (1 + K);
        if (Vector512.IsHardwareAccelerated)
        {
            ref float w0 = ref MemoryMarshal.GetReference(packed);
            for (int b = 0; b < batch; b++)
            {
                ref float xRow = ref Unsafe.AsRef(in x[b * ldx]);
                ref float hRow = ref Unsafe.AsRef(in hPrev[b * ldPrev]);
                for (int u0 = first * StepBlock; u0 < end * StepBlock; u0 += StepBlock)
                {
                    SumBlock512(ref xRow, input, ref hRow, H, ref Unsafe.Add(ref w0, u0 / StepBlock * blockLength), 4,
                        out Vector512<float> i, out Vector512<float> f, out Vector512<float> g, out Vector512<float> o);
                    i = Activations.Sigmoid(i);
                    f = Activations.Sigmoid(f);
                    g = Activations.Tanh(g);
                    o = Activations.Sigmoid(o);
                    int at = b * H + u0;
                    if (u0 + StepBlock <= H)
                    {
                        Vector512<float> cNew = f * Vector512.LoadUnsafe(ref Unsafe.AsRef(in cPrev[at])) + i * g;
                        cNew.StoreUnsafe(ref c[at]);
                        (o * Activations.Tanh(cNew)).StoreUnsafe(ref h[b * ldh + u0]);
                    }
                    else
                    {
                        LstmEdge(i, f, g, o, cPrev.Slice(at, H - u0), c.Slice(at, H - u0), h.Slice(b * ldh + u0, H - u0));
                    }
                }
            }
            return;
        }
        Span<float> gates = stackalloc float[4 * StepBlock];
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> xRow = x.Slice(b * ldx, input), hRow = hPrev.Slice(b * ldPrev, H);
            for (int block = first; block < end; block++)
            {
                int u0 = block * StepBlock, width = Math.Min(StepBlock, H - u0);
                SumBlock(xRow, hRow, packed.Slice(block * blockLength, blockLength), 4, gates);
                ReadOnlySpan<float> cp = cPrev.Slice(b * H + u0, width);
                Span<float> cn = c.Slice(b * H + u0, width), hn = h.Slice(b * ldh + u0, width);
                for (int e = 0; e < width; e++)
                {
                    float i = Activations.Sigmoid(gates[e]), f = Activations.Sigmoid(gates[StepBlock + e]);
                    float g = Activations.Tanh(gates[2 * StepBlock + e]), o = Activations.Sigmoid(gates[3 * StepBlock + e]);
                    float cNew = f * cp[e] + i * g;
                    cn[e] = cNew;
                    hn[e] = o * Activations.Tanh(cNew);
                }
            }
        }
    }

    /// <summary>The last, partial block of <see cref="LstmStep"/>: its first <c>c.Length</c> units through a buffer.</summary>
    [SkipLocalsInit]
    private static void LstmEdge(Vector512<float> i, Vector512<float> f, Vector512<float> g, Vector512<float> o,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h)
    {
        Span<float> edge = stackalloc float[StepBlock];
        edge.Clear();
        cPrev.CopyTo(edge);
        Vector512<float> cNew = f * Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(edge)) + i * g;
        cNew.StoreUnsafe(ref MemoryMarshal.GetReference(edge));
        edge.Slice(0, c.Length).CopyTo(c);
        (o * Activations.Tanh(cNew)).StoreUnsafe(ref MemoryMarshal.GetReference(edge));
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
        int parts = Workers.Parts((long)batch * 3 * H * (input + H), StepBlocks(H), Workers.MemoryBound);
        if (parts > 1) RunSteps(&GruPart, parts, x, ldx, hPrev, ldPrev, packed, default, default, h, ldh, batch, input, H);
        else GruBlocks(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, H, 0, StepBlocks(H));
    }

    /// <summary>A share of <see cref="GruStep"/>'s blocks of units.</summary>
    private static void GruPart(StepJob* j, int part, int parts)
    {
        (int first, int count) = Workers.Share(StepBlocks(j->Hidden), 1, part, parts);
        if (count > 0)
            GruBlocks(j->SpanX, j->Ldx, j->SpanHPrev, j->LdPrev, j->SpanPacked, j->SpanH, j->Ldh, j->Batch, j->Input, j->Hidden, first, first + count);
    }

    /// <summary><see cref="GruStep"/> for the blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) of every row.</summary>
    [SkipLocalsInit]
    private static void GruBlocks(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden, int first, int end)
    {
        int H = hidden, K = input + H, blockLength = StepBlock * (4 + 3 * K);
        if (Vector512.IsHardwareAccelerated)
        {
            ref float w0 = ref MemoryMarshal.GetReference(packed);
            for (int b = 0; b < batch; b++)
            {
                ref float xRow = ref Unsafe.AsRef(in x[b * ldx]);
                ref float hRow = ref Unsafe.AsRef(in hPrev[b * ldPrev]);
                for (int u0 = first * StepBlock; u0 < end * StepBlock; u0 += StepBlock)
                {
                    SumBlock512(ref xRow, input, ref hRow, H, ref Unsafe.Add(ref w0, u0 / StepBlock * blockLength), 3,
                        out Vector512<float> r, out Vector512<float> z, out Vector512<float> nx, out Vector512<float> nh);
                    r = Activations.Sigmoid(r);
                    z = Activations.Sigmoid(z);
                    Vector512<float> n = Activations.Tanh(nx + r * nh);
                    if (u0 + StepBlock <= H)
                        (n + z * (Vector512.LoadUnsafe(ref Unsafe.Add(ref hRow, u0)) - n)).StoreUnsafe(ref h[b * ldh + u0]);
                    else
                        GruEdge(z, n, hPrev.Slice(b * ldPrev + u0, H - u0), h.Slice(b * ldh + u0, H - u0));
                }
            }
            return;
        }
        Span<float> gates = stackalloc float[4 * StepBlock];
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> xRow = x.Slice(b * ldx, input), hRow = hPrev.Slice(b * ldPrev, H);
            for (int block = first; block < end; block++)
            {
                int u0 = block * StepBlock, width = Math.Min(StepBlock, H - u0);
                SumBlock(xRow, hRow, packed.Slice(block * blockLength, blockLength), 3, gates);
                ReadOnlySpan<float> hp = hRow.Slice(u0, width);
                Span<float> hn = h.Slice(b * ldh + u0, width);
                for (int e = 0; e < width; e++)
                {
                    float r = Activations.Sigmoid(gates[e]), z = Activations.Sigmoid(gates[StepBlock + e]);
                    float n = Activations.Tanh(gates[2 * StepBlock + e] + r * gates[3 * StepBlock + e]);
                    hn[e] = n + z * (hp[e] - n);
                }
            }
        }
    }

    /// <summary>The last, partial block of <see cref="GruStep"/>: its first <c>h.Length</c> units through a buffer.</summary>
    [SkipLocalsInit]
    private static void GruEdge(Vector512<float> z, Vector512<float> n, ReadOnlySpan<float> hPrev, Span<float> h)
    {
        Span<float> edge = stackalloc float[StepBlock];
        edge.Clear();
        hPrev.CopyTo(edge);
        (n + z * (Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(edge)) - n)).StoreUnsafe(ref MemoryMarshal.GetReference(edge));
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
    /// broadcast against its row of <paramref name="rowWidth"/> vectors (4 for the LSTM: i, f, g, o; 3 for the GRU: r, z
    /// and n, whose state side goes to the fourth sum). Even and odd rows sum apart, so eight multiply-adds are in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlock512(ref float x, int input, ref float hPrev, int hidden, ref float weights, int rowWidth,
        out Vector512<float> s0, out Vector512<float> s1, out Vector512<float> s2, out Vector512<float> s3)
    {
        const int W = StepBlock, Ahead = 512; // floats: the rows the prefetches ask for, 2 KB ahead
        ref float w = ref weights;
        Vector512<float> a0 = Vector512.LoadUnsafe(ref w), a1 = Vector512.LoadUnsafe(ref w, W), a2 = Vector512.LoadUnsafe(ref w, 2 * W), a3 = Vector512.LoadUnsafe(ref w, 3 * W);
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        w = ref Unsafe.Add(ref w, 4 * W);
        int stride = rowWidth * W;
        for (int side = 0; side < 2; side++)
        {
            ref float v0 = ref side == 0 ? ref x : ref hPrev;
            int n = side == 0 ? input : hidden, p = 0;
            if (rowWidth == 4)
            {
                for (; p + 2 <= n; p += 2)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w, Ahead)));
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w, Ahead + 4 * W)));
                    var e = Vector512.Create(Unsafe.Add(ref v0, p));
                    var o = Vector512.Create(Unsafe.Add(ref v0, p + 1));
                    a0 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w), a0);
                    a1 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, W), a1);
                    a2 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a2);
                    a3 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 3 * W), a3);
                    b0 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 4 * W), b0);
                    b1 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 5 * W), b1);
                    b2 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 6 * W), b2);
                    b3 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 7 * W), b3);
                    w = ref Unsafe.Add(ref w, 8 * W);
                }
                if (p < n)
                {
                    var e = Vector512.Create(Unsafe.Add(ref v0, p));
                    a0 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w), a0);
                    a1 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, W), a1);
                    a2 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a2);
                    a3 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 3 * W), a3);
                    w = ref Unsafe.Add(ref w, stride);
                }
            }
            else
            {
                // GRU: the third vector of a row is n's input side for x and its state side for h_prev.
                for (; p + 2 <= n; p += 2)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w, Ahead)));
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w, Ahead + 4 * W)));
                    var e = Vector512.Create(Unsafe.Add(ref v0, p));
                    var o = Vector512.Create(Unsafe.Add(ref v0, p + 1));
                    a0 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w), a0);
                    a1 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, W), a1);
                    b0 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 3 * W), b0);
                    b1 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 4 * W), b1);
                    if (side == 0)
                    {
                        a2 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a2);
                        b2 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 5 * W), b2);
                    }
                    else
                    {
                        a3 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a3);
                        b3 = Avx512F.FusedMultiplyAdd(o, Vector512.LoadUnsafe(ref w, 5 * W), b3);
                    }
                    w = ref Unsafe.Add(ref w, 6 * W);
                }
                if (p < n)
                {
                    var e = Vector512.Create(Unsafe.Add(ref v0, p));
                    a0 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w), a0);
                    a1 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, W), a1);
                    if (side == 0) a2 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a2);
                    else a3 = Avx512F.FusedMultiplyAdd(e, Vector512.LoadUnsafe(ref w, 2 * W), a3);
                    w = ref Unsafe.Add(ref w, stride);
                }
            }
        }
        s0 = a0 + b0;
        s1 = a1 + b1;
        s2 = a2 + b2;
        s3 = a3 + b3;
    }

    /// <summary>
    /// <see cref="SumBlock512"/> for every other instruction set: the four sums of the block into <paramref name="sums"/>
    /// (<c>[4, 16]</c>), a <see cref="Vector{T}"/> (or a scalar) at a time.
    /// </summary>
    private static void SumBlock(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> weights, int rowWidth, Span<float> sums)
    {
        const int W = StepBlock;
        int lanes = Vector.IsHardwareAccelerated && W % Vector<float>.Count == 0 ? Vector<float>.Count : 1;
        for (int s = 0; s < W; s += lanes)
        {
            for (int gate = 0; gate < 4; gate++)
            {
                // The sum of one gate's lanes: its bias, then every row of the block (a GRU row feeds the third or the fourth sum by side).
                Span<float> sum = sums.Slice(gate * W + s, lanes);
                weights.Slice(gate * W + s, lanes).CopyTo(sum);
                int column = rowWidth == 4 || gate < 2 ? gate : 2;
                int row = 0;
                for (int side = 0; side < 2; side++)
                {
                    ReadOnlySpan<float> v = side == 0 ? x : hPrev;
                    bool feeds = rowWidth == 4 || gate < 2 || gate - 2 == side;
                    for (int p = 0; p < v.Length; p++, row++)
                    {
                        if (!feeds) continue;
                        ReadOnlySpan<float> weight = weights.Slice(4 * W + row * rowWidth * W + column * W + s, lanes);
                        if (lanes == 1) sum[0] += v[p] * weight[0];
                        else (new Vector<float>(sum) + new Vector<float>(v[p]) * new Vector<float>(weight)).CopyTo(sum);
                    }
                }
            }
        }
    }
}
