namespace Unroll;

/// <summary>
/// AdamW, exactly as <c>torch.optim.AdamW</c> (PyTorch 1.13): Adam with decoupled weight decay,
/// <c>θ ← θ·(1 − lr·weightDecay)</c> before the Adam update, instead of an L2 term in the gradient.
/// The update and the <see cref="Adam.State"/> layout are otherwise <see cref="Adam"/>'s.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer for a block of <paramref name="parameterCount"/> parameters (a model's <c>ParameterCount</c>), with PyTorch's defaults.</summary>
    /// <param name="parameterCount">The length of the parameter and gradient spans <see cref="Adam.Step"/> takes.</param>
    /// <param name="learningRate">lr, ≥ 0; 1e-3 by default.</param>
    /// <param name="beta1">β₁, in [0, 1); 0.9 by default.</param>
    /// <param name="beta2">β₂, in [0, 1); 0.999 by default.</param>
    /// <param name="epsilon">ε, ≥ 0; 1e-8 by default.</param>
    /// <param name="weightDecay">The decoupled weight decay, ≥ 0; 1e-2 by default.</param>
    /// <param name="amsgrad">Use the AMSGrad variant; off by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or hyper-parameter is out of its range, NaN or infinite.</exception>
    public AdamW(int parameterCount, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
        float weightDecay = 1e-2f, bool amsgrad = false)
        : base(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}
