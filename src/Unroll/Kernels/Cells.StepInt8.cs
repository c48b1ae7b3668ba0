using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Unroll.Kernels;

// The int8 steps: each row's input and state quantized to 7 bits, integer sums against the rows, then scaled.
public static unsafe partial class Cells
{
    /// <summary>
    /// An int8 step's view of one row: its input and previous state, each side quantized on its own to 7-bit unsigned
    /// integers as PyTorch's dynamic quantization does on x86 (<c>reduce_range</c>), so that <c>v ≈ scale·(q − zero)</c>
    /// (<see cref="Quantize"/>); each side's bytes padded with zeros to whole groups of four.
    /// </summary>
    private ref struct QuantizedRow(Span<byte> bytes, int input)
    {
        public ref byte X = ref MemoryMarshal.GetReference(bytes), H = ref MemoryMarshal.GetReference(bytes.Slice(4 * Lanes(input, 1)));
        public int InputGroups = Lanes(input, 1), HiddenGroups = (bytes.Length - 4 * Lanes(input, 1)) / 4;
        public float ScaleX, ZeroX, ScaleH, ZeroH;
    }

    /// <summary>Bytes a row's <see cref="QuantizedRow"/> takes.</summary>
    private static int QuantizedBytes(int input, int hidden) => 4 * (Lanes(input, 1) + Lanes(hidden, 1));

