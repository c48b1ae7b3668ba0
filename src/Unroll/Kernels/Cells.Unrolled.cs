using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// The unrolled streaming steps: for float32 layers too small to split across the cores (under 32,768 multiply-adds a step), the generated <c>Step</c>
/// calls these instead of <see cref="LstmStep(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, int)"/>
/// and <see cref="GruStep(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, int, int, int, int)"/>.
/// They are inlined into the generated code (a method per layer) with the layer's sizes as literals, so the JIT compiles
/// one straight run of vector code per layer: no argument block, no split across the workers, no weights asked for ahead, and each block's
/// sums go straight into its gates in registers. The sums and gates are the fused steps' own (<c>SumBlock</c>, <c>Gates</c>), in the same order,
/// so the results are theirs bit for bit; only the float32 layout is read.
/// </summary>
public static partial class Cells
{
    /// <summary>
    /// One LSTM step of <paramref name="batch"/> rows over float32 weights packed by <c>PackLstmStep</c>, as
    /// <c>LstmStep</c> computes it: <c>c = f⊙c_prev + i⊙g</c>, <c>h = o⊙tanh(c)</c>. Rows are contiguous (<c>x</c>
    /// <c>[batch, input]</c>, the states <c>[batch, hidden]</c>); <paramref name="h"/> must not overlap <paramref name="hPrev"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LstmStepUnrolled(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> packed, ReadOnlySpan<float> cPrev,
        Span<float> c, Span<float> h, int batch, int input, int hidden)
    {
        if (batch < 0 || x.Length < batch * input || hPrev.Length < batch * hidden || packed.Length < LstmStepSize(input, hidden)
            || cPrev.Length < batch * hidden || c.Length < batch * hidden || h.Length < batch * hidden)
            ThrowDoNotFit("an LSTM", batch, input, hidden);
        UnrolledRows(x, hPrev, packed, cPrev, c, h, batch, input, hidden, gru: false);
    }

    /// <summary>
    /// One GRU step of <paramref name="batch"/> rows over float32 weights packed by <c>PackGruStep</c>, as
    /// <c>GruStep</c> computes it: <c>h = (1 − z)⊙n + z⊙h_prev</c>. Rows are contiguous; <paramref name="h"/> must not
    /// overlap <paramref name="hPrev"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GruStepUnrolled(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> packed, Span<float> h,
        int batch, int input, int hidden)
    {
        if (batch < 0 || x.Length < batch * input || hPrev.Length < batch * hidden || packed.Length < GruStepSize(input, hidden)
            || h.Length < batch * hidden)
            ThrowDoNotFit("a GRU", batch, input, hidden);
        UnrolledRows(x, hPrev, packed, default, default, h, batch, input, hidden, gru: true);
    }

    /// <summary>The unrolled steps' one failure, kept out of the code they inline into.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDoNotFit(string cell, int batch, int input, int hidden) =>
        throw new ArgumentException($"The spans do not hold {batch} rows of {cell} {input} → {hidden} step.");

    /// <summary>The unrolled step at this machine's width (the JIT keeps the one branch it runs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnrolledRows(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int batch, int input, int hidden, bool gru)
    {
        if (Vector512.IsHardwareAccelerated) UnrolledRows<Vector512<float>, W512>(x, hPrev, packed, cPrev, c, h, batch, input, hidden, gru, pairs: false);
        else if (Vector256.IsHardwareAccelerated) UnrolledRows<Vector256<float>, W256>(x, hPrev, packed, cPrev, c, h, batch, input, hidden, gru, pairs: true);
        else if (Vector128.IsHardwareAccelerated) UnrolledRows<Vector128<float>, W128>(x, hPrev, packed, cPrev, c, h, batch, input, hidden, gru, pairs: true);
        else UnrolledRows<float, W1>(x, hPrev, packed, cPrev, c, h, batch, input, hidden, gru, pairs: true);
    }

    /// <summary>
    /// Every row, one block of units at a time (<paramref name="pairs"/> false: 512 bits, where pairs measured slower, their
    /// registers costing more than the overlap gains) or two: both blocks' sums, then both blocks' gates and new states,
    /// so that the second block's σ/tanh chains (some 150 cycles of latency) run beside the first's, the sums in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnrolledRows<TVector, TWidth>(ReadOnlySpan<float> x, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int batch, int input, int hidden, bool gru, bool pairs)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count, blockLength = StepBlockFloats(gru ? 3 : 4, W, input, hidden, 4), stride = pairs ? 2 : 1;
        for (int b = 0; b < batch; b++)
        {
            ref float xRow = ref Unsafe.AsRef(in x[b * input]);
            ref float hRow = ref Unsafe.AsRef(in hPrev[b * hidden]);
            ref float block = ref MemoryMarshal.GetReference(packed);
            for (int u0 = 0; u0 < hidden; u0 += stride * W, block = ref Unsafe.Add(ref block, stride * blockLength))
            {
                SumBlock<TVector, TWidth, Float32Weights>(ref xRow, input, ref hRow, hidden, ref block, gru, out TVector s0, out TVector s1, out TVector s2, out TVector s3,
                    prefetch: false);
                bool second = pairs && u0 + W < hidden;
                TVector t0 = default, t1 = default, t2 = default, t3 = default;
                if (second)
                    SumBlock<TVector, TWidth, Float32Weights>(ref xRow, input, ref hRow, hidden, ref Unsafe.Add(ref block, blockLength), gru, out t0, out t1, out t2, out t3,
                        prefetch: false);
                Gates<TVector, TWidth>(s0, s1, s2, s3, hPrev, cPrev, c, h, b * hidden, b * hidden, b * hidden, u0, hidden, gru);
                if (second) Gates<TVector, TWidth>(t0, t1, t2, t3, hPrev, cPrev, c, h, b * hidden, b * hidden, b * hidden, u0 + W, hidden, gru);
            }
        }
    }
}
