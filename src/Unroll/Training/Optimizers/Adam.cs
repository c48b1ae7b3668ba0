using System.Numerics;

namespace Unroll;

/// <summary>
/// Adam, exactly as <c>torch.optim.Adam</c> (PyTorch 1.13, single-tensor path). At step t (counting
/// from 1), for each parameter θ with gradient g:
/// <code>
/// g  = g + weightDecay·θ                              (Adam: L2 penalty, if weightDecay ≠ 0)
/// θ  = θ·(1 − lr·weightDecay)                         (AdamW instead: decoupled decay)
/// m  = β₁·m + (1 − β₁)·g
/// v  = β₂·v + (1 − β₂)·g²
/// v̂ = amsgrad ? (vmax = max(vmax, v)) : v
/// θ  = θ − lr / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// </code>
/// <see cref="State"/> holds m (<c>exp_avg</c>), then v (<c>exp_avg_sq</c>), then, with amsgrad,
/// vmax (<c>max_exp_avg_sq</c>): <see cref="ParameterCount"/> values each, all zero at the start.
/// The bias corrections are computed in double, as PyTorch computes them in Python.
/// </summary>
public class Adam : IOptimizer
{
    private readonly float[] _state;
    private readonly bool _decoupledWeightDecay;
    private float _learningRate;
    private long _stepCount;

    /// <summary>Creates the optimizer for a block of <paramref name="parameterCount"/> parameters (a model's <c>ParameterCount</c>), with PyTorch's defaults.</summary>
    /// <param name="parameterCount">The length of the parameter and gradient spans <see cref="Step"/> takes.</param>
    /// <param name="learningRate">lr, ≥ 0; 1e-3 by default.</param>
    /// <param name="beta1">β₁, the decay of the gradient's running average, in [0, 1); 0.9 by default.</param>
    /// <param name="beta2">β₂, the decay of the squared gradient's running average, in [0, 1); 0.999 by default.</param>
    /// <param name="epsilon">ε, added to the denominator, ≥ 0; 1e-8 by default.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, ≥ 0; 0 by default.</param>
    /// <param name="amsgrad">Use the maximum of all second-moment averages so far (AMSGrad); off by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or hyper-parameter is out of its range, NaN or infinite.</exception>
    public Adam(int parameterCount, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
        float weightDecay = 0f, bool amsgrad = false)
        : this(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    private protected Adam(int parameterCount, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool amsgrad, bool decoupledWeightDecay)
    {
        OptimizerArguments.ParameterCount(parameterCount);
        LearningRate = learningRate;
        Beta1 = OptimizerArguments.Beta(beta1, nameof(beta1));
        Beta2 = OptimizerArguments.Beta(beta2, nameof(beta2));
        Epsilon = OptimizerArguments.NonNegative(epsilon, nameof(epsilon));
        WeightDecay = OptimizerArguments.NonNegative(weightDecay, nameof(weightDecay));
        Amsgrad = amsgrad;
        ParameterCount = parameterCount;
        _decoupledWeightDecay = decoupledWeightDecay;
        _state = new float[(amsgrad ? 3L : 2L) * parameterCount];
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

    /// <summary>β₁, the decay of the gradient's running average.</summary>
    public float Beta1 { get; }

    /// <summary>β₂, the decay of the squared gradient's running average.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>The weight decay: an L2 penalty for <see cref="Adam"/>, decoupled for <see cref="AdamW"/>.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    /// <remarks>The bias corrections of the next step use <c>t = StepCount + 1</c>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long StepCount
    {
        get => _stepCount;
        set => _stepCount = OptimizerArguments.StepCount(value);
    }

    /// <summary><c>[exp_avg | exp_avg_sq | max_exp_avg_sq (amsgrad only)]</c>, <see cref="ParameterCount"/> values each.</summary>
    public Span<float> State => _state;

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        OptimizerArguments.Spans(parameters, gradients, ParameterCount);
        int n = ParameterCount;
        Span<float> m = _state.AsSpan(0, n), v = _state.AsSpan(n, n);
        Span<float> vMax = Amsgrad ? _state.AsSpan(2 * n, n) : default;

        long t = StepCount + 1;
        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(Beta2, t);
        float negativeStepSize = (float)(-(LearningRate / biasCorrection1));
        float biasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float decay = (float)(1 - (double)LearningRate * WeightDecay);   // AdamW's θ *= 1 − lr·wd
        float l2 = _decoupledWeightDecay ? 0f : WeightDecay;
        float beta1 = Beta1, beta2 = Beta2, oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2, epsilon = Epsilon;
        bool decoupled = _decoupledWeightDecay, amsgrad = Amsgrad;

        // The same float operations, in the same order, in SIMD lanes and then in the scalar tail, so the
        // result does not depend on the vector width. Comments give PyTorch's tensor operations.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(gradients[i..]);
                var p = new Vector<float>(parameters[i..]);
                if (decoupled) p *= decay;                                                  // param.mul_(1 − lr·wd)
                else if (l2 != 0f) g += l2 * p;                                             // grad.add(param, alpha=wd)
                var mi = new Vector<float>(m[i..]) * beta1 + oneMinusBeta1 * g;             // exp_avg.mul_(β₁).add_(grad, alpha=1 − β₁)
                var vi = new Vector<float>(v[i..]) * beta2 + oneMinusBeta2 * g * g;         // exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value=1 − β₂)
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                if (amsgrad)
                {
                    vi = Vector.Max(new Vector<float>(vMax[i..]), vi);                      // torch.maximum(max_exp_avg_sq, exp_avg_sq)
                    vi.CopyTo(vMax[i..]);
                }
                var denominator = Vector.SquareRoot(vi) / biasCorrection2Sqrt + new Vector<float>(epsilon);
                (p + negativeStepSize * mi / denominator).CopyTo(parameters[i..]);          // param.addcdiv_(exp_avg, denom, value=−step_size)
            }
        }
        for (; i < n; i++)
        {
            float g = gradients[i];
            if (decoupled) parameters[i] *= decay;
            else if (l2 != 0f) g += l2 * parameters[i];
            m[i] = m[i] * beta1 + oneMinusBeta1 * g;
            v[i] = v[i] * beta2 + oneMinusBeta2 * g * g;
            float second = amsgrad ? (vMax[i] = MathF.Max(vMax[i], v[i])) : v[i];
            float denominator = MathF.Sqrt(second) / biasCorrection2Sqrt + epsilon;
            parameters[i] += negativeStepSize * m[i] / denominator;
        }
        StepCount = t;
    }
}
