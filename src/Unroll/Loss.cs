using System.Numerics.Tensors;

namespace Unroll;

/// <summary>Loss functions that return the loss and write its gradient with respect to the prediction, as <c>torch.nn.functional</c> defines them.</summary>
public static class Loss
{
    /// <summary>
    /// Mean squared error, <c>mean((prediction − target)²)</c> as <c>F.mse_loss</c> with
    /// <c>reduction='mean'</c>; writes <c>2 (prediction − target) / N</c> into <paramref name="gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths differ, or are zero.</exception>
    public static float MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient)
    {
        if (prediction.IsEmpty) throw new ArgumentException("The prediction is empty.", nameof(prediction));
        if (target.Length != prediction.Length)
            throw new ArgumentException($"Expected {prediction.Length} target values (as many as the prediction), got {target.Length}.", nameof(target));
        if (gradient.Length != prediction.Length)
            throw new ArgumentException($"Expected a gradient span of {prediction.Length} values (as many as the prediction), got {gradient.Length}.", nameof(gradient));

        TensorPrimitives.Subtract(prediction, target, gradient);
        float loss = TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)gradient) / prediction.Length;
        TensorPrimitives.Multiply(gradient, 2f / prediction.Length, gradient);
        return loss;
    }
}
