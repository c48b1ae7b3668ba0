using System.ComponentModel;

namespace Unroll.Kernels;

/// <summary>The element-wise activations of the <see cref="ActivationAttribute"/> layer, forward and backward.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pointwise
{
    /// <summary>y = f(x) for every value of <paramref name="x"/>.</summary>
    public static void Activate(ReadOnlySpan<float> x, Span<float> y, ActivationFunction function, GeluApproximation approximate, float negativeSlope) =>
        throw new NotImplementedException();

    /// <summary>∂x = ∂y · f'(x) for every value.</summary>
    public static void ActivateBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        ActivationFunction function, GeluApproximation approximate, float negativeSlope) =>
        throw new NotImplementedException();
}
