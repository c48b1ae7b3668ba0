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
    public static TVector Exp<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector> =>
        Exp<TVector, TWidth>(x, 1f, Low, High);

    /// <summary>
    /// e^(sign·x) for <paramref name="sign"/> ±1 (a literal at every call), x clamped to [<paramref name="low"/>,
    /// <paramref name="high"/>] first: with −1 the same bits as e^(0 − x) without the negation on the chain (the
    /// reduction keeps q' = x + n·ln 2 = −q and the polynomial's odd terms change sign). No branches, so that the JIT
    /// inlines it into every gate of a step within its budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Exp<TVector, TWidth>(TVector x, float sign, float low, float high) where TVector : struct where TWidth : IWidth<TVector>
    {
        x = TWidth.Clamp(x, low, high);
        // n = round(sign·x·log₂e), to nearest even, with one multiply-add on every instruction set (the bias keeps it for 2ⁿ below).
        TVector biased = TWidth.MultiplyAdd(x, TWidth.Broadcast(sign * Log2E), TWidth.Broadcast(RoundingBias));
        TVector n = TWidth.Subtract(biased, TWidth.Broadcast(RoundingBias));
        // q = sign·(x − sign·n·ln 2) in two parts, then e^q = 1 + q + q²·p(q), p of degree 5 by Estrin's scheme: three
        // short chains side by side instead of Horner's five dependent multiply-adds (a step's gates wait on the chain).
        TVector q = TWidth.MultiplyAdd(n, TWidth.Broadcast(-sign * Ln2Hi), x);
        q = TWidth.MultiplyAdd(n, TWidth.Broadcast(-sign * Ln2Lo), q);
        TVector q2 = TWidth.Multiply(q, q), q4 = TWidth.Multiply(q2, q2);
        TVector highTerms = TWidth.MultiplyAdd(TWidth.Broadcast(sign * P0), q, TWidth.Broadcast(P1));
        TVector middleTerms = TWidth.MultiplyAdd(TWidth.Broadcast(sign * P2), q, TWidth.Broadcast(P3));
        TVector lowTerms = TWidth.MultiplyAdd(TWidth.Broadcast(sign * P4), q, TWidth.Broadcast(P5));
        TVector p = TWidth.MultiplyAdd(highTerms, q4, TWidth.MultiplyAdd(middleTerms, q2, lowTerms));
        p = TWidth.MultiplyAdd(p, q2, TWidth.MultiplyAdd(TWidth.Broadcast(sign), q, TWidth.Broadcast(1f)));
        return TWidth.Multiply(p, TWidth.PowerOfTwo(biased));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Sigmoid<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector one = TWidth.Broadcast(1f);
        return TWidth.Divide(one, TWidth.Add(one, Exp<TVector, TWidth>(x, -1f, -High, -Low)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Tanh<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.MultiplyAdd(TWidth.Broadcast(2f), Sigmoid<TVector, TWidth>(TWidth.Add(x, x)), TWidth.Broadcast(-1f));
}