    /// <summary>
    /// <paramref name="n"/> values as 7-bit unsigned integers into <paramref name="bytes"/> (then zeros to a multiple of
    /// four): <c>scale = (max − min) / 127</c> over the values and 0, <c>zero = round(−min / scale)</c>, and
    /// <c>q = round(v · (1 / scale) + zero)</c> (to nearest even, limited to 0–127). The sum is rounded by adding 1.5·2²³, which
    /// leaves <c>q</c> in the low bits (as <see cref="Activations"/> rounds <c>n</c>). A NaN makes the scale NaN, and so
    /// every sum of the row.
    /// </summary>
    private static void Quantize<TVector, TWidth>(ref float values, int n, ref byte bytes, out float scale, out float zero)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        const float Bias = 12582912f;
        scale = 1f;
        zero = 0f;
        if (n > 0)
        {
            ReadOnlySpan<float> v = MemoryMarshal.CreateReadOnlySpan(ref values, n);
            float low = Math.Min(0f, TensorPrimitives.Min(v)), range = Math.Max(0f, TensorPrimitives.Max(v)) - low;
            if (range != 0)
            {
                scale = range / 127f;
                zero = MathF.Round(-low / scale);
            }
        }
        float inverse = 1f / scale;
        TVector multiplier = TWidth.Broadcast(inverse), shift = TWidth.Broadcast(Bias + zero);
        int W = TWidth.Count, i = 0;
        for (; i + W <= n; i += W)
            TWidth.StoreLowBytes(TWidth.Clamp(TWidth.Add(TWidth.Multiply(TWidth.Load(ref values, (nuint)i), multiplier), shift), Bias, Bias + 127), ref Unsafe.Add(ref bytes, i));
        for (; i < n; i++)
            W1.StoreLowBytes(W1.Clamp(Unsafe.Add(ref values, i) * inverse + (Bias + zero), Bias, Bias + 127), ref Unsafe.Add(ref bytes, i));
        for (; (i & 3) != 0; i++) Unsafe.Add(ref bytes, i) = 0;
    }

    /// <summary>
    /// <see cref="SumBlock{TVector, TWidth, TFormat}"/> for int8 weights: exact integer sums of the quantized row against
    /// the block's groups of four rows (<see cref="IWidth{TVector}.DotBytes"/>: four products a lane, one instruction
    /// pair for a vector of outputs), each side apart; then each side's <c>scale·(sum − zero·Σw)</c> (the sums of the
    /// weights are packed with them), times the output's weight scale, plus the bias (GRU: n's two sides apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlockInt8<TVector, TWidth>(scoped in QuantizedRow row, ref float block, bool gru,
        out TVector s0, out TVector s1, out TVector s2, out TVector s3)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        nuint W = (nuint)TWidth.Count, rowWidth = (gru ? 3u : 4u) * W;
        // The biases, the weight scales, the weights' sums over the input side and over the state side, then the rows.
        ref float scales = ref Unsafe.Add(ref block, 4 * W);
        ref float sumsX = ref Unsafe.Add(ref scales, rowWidth), sumsH = ref Unsafe.Add(ref scales, 2 * rowWidth);
        ref float w = ref Unsafe.Add(ref scales, 3 * rowWidth);
        w = ref SideSums<TVector, TWidth>(ref row.X, row.InputGroups, ref w, gru, out TVector x0, out TVector x1, out TVector x2, out TVector x3);
        SideSums<TVector, TWidth>(ref row.H, row.HiddenGroups, ref w, gru, out TVector h0, out TVector h1, out TVector h2, out TVector h3);
        TVector scaleX = TWidth.Broadcast(row.ScaleX), zeroX = TWidth.Broadcast(row.ZeroX);
        TVector scaleH = TWidth.Broadcast(row.ScaleH), zeroH = TWidth.Broadcast(row.ZeroH);
        x0 = Dequantized<TVector, TWidth>(x0, ref sumsX, 0, zeroX, scaleX);
        x1 = Dequantized<TVector, TWidth>(x1, ref sumsX, W, zeroX, scaleX);
        x2 = Dequantized<TVector, TWidth>(x2, ref sumsX, 2 * W, zeroX, scaleX);
        h0 = Dequantized<TVector, TWidth>(h0, ref sumsH, 0, zeroH, scaleH);
        h1 = Dequantized<TVector, TWidth>(h1, ref sumsH, W, zeroH, scaleH);
        h2 = Dequantized<TVector, TWidth>(h2, ref sumsH, 2 * W, zeroH, scaleH);
        s0 = TWidth.MultiplyAdd(TWidth.Add(x0, h0), TWidth.Load(ref scales, 0), TWidth.Load(ref block, 0));
        s1 = TWidth.MultiplyAdd(TWidth.Add(x1, h1), TWidth.Load(ref scales, W), TWidth.Load(ref block, W));
        if (gru)
        {
            s2 = TWidth.MultiplyAdd(x2, TWidth.Load(ref scales, 2 * W), TWidth.Load(ref block, 2 * W));
            s3 = TWidth.MultiplyAdd(h2, TWidth.Load(ref scales, 2 * W), TWidth.Load(ref block, 3 * W));
        }
        else
        {
            x3 = Dequantized<TVector, TWidth>(x3, ref sumsX, 3 * W, zeroX, scaleX);
            h3 = Dequantized<TVector, TWidth>(h3, ref sumsH, 3 * W, zeroH, scaleH);
            s2 = TWidth.MultiplyAdd(TWidth.Add(x2, h2), TWidth.Load(ref scales, 2 * W), TWidth.Load(ref block, 2 * W));
            s3 = TWidth.MultiplyAdd(TWidth.Add(x3, h3), TWidth.Load(ref scales, 3 * W), TWidth.Load(ref block, 3 * W));
        }
    }

    /// <summary>
    /// The integer sums of one side (<paramref name="groups"/> groups of four quantized values from <paramref name="q"/>)
    /// against its rows from <paramref name="w"/> on; returns where the side's rows end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float SideSums<TVector, TWidth>(ref byte q, int groups, ref float w, bool gru, out TVector a0, out TVector a1, out TVector a2, out TVector a3)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        nuint W = (nuint)TWidth.Count, rowWidth = (gru ? 3u : 4u) * W;
        a0 = a1 = a2 = a3 = default;
        for (int j = 0; j < groups; j++)
        {
            TVector four = TWidth.Broadcast(Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref q, 4 * j)));
            a0 = TWidth.DotBytes(a0, four, TWidth.Load(ref w, 0));
            a1 = TWidth.DotBytes(a1, four, TWidth.Load(ref w, W));
            a2 = TWidth.DotBytes(a2, four, TWidth.Load(ref w, 2 * W));
            if (!gru) a3 = TWidth.DotBytes(a3, four, TWidth.Load(ref w, 3 * W));
            w = ref Unsafe.Add(ref w, rowWidth);
        }
        return ref w;
    }

    /// <summary>One side's integer sums as floats: <c>scale·(sum − zero·Σw)</c>, <c>Σw</c> from <paramref name="weightSums"/> at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Dequantized<TVector, TWidth>(TVector sums, ref float weightSums, nuint at, TVector zero, TVector scale)
        where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.Multiply(TWidth.Subtract(TWidth.ConvertInt32(sums), TWidth.Multiply(zero, TWidth.Load(ref weightSums, at))), scale);
}
