using System.Runtime.CompilerServices;

namespace Unroll.Kernels;

/// <summary>
/// σ and tanh on whole vectors, inlined into the fused cell loops (one pass over a gate block instead of
/// one library call per activation), written once over the vector width (<see cref="IWidth{TVector}"/>).
/// <c>exp</c> is Cephes' <c>expf</c>: range reduction by ln 2 and a degree-5 polynomial, within 2 ulp, with
/// multiply-adds fused where the hardware fuses them; σ(x) = 1 / (1 + e^−x) and tanh(x) = 2σ(2x) − 1, whose
/// absolute error stays below 2·10⁻⁷. Every width gives the same results up to rounding.
/// </summary>
internal static class Activations
{
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private const float Low = -87.3f, High = 88.3f;

    /// <summary>1.5·2²³: adding it rounds a float below 2²² in magnitude to the nearest integer, held in the low mantissa bits.</summary>
    private const float RoundingBias = 12582912f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector>
    {
        x = TWidth.Clamp(x, Low, High);
        // n = round(x·log₂e), to nearest even, with one multiply-add on every instruction set (the bias keeps it for 2ⁿ below).
        TVector biased = TWidth.MultiplyAdd(x, TWidth.Broadcast(Log2E), TWidth.Broadcast(RoundingBias));
        TVector n = TWidth.Subtract(biased, TWidth.Broadcast(RoundingBias));
        // q = x − n·ln 2 in two parts, then e^q = 1 + q + q²·p(q), p of degree 5 by Estrin's scheme: three short chains
        // side by side instead of Horner's five dependent multiply-adds (the latency of a step's gates is the chain).
        TVector q = TWidth.MultiplySubtract(n, TWidth.Broadcast(Ln2Hi), x);
        q = TWidth.MultiplySubtract(n, TWidth.Broadcast(Ln2Lo), q);
        TVector q2 = TWidth.Multiply(q, q), q4 = TWidth.Multiply(q2, q2);
        TVector high = TWidth.MultiplyAdd(TWidth.Broadcast(P0), q, TWidth.Broadcast(P1));
        TVector middle = TWidth.MultiplyAdd(TWidth.Broadcast(P2), q, TWidth.Broadcast(P3));
        TVector low = TWidth.MultiplyAdd(TWidth.Broadcast(P4), q, TWidth.Broadcast(P5));
        TVector p = TWidth.MultiplyAdd(high, q4, TWidth.MultiplyAdd(middle, q2, low));
        p = TWidth.MultiplyAdd(p, q2, TWidth.Add(q, TWidth.Broadcast(1f)));
        return TWidth.Multiply(p, TWidth.PowerOfTwo(biased));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Sigmoid<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector one = TWidth.Broadcast(1f);
        return TWidth.Divide(one, TWidth.Add(one, Exp<TVector, TWidth>(TWidth.Subtract(default, x))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Tanh<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.MultiplyAdd(TWidth.Broadcast(2f), Sigmoid<TVector, TWidth>(TWidth.Add(x, x)), TWidth.Broadcast(-1f));
}
