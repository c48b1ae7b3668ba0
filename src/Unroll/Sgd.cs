using System.Numerics.Tensors;

namespace Unroll;

/// <summary>Plain stochastic gradient descent, <c>θ ← θ − lr · ∂θ</c>, as <c>torch.optim.SGD</c> with its defaults.</summary>
public sealed class Sgd
{
    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not positive and finite.</exception>
    public Sgd(float learningRate)
    {
        if (!(learningRate > 0f) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        LearningRate = learningRate;
    }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout, as a model's <c>Parameters</c> and <c>Gradients</c>).</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"Expected {parameters.Length} gradients (as many as parameters), got {gradients.Length}.", nameof(gradients));
        TensorPrimitives.MultiplyAdd(gradients, -LearningRate, parameters, parameters);
    }
}
