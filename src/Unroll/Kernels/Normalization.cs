using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>
/// Layer normalisation of every row, as <c>torch.nn.LayerNorm(features, eps)</c>:
/// <c>y = (x − mean) / √(var + eps) ⊙ weight + bias</c>, with the biased variance of the row.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Normalization
{
    /// <summary>
    /// Normalises <paramref name="rows"/> rows of <paramref name="features"/>; keeps the normalised
    /// rows <paramref name="normalized"/> and each row's <c>1/√(var + eps)</c> in <paramref name="inverseDeviation"/> for backward.
    /// </summary>
    public static void LayerNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> normalized, Span<float> inverseDeviation, int rows, int features, float epsilon)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * features, features);
            Span<float> xhat = normalized.Slice(r * features, features);
            float mean = TensorPrimitives.Sum(row) / features;
            TensorPrimitives.Subtract(row, mean, xhat);
            float variance = TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)xhat) / features;
            float inverse = 1f / MathF.Sqrt(variance + epsilon);
            inverseDeviation[r] = inverse;
            TensorPrimitives.Multiply(xhat, inverse, xhat);
            Span<float> target = y.Slice(r * features, features);
            TensorPrimitives.MultiplyAdd(xhat, weight, bias, target);
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNormForward"/>: adds into the weight and bias gradients and writes
    /// <c>∂x = inv/N · (N·g − Σg − x̂·Σ(g ⊙ x̂))</c> with <c>g = ∂y ⊙ weight</c> (<paramref name="inputGradient"/> may be empty).
    /// <paramref name="scratch"/> holds one row.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weight, ReadOnlySpan<float> normalized,
        ReadOnlySpan<float> inverseDeviation, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        Span<float> scratch, int rows, int features)
    {
        Span<float> g = scratch.Slice(0, features);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(r * features, features);
            ReadOnlySpan<float> xhat = normalized.Slice(r * features, features);
            TensorPrimitives.MultiplyAdd(dy, xhat, weightGradient, weightGradient);
            TensorPrimitives.Add(biasGradient, dy, biasGradient);
            if (inputGradient.IsEmpty) continue;

            TensorPrimitives.Multiply(dy, weight, g);
            float sum = TensorPrimitives.Sum((ReadOnlySpan<float>)g);
            float dot = TensorPrimitives.Dot(g, xhat);
            Span<float> dx = inputGradient.Slice(r * features, features);
            // dx = inv · (g − (Σg + x̂ · Σ(g ⊙ x̂)) / N)
            TensorPrimitives.Multiply(xhat, dot / features, dx);
            TensorPrimitives.Add(dx, sum / features, dx);
            TensorPrimitives.Subtract(g, dx, dx);
            TensorPrimitives.Multiply(dx, inverseDeviation[r], dx);
        }
    }
}
