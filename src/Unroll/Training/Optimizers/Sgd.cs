using System.Numerics;
using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (L2) weight
/// decay, exactly as <c>torch.optim.SGD</c> (PyTorch 1.13). For each parameter θ with gradient g:
/// <code>
/// d = g + weightDecay·θ                                   (if weightDecay ≠ 0)
/// b = d on the first step, else momentum·b + (1 − dampening)·d   (if momentum ≠ 0)
/// d = nesterov ? d + momentum·b : b                       (if momentum ≠ 0)
/// θ = θ − lr·d
/// </code>
/// <see cref="State"/> holds the momentum buffer b (one value per parameter), or nothing when momentum is 0.
/// </summary>
public sealed class Sgd : IOptimizer
{
    private readonly float[] _momentumBuffer;
    private float _learningRate;
    private long _stepCount;

    /// <summary>Creates the optimizer for a block of <paramref name="parameterCount"/> parameters (a model's <c>ParameterCount</c>).</summary>
    /// <param name="parameterCount">The length of the parameter and gradient spans <see cref="Step"/> takes.</param>
    /// <param name="learningRate">lr, ≥ 0 (PyTorch has no default).</param>
    /// <param name="momentum">Momentum factor, ≥ 0; 0 (PyTorch's default) keeps no state.</param>
    /// <param name="dampening">Dampening for momentum; 0 by default.</param>
    /// <param name="nesterov">Nesterov momentum; needs a positive momentum and zero dampening, as in PyTorch.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, ≥ 0; 0 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or hyper-parameter is negative, NaN or infinite.</exception>
    /// <exception cref="ArgumentException"><paramref name="nesterov"/> without a positive momentum and zero dampening.</exception>
    public Sgd(int parameterCount, float learningRate, float momentum = 0f, float dampening = 0f, bool nesterov = false, float weightDecay = 0f)
    {
        OptimizerArguments.ParameterCount(parameterCount);
        LearningRate = learningRate;
        Momentum = OptimizerArguments.NonNegative(momentum, nameof(momentum));
        if (!float.IsFinite(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "The dampening must be finite.");
        Dampening = dampening;
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new ArgumentException($"Nesterov momentum requires a momentum and zero dampening (got momentum {momentum}, dampening {dampening}).", nameof(nesterov));
        Nesterov = nesterov;
        WeightDecay = OptimizerArguments.NonNegative(weightDecay, nameof(weightDecay));
        ParameterCount = parameterCount;
        _momentumBuffer = momentum == 0f ? [] : new float[parameterCount];
    }

    /// <summary>The number of parameters <see cref="Step"/> updates.</summary>
    public int ParameterCount { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerArguments.NonNegative(value, "learningRate");
    }

    /// <summary>The momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>The dampening for momentum.</summary>
    public float Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 penalty.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    /// <remarks>While it is 0 the next step initialises the momentum buffer to the gradient, as PyTorch does when <c>momentum_buffer</c> is <c>None</c>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long StepCount
    {
        get => _stepCount;
        set => _stepCount = OptimizerArguments.StepCount(value);
    }

    /// <summary>The momentum buffer (PyTorch's <c>momentum_buffer</c>), <see cref="ParameterCount"/> values; empty when <see cref="Momentum"/> is 0.</summary>
    public Span<float> State => _momentumBuffer;

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        OptimizerArguments.Spans(parameters, gradients, ParameterCount);
        float lr = LearningRate, momentum = Momentum, weightDecay = WeightDecay, keep = 1f - Dampening;
        if (momentum == 0f && weightDecay == 0f)
        {
            TensorPrimitives.MultiplyAdd(gradients, -lr, parameters, parameters);   // θ += −lr·g
        }
        else
        {
            Span<float> buffer = _momentumBuffer;
            bool first = StepCount == 0, nesterov = Nesterov;
            // The same float operations in SIMD lanes and in the scalar tail: the result does not depend on the vector width.
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= parameters.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var d = new Vector<float>(gradients[i..]);
                    var p = new Vector<float>(parameters[i..]);
                    if (weightDecay != 0f) d += weightDecay * p;                                   // d_p.add(param, alpha=wd)
                    if (momentum != 0f)
                    {
                        var b = first ? d : new Vector<float>(buffer[i..]) * momentum + keep * d;  // buf.mul_(μ).add_(d_p, alpha=1 − dampening)
                        b.CopyTo(buffer[i..]);
                        d = nesterov ? d + momentum * b : b;                                       // d_p.add(buf, alpha=μ)
                    }
                    (p + -lr * d).CopyTo(parameters[i..]);                                         // param.add_(d_p, alpha=−lr)
                }
            }
            for (; i < parameters.Length; i++)
            {
                float d = gradients[i];
                if (weightDecay != 0f) d += weightDecay * parameters[i];
                if (momentum != 0f)
                {
                    float b = first ? d : buffer[i] * momentum + keep * d;
                    buffer[i] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                parameters[i] += -lr * d;
            }
        }
        StepCount++;
    }
}
