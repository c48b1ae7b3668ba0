using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// Gradient clipping over a model's flat <c>Gradients</c> block, as <c>torch.nn.utils</c>'s
/// <c>clip_grad_norm_</c> and <c>clip_grad_value_</c>. Call it between <c>Backward</c> and the
/// optimizer's <c>Step</c>; it works in place and allocates nothing.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales the gradients so that their total norm is at most <paramref name="maxNorm"/>, as
    /// <c>torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type)</c>: the norm is taken over
    /// all gradients together (as if concatenated), and when <c>maxNorm / (total + 1e-6)</c> is below 1
    /// every gradient is multiplied by it.
    /// </summary>
    /// <param name="gradients">The gradients, changed in place.</param>
    /// <param name="maxNorm">The largest norm allowed, ≥ 0.</param>
    /// <param name="normType">p of the p-norm <c>(Σ |g|ᵖ)^(1/p)</c>: positive, 2 by default; <see cref="float.PositiveInfinity"/> for the largest magnitude.</param>
    /// <returns>The total norm of the gradients before clipping (what <c>clip_grad_norm_</c> returns); 0 for an empty span.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is not positive (or is NaN).</exception>
    public static float ByNorm(Span<float> gradients, float maxNorm, float normType = 2f)
    {
        if (!(maxNorm >= 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must not be negative.");
        if (!(normType > 0f)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "The norm type must be positive, or float.PositiveInfinity.");
        if (gradients.IsEmpty) return 0f;

        float total = normType switch
        {
            float.PositiveInfinity => MathF.Abs(TensorPrimitives.MaxMagnitude((ReadOnlySpan<float>)gradients)),
            2f => TensorPrimitives.Norm((ReadOnlySpan<float>)gradients),
            1f => TensorPrimitives.SumOfMagnitudes((ReadOnlySpan<float>)gradients),
            _ => PNorm(gradients, normType),
        };
        float clipCoefficient = maxNorm / (total + 1e-6f);   // in float32, as PyTorch computes it on tensors
        if (clipCoefficient < 1f) TensorPrimitives.Multiply(gradients, clipCoefficient, gradients);
        return total;
    }

    /// <summary>
    /// Clamps every gradient into <c>[−clipValue, clipValue]</c>, as
    /// <c>torch.nn.utils.clip_grad_value_(parameters, clip_value)</c>.
    /// </summary>
    /// <param name="gradients">The gradients, changed in place.</param>
    /// <param name="clipValue">The largest magnitude allowed, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ByValue(Span<float> gradients, float clipValue)
    {
        if (!(clipValue >= 0f)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "The clip value must not be negative.");
        TensorPrimitives.Max(gradients, -clipValue, gradients);
        TensorPrimitives.Min(gradients, clipValue, gradients);
    }

    /// <summary>(Σ |g|ᵖ)^(1/p), accumulated in double.</summary>
    private static float PNorm(ReadOnlySpan<float> gradients, double p)
    {
        double sum = 0;
        foreach (float g in gradients) sum += Math.Pow(Math.Abs(g), p);
        return (float)Math.Pow(sum, 1 / p);
    }
}
