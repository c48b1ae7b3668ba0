using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// The element-wise activations of the <see cref="ActivationAttribute"/> layer, forward and backward, as PyTorch's
/// modules compute them (<c>nn.ReLU</c>, <c>nn.Tanh</c>, <c>nn.Sigmoid</c>, <c>nn.GELU</c>, <c>nn.SiLU</c>,
/// <c>nn.LeakyReLU</c>) and as autograd differentiates them, NaN and infinities included.
/// </summary>
/// <remarks>
/// Each call picks its function once and runs one loop written over the vector width (<see cref="IWidth{TVector}"/>):
/// the widest vectors first, then narrower ones, then single floats for the tail. Every value is read before its
/// result is written at the same index, so <c>y</c> may be <c>x</c> and the input gradient may be the output gradient
/// (the same memory, not shifted). ReLU and LeakyReLU are exact (PyTorch's bits); the others are within a few ulp or
/// 2·10⁻⁷ absolute of the exact function: σ and its complement from one <c>exp</c> of <c>−|z|</c>, tanh from
/// <see cref="Activations.Tanh{TVector, TWidth}"/>, erf from the polynomials of <see cref="Erf{TVector, TWidth}"/>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pointwise
{
    /// <summary>y = f(x) for every value of <paramref name="x"/> (<paramref name="y"/> may be <paramref name="x"/>).</summary>
    /// <param name="x">The inputs.</param>
    /// <param name="y">At least as long as <paramref name="x"/>; the values past its length are left as they are.</param>
    /// <param name="function">The activation.</param>
    /// <param name="approximate">GELU's form; read for <see cref="ActivationFunction.Gelu"/> only.</param>
    /// <param name="negativeSlope">LeakyReLU's slope below 0; read for <see cref="ActivationFunction.LeakyRelu"/> only.</param>
    public static void Activate(ReadOnlySpan<float> x, Span<float> y, ActivationFunction function, GeluApproximation approximate, float negativeSlope)
    {
        if (y.Length < x.Length) throw new ArgumentException($"y holds {y.Length} values, fewer than the {x.Length} of x.", nameof(y));
        switch (function)
        {
            case ActivationFunction.Relu: Forward<Relu>(x, y, 0f); break;
            case ActivationFunction.Tanh: Forward<Tanh>(x, y, 0f); break;
            case ActivationFunction.Sigmoid: Forward<Sigmoid>(x, y, 0f); break;
            case ActivationFunction.Gelu when approximate == GeluApproximation.None: Forward<Gelu>(x, y, 0f); break;
            case ActivationFunction.Gelu when approximate == GeluApproximation.Tanh: Forward<GeluTanh>(x, y, 0f); break;
            case ActivationFunction.Gelu: throw new ArgumentOutOfRangeException(nameof(approximate), approximate, "Not a GELU approximation.");
            case ActivationFunction.Silu: Forward<Silu>(x, y, 0f); break;
            case ActivationFunction.LeakyRelu: Forward<LeakyRelu>(x, y, negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(function), function, "Not an activation function.");
        }
    }

    /// <summary>
    /// ∂x = ∂y · f'(x) for every value of <paramref name="outputGradient"/>, written (not added) to
    /// <paramref name="inputGradient"/>, which may be <paramref name="outputGradient"/> itself. PyTorch's derivatives:
    /// ReLU's from the output (0 where y ≤ 0, so 0 at x = 0 and ∂y through a NaN), LeakyReLU's the slope at 0 and below,
    /// σ' = y(1 − y), tanh' = 1 − y², GELU's Φ(x) + x·φ(x) (or the derivative of its tanh form), SiLU's σ(x)(1 + x(1 − σ(x))).
    /// </summary>
    /// <param name="x">The forward inputs, at least as many as <paramref name="outputGradient"/>.</param>
    /// <param name="y">The forward outputs (<see cref="Activate"/>'s), at least as many.</param>
    /// <param name="outputGradient">∂y.</param>
    /// <param name="inputGradient">∂x, at least as long as <paramref name="outputGradient"/>; the values past that are left as they are.</param>
    /// <param name="function">The activation.</param>
    /// <param name="approximate">GELU's form; read for <see cref="ActivationFunction.Gelu"/> only.</param>
    /// <param name="negativeSlope">LeakyReLU's slope below 0; read for <see cref="ActivationFunction.LeakyRelu"/> only.</param>
    public static void ActivateBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        ActivationFunction function, GeluApproximation approximate, float negativeSlope)
    {
        int n = outputGradient.Length;
        if (x.Length < n) throw new ArgumentException($"x holds {x.Length} values, fewer than the {n} of the output gradient.", nameof(x));
        if (y.Length < n) throw new ArgumentException($"y holds {y.Length} values, fewer than the {n} of the output gradient.", nameof(y));
        if (inputGradient.Length < n)
        {
            throw new ArgumentException(
                $"The input gradient holds {inputGradient.Length} values, fewer than the {n} of the output gradient.", nameof(inputGradient));
        }
        switch (function)
        {
            case ActivationFunction.Relu: Backward<Relu>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.Tanh: Backward<Tanh>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.Sigmoid: Backward<Sigmoid>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.Gelu when approximate == GeluApproximation.None: Backward<Gelu>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.Gelu when approximate == GeluApproximation.Tanh: Backward<GeluTanh>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.Gelu: throw new ArgumentOutOfRangeException(nameof(approximate), approximate, "Not a GELU approximation.");
            case ActivationFunction.Silu: Backward<Silu>(x, y, outputGradient, inputGradient, 0f); break;
            case ActivationFunction.LeakyRelu: Backward<LeakyRelu>(x, y, outputGradient, inputGradient, negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(function), function, "Not an activation function.");
        }
    }

    // ---- The loops: once per function (a struct type argument), each width in turn ------------------------------------

    /// <summary>One activation over whole vectors: <c>f(x)</c> and <c>∂y·f'(x)</c>, with one scalar parameter (LeakyReLU's slope).</summary>
    private interface IActivation
    {
        static abstract TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector>;

        static abstract TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector>;
    }

    private static void Forward<TActivation>(ReadOnlySpan<float> x, Span<float> y, float parameter) where TActivation : struct, IActivation
    {
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated) i = Forward<Vector512<float>, W512, TActivation>(ref xs, ref ys, i, n, parameter);
        if (Vector256.IsHardwareAccelerated) i = Forward<Vector256<float>, W256, TActivation>(ref xs, ref ys, i, n, parameter);
        if (Vector128.IsHardwareAccelerated) i = Forward<Vector128<float>, W128, TActivation>(ref xs, ref ys, i, n, parameter);
        Forward<float, W1, TActivation>(ref xs, ref ys, i, n, parameter);
    }

    /// <summary>Values <paramref name="i"/> on, a whole vector at a time; returns the first value left.</summary>
    private static int Forward<TVector, TWidth, TActivation>(ref float x, ref float y, int i, int n, float parameter)
        where TVector : struct where TWidth : IWidth<TVector> where TActivation : struct, IActivation
    {
        TVector p = TWidth.Broadcast(parameter);
        for (; i <= n - TWidth.Count; i += TWidth.Count)
            TWidth.Store(TActivation.Forward<TVector, TWidth>(TWidth.Load(ref x, (nuint)i), p), ref y, (nuint)i);
        return i;
    }

    private static void Backward<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float parameter)
        where TActivation : struct, IActivation
    {
        int n = dy.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dxs = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated) i = Backward<Vector512<float>, W512, TActivation>(ref xs, ref ys, ref dys, ref dxs, i, n, parameter);
        if (Vector256.IsHardwareAccelerated) i = Backward<Vector256<float>, W256, TActivation>(ref xs, ref ys, ref dys, ref dxs, i, n, parameter);
        if (Vector128.IsHardwareAccelerated) i = Backward<Vector128<float>, W128, TActivation>(ref xs, ref ys, ref dys, ref dxs, i, n, parameter);
        Backward<float, W1, TActivation>(ref xs, ref ys, ref dys, ref dxs, i, n, parameter);
    }

    /// <summary>Values <paramref name="i"/> on, a whole vector at a time; returns the first value left.</summary>
    private static int Backward<TVector, TWidth, TActivation>(ref float x, ref float y, ref float dy, ref float dx, int i, int n, float parameter)
        where TVector : struct where TWidth : IWidth<TVector> where TActivation : struct, IActivation
    {
        TVector p = TWidth.Broadcast(parameter);
        for (; i <= n - TWidth.Count; i += TWidth.Count)
        {
            nuint at = (nuint)i;
            TVector gradient = TActivation.Backward<TVector, TWidth>(TWidth.Load(ref x, at), TWidth.Load(ref y, at), TWidth.Load(ref dy, at), p);
            TWidth.Store(gradient, ref dx, at);
        }
        return i;
    }

    // ---- The activations ---------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>torch.relu</c>: <c>x &lt; 0 ? 0 : x</c>, so ReLU(−0) = −0 and NaN stays NaN as in PyTorch (a <c>max</c> with 0
    /// first). Backward is PyTorch's <c>threshold_backward(∂y, y, 0)</c>: <c>y ≤ 0 ? 0 : ∂y</c>, from the output.
    /// </summary>
    private readonly struct Relu : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector>
        {
            TVector zero = TWidth.Broadcast(0f);
            return TWidth.Select(TWidth.LessThan(x, zero), zero, x);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector>
        {
            TVector zero = TWidth.Broadcast(0f);
            return TWidth.Select(TWidth.LessThanOrEqual(y, zero), zero, gradient);
        }
    }

    /// <summary>PyTorch's <c>leaky_relu</c>: <c>x &gt; 0 ? x : x·slope</c>, and <c>x &gt; 0 ? ∂y : ∂y·slope</c> (the slope at 0 and for NaN).</summary>
    private readonly struct LeakyRelu : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector slope) where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Select(TWidth.LessThan(TWidth.Broadcast(0f), x), x, TWidth.Multiply(x, slope));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector slope)
            where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Select(TWidth.LessThan(TWidth.Broadcast(0f), x), gradient, TWidth.Multiply(gradient, slope));
    }

    /// <summary>tanh as the fused cells compute it (2σ(2x) − 1, exactly ±1 at ±∞); backward <c>∂y·(1 − y²)</c>.</summary>
    private readonly struct Tanh : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector> =>
            Activations.Tanh<TVector, TWidth>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(gradient, TWidth.MultiplySubtract(y, y, TWidth.Broadcast(1f)));
    }

    /// <summary>σ(x), exactly 0 below −87.3 (PyTorch's is 0 below −88.7) and at −∞, 1 at +∞; backward <c>∂y·(1 − y)·y</c>.</summary>
    private readonly struct Sigmoid : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector> =>
            Logistic<TVector, TWidth>(x, out _);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(TWidth.Multiply(gradient, TWidth.Subtract(TWidth.Broadcast(1f), y)), y);
    }

    /// <summary>
    /// SiLU, <c>x·σ(x)</c>; backward PyTorch's <c>∂y·σ·(1 + x·(1 − σ))</c>, with 1 − σ computed as itself (not by a
    /// subtraction) so that it keeps its precision where σ is near 1. As in PyTorch, SiLU(−∞) and both derivatives at
    /// ±∞ are NaN (∞·0).
    /// </summary>
    private readonly struct Silu : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(x, Logistic<TVector, TWidth>(x, out _));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector>
        {
            TVector sigma = Logistic<TVector, TWidth>(x, out TVector complement);
            return TWidth.Multiply(TWidth.Multiply(gradient, sigma), TWidth.MultiplyAdd(x, complement, TWidth.Broadcast(1f)));
        }
    }

    /// <summary>√½: GELU's erf takes x/√2.</summary>
    private const float SqrtHalf = 0.707106781186547524f;

    /// <summary>1/√(2π), the standard normal density at 0.</summary>
    private const float InverseSqrt2Pi = 0.398942280401432678f;

    /// <summary>
    /// Exact GELU, <c>x·Φ(x) = x/2·(1 + erf(x/√2))</c>, where 1 + erf is computed as erfc(−x/√2) below 0 (keeping its
    /// relative precision down to x ≈ −5.7, past which it is 0); backward PyTorch's <c>∂y·(Φ(x) + x·φ(x))</c>. As in
    /// PyTorch, GELU(−∞) is NaN (−∞·0) and so is the derivative at ±∞.
    /// </summary>
    private readonly struct Gelu : IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(TWidth.Multiply(x, TWidth.Broadcast(0.5f)), OnePlusErf<TVector, TWidth>(TWidth.Multiply(x, TWidth.Broadcast(SqrtHalf))));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector>
        {
            TVector half = TWidth.Broadcast(0.5f);
            TVector cdf = TWidth.Multiply(half, OnePlusErf<TVector, TWidth>(TWidth.Multiply(x, TWidth.Broadcast(SqrtHalf))));
            // φ(x) = e^(−x²/2)/√(2π), exactly 0 once x²/2 passes 87.3 (so that x·φ is NaN at ±∞, as PyTorch's).
            TVector exponent = TWidth.Multiply(TWidth.Multiply(x, x), TWidth.Broadcast(-0.5f));
            TVector pdf = TWidth.Multiply(TWidth.Broadcast(InverseSqrt2Pi), ExpNonPositive<TVector, TWidth>(exponent));
            return TWidth.Multiply(gradient, TWidth.MultiplyAdd(x, pdf, cdf));
        }
    }

    /// <summary>√(2/π), the tanh form's β.</summary>
    private const float Beta = 0.797884560802865355f;

    /// <summary>The tanh form's κ.</summary>
    private const float Kappa = 0.044715f;

    /// <summary>
    /// GELU's tanh form, <c>x/2·(1 + tanh(β(x + κx³)))</c>, computed as <c>x·σ(2β(x + κx³))</c> (the same function:
    /// 1 + tanh(u) = 2σ(2u)), which keeps its relative precision for x below 0 where 1 + tanh cancels. Backward is
    /// PyTorch's <c>∂y·(½(1 + tanh) + ½x·(1 − tanh²)·β(1 + 3κx²))</c> with ½(1 + tanh) = σ and 1 − tanh² = 4σ(1 − σ).
    /// NaN at −∞ (and the derivative at ±∞), as PyTorch's.
    /// </summary>
    private readonly struct GeluTanh : IActivation
    {
        /// <summary>2β(x + κx³) = x·(2β + 2βκ·x²).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector Inner<TVector, TWidth>(TVector x, TVector square) where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(x, TWidth.MultiplyAdd(square, TWidth.Broadcast(2 * Beta * Kappa), TWidth.Broadcast(2 * Beta)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Forward<TVector, TWidth>(TVector x, TVector parameter) where TVector : struct where TWidth : IWidth<TVector> =>
            TWidth.Multiply(x, Logistic<TVector, TWidth>(Inner<TVector, TWidth>(x, TWidth.Multiply(x, x)), out _));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Backward<TVector, TWidth>(TVector x, TVector y, TVector gradient, TVector parameter)
            where TVector : struct where TWidth : IWidth<TVector>
        {
            TVector square = TWidth.Multiply(x, x);
            TVector sigma = Logistic<TVector, TWidth>(Inner<TVector, TWidth>(x, square), out TVector complement);
            // ½x·4σ(1 − σ)·β(1 + 3κx²) = x·σ·(1 − σ)·(2β + 6βκ·x²), x² held below 10³⁰: where it would overflow (|x| above
            // 1.8·10¹⁹) the product is 0·∞ and PyTorch's float32 gives NaN; this gives ∂y, as PyTorch's float64 does.
            TVector innerDerivative = TWidth.MultiplyAdd(TWidth.Clamp(square, 0f, 1e30f), TWidth.Broadcast(6 * Beta * Kappa), TWidth.Broadcast(2 * Beta));
            TVector right = TWidth.Multiply(TWidth.Multiply(TWidth.Multiply(x, sigma), complement), innerDerivative);
            return TWidth.Multiply(gradient, TWidth.Add(sigma, right));
        }
    }

    // ---- The functions they share ------------------------------------------------------------------------------------

    /// <summary>Activations.Exp's lower clamp: below it e^x would be a denormal.</summary>
    private const float ExpLow = -87.3f;

    /// <summary>
    /// e^x for x ≤ 0 (<see cref="Activations.Exp{TVector, TWidth}(TVector)"/>, within 2 ulp), but exactly 0 below −87.3, where
    /// that clamps instead (a denormal at most is lost), so that e^−∞ = 0 and products with ∞ give PyTorch's NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpNonPositive<TVector, TWidth>(TVector x) where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.Select(TWidth.LessThan(x, TWidth.Broadcast(ExpLow)), TWidth.Broadcast(0f), Activations.Exp<TVector, TWidth>(x));

    /// <summary>
    /// σ(z) = 1/(1 + e^−z), and in <paramref name="complement"/> 1 − σ(z) = σ(−z), both to a few ulp in relative terms over
    /// the whole line, from one exp that cannot overflow: with e = e^−|z| and r = 1/(1 + e), σ is r above 0 and e·r below,
    /// the complement the other. Exactly 1 and 0 at ±∞ (0 once |z| passes 87.3); NaN for NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Logistic<TVector, TWidth>(TVector z, out TVector complement) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector e = ExpNonPositive<TVector, TWidth>(TWidth.OrBits(z, TWidth.Broadcast(-0f))); // −|z|: the sign bit set
        TVector one = TWidth.Broadcast(1f);
        TVector r = TWidth.Divide(one, TWidth.Add(one, e)), er = TWidth.Multiply(e, r);
        TVector negative = TWidth.LessThan(z, TWidth.Broadcast(0f));
        complement = TWidth.Select(negative, r, er);
        return TWidth.Select(negative, er, r);
    }

    // erf in two ranges, each a polynomial fitted to the function (minimax by Lawson's reweighted least squares against
    // 40-digit values, the coefficients rounded to float one at a time, the others refitted after each):
    //   |u| < 59/64:  erf(u) = u + u·P(u²), P of degree 5, relative error of the fit 1.6·10⁻⁸;
    //   |u| ≥ 59/64:  erfc(|u|) = e^(R(|u|) − u²), R ≈ ln erfc(t) + t² of degree 8 on [59/64, 4], absolute error of the fit
    //                 1.4·10⁻⁸ (so relative in erfc); R − t² is one multiply-subtract, e^x is Activations.Exp, and
    //                 erf = ±(1 − erfc). Past 4, erfc(t) < 1.6·10⁻⁸ is taken as 0 (erf = ±1, which rounding gives from
    //                 3.92 anyway).
    // Measured against double precision on every multiple of 2⁻¹⁶ in [−5, 5] and small values down to 10⁻³⁸: within 0.99 ulp
    // where multiply-adds fuse, 1.11 ulp on baseline x86-64 (two roundings each), 6.6·10⁻⁸ absolute (PointwiseKernelSweepTests).
    private const float ErfSplit = 0.921875f, ErfcEnd = 4f;
    private const float P0 = 0.128379151f, P1 = -0.376124978f, P2 = 0.112818435f, P3 = -0.0267673489f, P4 = 0.00499403803f, P5 = -0.00059945049f;
    private const float R0 = 0.000294271798f, R1 = -1.13013148f, R2 = 0.36800465f, R3 = -0.109925166f, R4 = 0.0263355337f;
    private const float R5 = -0.00473028235f, R6 = 0.000590716139f, R7 = -4.53548164e-05f, R8 = 1.60250966e-06f;

    /// <summary>erf(u) for |u| &lt; 59/64: u + u·P(u²).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ErfNearZero<TVector, TWidth>(TVector u) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector s = TWidth.Multiply(u, u);
        TVector p = TWidth.MultiplyAdd(TWidth.Broadcast(P5), s, TWidth.Broadcast(P4));
        p = TWidth.MultiplyAdd(p, s, TWidth.Broadcast(P3));
        p = TWidth.MultiplyAdd(p, s, TWidth.Broadcast(P2));
        p = TWidth.MultiplyAdd(p, s, TWidth.Broadcast(P1));
        p = TWidth.MultiplyAdd(p, s, TWidth.Broadcast(P0));
        return TWidth.MultiplyAdd(u, p, u);
    }

    /// <summary>erfc(t) for t = |u| ≥ 59/64: e^(R(t) − t²), 0 past 4 (and at ∞), NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ErfcTail<TVector, TWidth>(TVector t) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector r = TWidth.MultiplyAdd(TWidth.Broadcast(R8), t, TWidth.Broadcast(R7));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R6));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R5));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R4));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R3));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R2));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R1));
        r = TWidth.MultiplyAdd(r, t, TWidth.Broadcast(R0));
        TVector e = Activations.Exp<TVector, TWidth>(TWidth.MultiplySubtract(t, t, r));
        return TWidth.Select(TWidth.LessThan(TWidth.Broadcast(ErfcEnd), t), TWidth.Broadcast(0f), e);
    }

    /// <summary>erf(u), within 1.11 ulp; exactly ±1 from |u| = 3.92 (and at ±∞), ±0 at ±0, NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Erf<TVector, TWidth>(TVector u) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector t = TWidth.AndBits(u, 0x7FFFFFFF);
        TVector tail = TWidth.Subtract(TWidth.Broadcast(1f), ErfcTail<TVector, TWidth>(t));
        tail = TWidth.OrBits(tail, TWidth.AndBits(u, 0x80000000)); // erf is odd: u's sign on 1 − erfc(|u|) ≥ 0
        return TWidth.Select(TWidth.LessThan(t, TWidth.Broadcast(ErfSplit)), ErfNearZero<TVector, TWidth>(u), tail);
    }

    /// <summary>
    /// 1 + erf(u) = erfc(−u): <c>1 + erf(u)</c> near 0, <c>2 − erfc(u)</c> above and <c>erfc(|u|)</c> below, which keeps
    /// the relative precision that 1 + erf(u) would lose to cancellation (0 below u = −4, and at −∞).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector OnePlusErf<TVector, TWidth>(TVector u) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector t = TWidth.AndBits(u, 0x7FFFFFFF);
        TVector erfc = ErfcTail<TVector, TWidth>(t);
        TVector tail = TWidth.Select(TWidth.LessThan(u, TWidth.Broadcast(0f)), erfc, TWidth.Subtract(TWidth.Broadcast(2f), erfc));
        TVector near = TWidth.Add(TWidth.Broadcast(1f), ErfNearZero<TVector, TWidth>(u));
        return TWidth.Select(TWidth.LessThan(t, TWidth.Broadcast(ErfSplit)), near, tail);
    }
}
