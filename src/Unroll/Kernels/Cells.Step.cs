using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// The fused streaming steps: one call per layer computes <c>[x ; h_prev]·[W_ih W_hh]ᵀ + b</c>, the gates and the new
/// state, one vector of hidden units at a time, with the sums in registers. The weights are packed once per change of
/// the parameters (<c>PackLstmStep</c>, <c>PackGruStep</c>) into blocks of as many units as a vector holds
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
    /// below hold the blocks of every width.
    /// </summary>
    public const int StepBlock = 16;

    /// <summary>Blocks whose sums a step computes before their gates, so that the gates' chains of latency overlap.</summary>
    private const int GroupBlocks = 4;

    /// <summary>Blocks of <paramref name="units"/> units each that hold <paramref name="hidden"/> units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StepBlocks(int hidden, int units) => (hidden + units - 1) / units;

    /// <summary>
    /// Floats one block of <paramref name="units"/> units takes with <paramref name="bytes"/> a weight: four vectors of
    /// biases; for int8 (1 byte) a scale per output, then per output the sum of its integer weights over the input side
    /// and over the state side; then the rows of <paramref name="gates"/> × units weights. A 32-bit lane holds one
    /// output's weights of 4 / <paramref name="bytes"/> consecutive rows of a side (each side padded to whole lanes
    /// with zero weights): one row of float32, a pair of 2-byte rows, a group of four int8 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StepBlockFloats(int gates, int units, int input, int hidden, int bytes) =>
        4 * units + (bytes == 1 ? 3 * gates * units : 0) + (Lanes(input, bytes) + Lanes(hidden, bytes)) * gates * units;

    /// <summary>Lanes a side of <paramref name="rows"/> rows of <paramref name="bytes"/>-byte weights takes (4 / bytes rows a lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Lanes(int rows, int bytes) => (rows * bytes + 3) / 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bytes(WeightPrecision precision) => precision switch
    {
        WeightPrecision.Float32 => 4,
        WeightPrecision.BFloat16 or WeightPrecision.Float16 => 2,
        WeightPrecision.Int8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Not a weight precision."),
    };

    /// <summary>
    /// Floats the packed weights of a step with <paramref name="gates"/> weight rows per unit take at the width that needs
    /// most, so that one buffer serves every machine. Written out width by width: each division is by a constant, which
    /// matters because every step checks its span against it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StepSize(int gates, int input, int hidden, WeightPrecision precision)
    {
        int bytes = Bytes(precision);
        return Math.Max(
            Math.Max(StepBlocks(hidden, 16) * StepBlockFloats(gates, 16, input, hidden, bytes), StepBlocks(hidden, 8) * StepBlockFloats(gates, 8, input, hidden, bytes)),
            Math.Max(StepBlocks(hidden, 4) * StepBlockFloats(gates, 4, input, hidden, bytes), hidden * StepBlockFloats(gates, 1, input, hidden, bytes)));
    }

    /// <summary>Floats <c>PackLstmStep</c> may write: per block of 16 units, 64 biases and 64 weights per input and state element.</summary>
    public static int LstmStepSize(int input, int hidden) => LstmStepSize(input, hidden, WeightPrecision.Float32);

    /// <summary>Floats the packed LSTM step weights take in <paramref name="precision"/>, at any vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LstmStepSize(int input, int hidden, WeightPrecision precision) => StepSize(4, input, hidden, precision);

    /// <summary>Floats <c>PackGruStep</c> may write: per block of 16 units, 64 biases (r, z, input-side n, state-side n) and 48 weights per input and state element.</summary>
    public static int GruStepSize(int input, int hidden) => GruStepSize(input, hidden, WeightPrecision.Float32);

    /// <summary>Floats the packed GRU step weights take in <paramref name="precision"/>, at any vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GruStepSize(int input, int hidden, WeightPrecision precision) => StepSize(3, input, hidden, precision);

    /// <summary>
    /// Packs an LSTM layer's <c>W_ih [4H, input]</c>, <c>W_hh [4H, H]</c>, <c>b_ih</c>, <c>b_hh</c> (PyTorch's layouts, gates
    /// i, f, g, o) for <c>LstmStep</c>:
    /// per block of <see cref="Widths.Best"/> units, <c>b_ih + b_hh</c> then the rows of <c>[W_ih W_hh]ᵀ</c>, each
    /// <c>[i f g o]</c> × the block's units.
    /// </summary>
    public static void PackLstmStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden) => PackLstmStep(wIh, wHh, bIh, bHh, packed, input, hidden, WeightPrecision.Float32);

    /// <summary>
    /// Packs an LSTM layer's weights as <c>PackLstmStep</c>
    /// does, with the rows in <paramref name="precision"/> (biases, and int8's scales, stay float32).
    /// </summary>
    public static void PackLstmStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden, WeightPrecision precision)
    {
        int H = hidden, size = LstmStepSize(input, H, precision);
        if (wIh.Length < 4 * H * input || wHh.Length < 4 * H * H || bIh.Length < 4 * H || bHh.Length < 4 * H || packed.Length < size)
            throw new ArgumentException($"The weights of an LSTM {input} → {H} or their {size} packed values do not fit their spans.");
        PackRows(wIh, wHh, packed.Slice(0, size), 4, input, H, precision);
        int units = Widths.Best, blockLength = StepBlockFloats(4, units, input, H, Bytes(precision));
        for (int u = 0; u < H; u++)
        {
            Span<float> biases = packed.Slice(u / units * blockLength);
            for (int gate = 0; gate < 4; gate++) biases[gate * units + u % units] = bIh[gate * H + u] + bHh[gate * H + u];
        }
    }

    /// <summary>
    /// Packs a GRU layer's weights (gates r, z, n) for <c>GruStep</c>:
    /// per block of <see cref="Widths.Best"/> units, the biases <c>b_ir + b_hr</c>, <c>b_iz + b_hz</c>, <c>b_in</c>,
    /// <c>b_hn</c>, then the rows of <c>W_ihᵀ</c> and of <c>W_hhᵀ</c>, each <c>[r z n]</c> × the block's units (the two
    /// sides of <c>n</c> stay apart: <c>r</c> scales the state side only).
    /// </summary>
    public static void PackGruStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden) => PackGruStep(wIh, wHh, bIh, bHh, packed, input, hidden, WeightPrecision.Float32);

    /// <summary>Packs a GRU layer's weights as the float32 overload does, with the rows in <paramref name="precision"/>.</summary>
    public static void PackGruStep(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> packed, int input, int hidden, WeightPrecision precision)
    {
        int H = hidden, size = GruStepSize(input, H, precision);
        if (wIh.Length < 3 * H * input || wHh.Length < 3 * H * H || bIh.Length < 3 * H || bHh.Length < 3 * H || packed.Length < size)
            throw new ArgumentException($"The weights of a GRU {input} → {H} or their {size} packed values do not fit their spans.");
        PackRows(wIh, wHh, packed.Slice(0, size), 3, input, H, precision);
        int units = Widths.Best, blockLength = StepBlockFloats(3, units, input, H, Bytes(precision));
        for (int u = 0; u < H; u++)
        {
            Span<float> biases = packed.Slice(u / units * blockLength);
            int e = u % units;
            biases[e] = bIh[u] + bHh[u];
            biases[units + e] = bIh[H + u] + bHh[H + u];
            biases[2 * units + e] = bIh[2 * H + u];
            biases[3 * units + e] = bHh[2 * H + u];
        }
    }

    /// <summary>
    /// Clears <paramref name="packed"/> and writes every block's rows (and int8's scales and sums): output row
    /// <c>gate·H + u</c> of <c>[W_ih W_hh]</c> goes to column <c>gate·units + u mod units</c> of its block, one row per
    /// input then state element, 4 / bytes rows of a side sharing a 32-bit lane.
    /// </summary>
    private static void PackRows(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, Span<float> packed, int gates, int input, int hidden,
        WeightPrecision precision)
    {
        int H = hidden, K = input + H, units = Widths.Best, bytes = Bytes(precision), perLane = 4 / bytes;
        int blockLength = StepBlockFloats(gates, units, input, H, bytes), stride = gates * units;
        int rowsAt = 4 * units + (precision == WeightPrecision.Int8 ? 3 * stride : 0);
        packed.Clear();
        for (int u = 0; u < H; u++)
        {
            Span<float> block = packed.Slice(u / units * blockLength, blockLength);
            Span<byte> rows = MemoryMarshal.AsBytes(block.Slice(rowsAt));
            for (int gate = 0; gate < gates; gate++)
            {
                int row = gate * H + u, column = gate * units + u % units;
                ReadOnlySpan<float> fromX = wIh.Slice(row * input, input), fromH = wHh.Slice(row * H, H);
                float scale = 1f;
                if (precision == WeightPrecision.Int8)
                {
                    scale = Int8Weights.Scale(Math.Max(MaxMagnitude(fromX), MaxMagnitude(fromH)));
                    block[4 * units + column] = scale;
                }
                for (int p = 0; p < K; p++)
                {
                    bool state = p >= input;
                    float value = state ? fromH[p - input] : fromX[p];
                    int q = state ? p - input : p, lane = (state ? Lanes(input, bytes) : 0) + q / perLane;
                    Span<byte> target = rows.Slice((lane * stride + column) * 4 + q % perLane * bytes, bytes);
                    switch (precision)
                    {
                        case WeightPrecision.Float32: MemoryMarshal.Write(target, in value); break;
                        case WeightPrecision.BFloat16: MemoryMarshal.Write(target, BFloat16Weights.Encode(value)); break;
                        case WeightPrecision.Float16: MemoryMarshal.Write(target, Float16Weights.Encode(value)); break;
                        default:
                            sbyte weight = Int8Weights.Encode(value, scale);
                            target[0] = (byte)weight;
                            block[4 * units + (state ? 2 : 1) * stride + column] += weight; // the side's sum, for the zero point
                            break;
                    }
                }
            }
        }
    }

    private static float MaxMagnitude(ReadOnlySpan<float> values) => values.IsEmpty ? 0f : Math.Abs(TensorPrimitives.MaxMagnitude(values));

    /// <summary>
    /// One LSTM step for every row of the batch over weights packed by <c>PackLstmStep</c>:
    /// <c>c = f⊙c_prev + i⊙g</c> into <paramref name="c"/> <c>[batch, H]</c> and <c>h = o⊙tanh(c)</c> into
    /// <paramref name="h"/> (row stride <paramref name="ldh"/>; it must not overlap <paramref name="hPrev"/>).
    /// </summary>
    public static void LstmStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden) =>
        LstmStep(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, hidden, WeightPrecision.Float32);

    /// <summary>One LSTM step as the float32 overload, over weights packed in <paramref name="precision"/>.</summary>
    public static void LstmStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden, WeightPrecision precision)
    {
        int H = hidden;
        if (batch <= 0) return;
        if (x.Length < (batch - 1) * ldx + input || hPrev.Length < (batch - 1) * ldPrev + H || packed.Length < LstmStepSize(input, H, precision)
            || cPrev.Length < batch * H || c.Length < batch * H || h.Length < (batch - 1) * ldh + H)
            throw new ArgumentException($"The spans do not hold {batch} rows of an LSTM {input} → {H} step.");
        RunStep(new StepArguments(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H, precision, gru: false));
    }

    /// <summary>The LSTM step for blocks <paramref name="first"/> to <paramref name="end"/> of every row.</summary>
    [SkipLocalsInit]
    private static void LstmBlocks<TVector, TWidth, TFormat>(in StepArguments s, int first, int end)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        Span<float> group = stackalloc float[GroupBlocks * 4 * StepBlock];
        Span<byte> quantized = TFormat.Bytes == 1 ? stackalloc byte[QuantizedBytes(s.Input, s.Hidden)] : default;
        GroupedBlocks<TVector, TWidth, TFormat>(in s, first, end, gru: false, ref MemoryMarshal.GetReference(group), quantized);
    }

    /// <summary>The GRU step for blocks <paramref name="first"/> to <paramref name="end"/> of every row.</summary>
    [SkipLocalsInit]
    private static void GruBlocks<TVector, TWidth, TFormat>(in StepArguments s, int first, int end)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        Span<float> group = stackalloc float[GroupBlocks * 4 * StepBlock];
        Span<byte> quantized = TFormat.Bytes == 1 ? stackalloc byte[QuantizedBytes(s.Input, s.Hidden)] : default;
        GroupedBlocks<TVector, TWidth, TFormat>(in s, first, end, gru: true, ref MemoryMarshal.GetReference(group), quantized);
    }

    /// <summary>
    /// The sums of a group of blocks into <paramref name="sums"/>, then their gates: the activations of one block (a
    /// chain of some 200 cycles of latency) overlap those of the others instead of waiting behind the next block's sums.
    /// <paramref name="gru"/> is a literal at both calls, so each compiles one cell. With int8 weights each row's input
    /// and state are quantized first, into <paramref name="quantized"/> (<see cref="QuantizedRow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupedBlocks<TVector, TWidth, TFormat>(in StepArguments s, int first, int end, bool gru, ref float sums, Span<byte> quantized)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        int H = s.Hidden, W = TWidth.Count, blockLength = StepBlockFloats(gru ? 3 : 4, W, s.Input, H, TFormat.Bytes);
        ref float w0 = ref MemoryMarshal.GetReference(s.Packed);
        nuint V = (nuint)W;
        for (int b = 0; b < s.Batch; b++)
        {
            ref float xRow = ref Unsafe.AsRef(in s.X[b * s.Ldx]);
            ref float hRow = ref Unsafe.AsRef(in s.HPrev[b * s.LdPrev]);
            QuantizedRow row = TFormat.Bytes == 1 ? new QuantizedRow(quantized, s.Input) : default;
            if (TFormat.Bytes == 1)
            {
                Quantize<TVector, TWidth>(ref xRow, s.Input, ref row.X, out row.ScaleX, out row.ZeroX);
                Quantize<TVector, TWidth>(ref hRow, H, ref row.H, out row.ScaleH, out row.ZeroH);
            }
            for (int block0 = first; block0 < end; block0 += GroupBlocks)
            {
                int blocks = Math.Min(GroupBlocks, end - block0);
                SumGroup<TVector, TWidth, TFormat>(ref xRow, s.Input, ref hRow, H, ref Unsafe.Add(ref w0, block0 * blockLength), blockLength, blocks, gru, ref sums, in row);
                for (int k = 0; k < blocks; k++)
                {
                    ref float at = ref Unsafe.Add(ref sums, (nuint)k * 4 * V);
                    Gates<TVector, TWidth>(TWidth.Load(ref at, 0), TWidth.Load(ref at, V), TWidth.Load(ref at, 2 * V), TWidth.Load(ref at, 3 * V),
                        s.HPrev, s.CPrev, s.C, s.H, b * s.LdPrev, b * H, b * s.Ldh, (block0 + k) * W, H, gru);
                }
            }
        }
    }

    /// <summary>
    /// The gates and new state of one row's block of units from <paramref name="u0"/>, from the block's four sums (LSTM:
    /// i, f, g, o; GRU: r, z, n's input side, n's state side); the row starts at <paramref name="prevAt"/> in
    /// <paramref name="hPrev"/>, <paramref name="cellAt"/> in the cell states and <paramref name="outAt"/> in
    /// <paramref name="h"/>. The shared and the unrolled steps both end here, so their results are the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gates<TVector, TWidth>(TVector s0, TVector s1, TVector s2, TVector s3, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int prevAt, int cellAt, int outAt, int u0, int hidden, bool gru)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count, edge = hidden - u0;
        if (gru)
        {
            TVector r = Activations.Sigmoid<TVector, TWidth>(s0);
            TVector z = Activations.Sigmoid<TVector, TWidth>(s1);
            TVector n = Activations.Tanh<TVector, TWidth>(TWidth.Add(s2, TWidth.Multiply(r, s3)));
            if (edge >= W) TWidth.Store(TWidth.Add(n, TWidth.Multiply(z, TWidth.Subtract(TWidth.Load(ref Unsafe.AsRef(in hPrev[prevAt + u0]), 0), n))), ref h[outAt + u0], 0);
            else GruEdge<TVector, TWidth>(z, n, hPrev.Slice(prevAt + u0, edge), h.Slice(outAt + u0, edge));
        }
        else
        {
            TVector i = Activations.Sigmoid<TVector, TWidth>(s0);
            TVector f = Activations.Sigmoid<TVector, TWidth>(s1);
            TVector g = Activations.Tanh<TVector, TWidth>(s2);
            TVector o = Activations.Sigmoid<TVector, TWidth>(s3);
            if (edge >= W)
            {
                TVector cNew = TWidth.Add(TWidth.Multiply(f, TWidth.Load(ref Unsafe.AsRef(in cPrev[cellAt + u0]), 0)), TWidth.Multiply(i, g));
                TWidth.Store(cNew, ref c[cellAt + u0], 0);
                TWidth.Store(TWidth.Multiply(o, Activations.Tanh<TVector, TWidth>(cNew)), ref h[outAt + u0], 0);
            }
            else
            {
                LstmEdge<TVector, TWidth>(i, f, g, o, cPrev.Slice(cellAt + u0, edge), c.Slice(cellAt + u0, edge), h.Slice(outAt + u0, edge));
            }
        }
    }

    /// <summary>The last, partial block of the LSTM step: its first <c>c.Length</c> units through a buffer.</summary>
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
    /// One GRU step for every row of the batch over weights packed by <c>PackGruStep</c>:
    /// <c>h = (1 − z)⊙n + z⊙h_prev</c> into <paramref name="h"/> (row stride <paramref name="ldh"/>; it must not overlap
    /// <paramref name="hPrev"/>).
    /// </summary>
    public static void GruStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden) =>
        GruStep(x, ldx, hPrev, ldPrev, packed, h, ldh, batch, input, hidden, WeightPrecision.Float32);

    /// <summary>One GRU step as the float32 overload, over weights packed in <paramref name="precision"/>.</summary>
    public static void GruStep(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        Span<float> h, int ldh, int batch, int input, int hidden, WeightPrecision precision)
    {
        int H = hidden;
        if (batch <= 0) return;
        if (x.Length < (batch - 1) * ldx + input || hPrev.Length < (batch - 1) * ldPrev + H || packed.Length < GruStepSize(input, H, precision)
            || h.Length < (batch - 1) * ldh + H)
            throw new ArgumentException($"The spans do not hold {batch} rows of a GRU {input} → {H} step.");
        RunStep(new StepArguments(x, ldx, hPrev, ldPrev, packed, default, default, h, ldh, batch, input, H, precision, gru: true));
    }

    /// <summary>The last, partial block of the GRU step: its first <c>h.Length</c> units through a buffer.</summary>
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

    /// <summary>The operands of a fused step (checked by its public entry).</summary>
    private readonly ref struct StepArguments(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> hPrev, int ldPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int ldh, int batch, int input, int hidden, WeightPrecision precision, bool gru)
    {
        public readonly ReadOnlySpan<float> X = x, HPrev = hPrev, Packed = packed, CPrev = cPrev;
        public readonly bool Gru = gru;
        public readonly Span<float> C = c, H = h;
        public readonly int Ldx = ldx, LdPrev = ldPrev, Ldh = ldh, Batch = batch, Input = input, Hidden = hidden;
        public readonly WeightPrecision Precision = precision;
    }

    /// <summary>
    /// Runs a checked step: whole, or its blocks of units split across the workers when reading its weights is worth two
    /// cores (the spans pinned meanwhile).
    /// </summary>
    private static void RunStep(in StepArguments s)
    {
        int blocks = StepBlocks(s.Hidden, Widths.Best);
        int parts = Workers.Parts((long)s.Batch * (s.Gru ? 3 : 4) * s.Hidden * (s.Input + s.Hidden) * Bytes(s.Precision) / 4, blocks, Workers.MemoryBound);
        if (parts <= 1)
        {
            Blocks(in s, 0, blocks);
            return;
        }
        fixed (float* px = s.X, ph = s.HPrev, pw = s.Packed, pcp = s.CPrev, pc = s.C, phn = s.H)
        {
            var job = new StepJob
            {
                X = px, HPrev = ph, Packed = pw, CPrev = pcp, C = pc, H = phn,
                LengthX = s.X.Length, LengthHPrev = s.HPrev.Length, LengthPacked = s.Packed.Length, LengthCPrev = s.CPrev.Length,
                LengthC = s.C.Length, LengthH = s.H.Length,
                Ldx = s.Ldx, LdPrev = s.LdPrev, Ldh = s.Ldh, Batch = s.Batch, Input = s.Input, Hidden = s.Hidden, Precision = s.Precision, Gru = s.Gru,
            };
            Workers.Run(&Part, &job, parts);
        }
    }

    /// <summary>A share of a step's blocks of units.</summary>
    private static void Part(StepJob* j, int part, int parts)
    {
        (int first, int count) = Workers.Share(StepBlocks(j->Hidden, Widths.Best), 1, part, parts);
        if (count > 0) Blocks(j->Arguments, first, first + count);
    }

    /// <summary>The step for the blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) of every row, compiled for its weights' format …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocks(in StepArguments s, int first, int end)
    {
        switch (s.Precision)
        {
            case WeightPrecision.Float32: Blocks<Float32Weights>(in s, first, end); break;
            case WeightPrecision.BFloat16: Blocks<BFloat16Weights>(in s, first, end); break;
            case WeightPrecision.Float16: Blocks<Float16Weights>(in s, first, end); break;
            default: Blocks<Int8Weights>(in s, first, end); break;
        }
    }

    /// <summary>… and this machine's width …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocks<TFormat>(in StepArguments s, int first, int end) where TFormat : IWeightFormat
    {
        if (Vector512.IsHardwareAccelerated) Blocks<Vector512<float>, W512, TFormat>(in s, first, end);
        else if (Vector256.IsHardwareAccelerated) Blocks<Vector256<float>, W256, TFormat>(in s, first, end);
        else if (Vector128.IsHardwareAccelerated) Blocks<Vector128<float>, W128, TFormat>(in s, first, end);
        else Blocks<float, W1, TFormat>(in s, first, end);
    }

    /// <summary>… and its cell.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocks<TVector, TWidth, TFormat>(in StepArguments s, int first, int end)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        if (s.Gru) GruBlocks<TVector, TWidth, TFormat>(in s, first, end);
        else LstmBlocks<TVector, TWidth, TFormat>(in s, first, end);
    }

    /// <summary>The operands of a fused step, as pointers for the workers (see <see cref="Product"/>).</summary>
    private struct StepJob
    {
        public float* X, HPrev, Packed, CPrev, C, H;
        public int LengthX, LengthHPrev, LengthPacked, LengthCPrev, LengthC, LengthH;
        public int Ldx, LdPrev, Ldh, Batch, Input, Hidden;
        public WeightPrecision Precision;
        public bool Gru;

        public readonly StepArguments Arguments => new(new(X, LengthX), Ldx, new(HPrev, LengthHPrev), LdPrev, new(Packed, LengthPacked),
            new(CPrev, LengthCPrev), new(C, LengthC), new(H, LengthH), Ldh, Batch, Input, Hidden, Precision, Gru);
    }
}
