namespace Unroll;

/// <summary>
/// A learning-rate schedule: the rate to train with at each step, as a pure function of the step
/// index, so a resumed run needs nothing but its step count.
/// </summary>
/// <remarks>
/// <para>Step 0 is the first optimizer step. <c>LearningRate(k)</c> is the rate PyTorch's optimizer
/// holds during the k-th (0-based) <c>optimizer.step()</c> when <c>scheduler.step()</c> is called once
/// after each one (once per epoch, if you count epochs instead). A training loop sets it before
/// each step:</para>
/// <code>
/// var optimizer = new Adam(Model.ParameterCount, learningRate: 3e-3f);
/// var schedule = new CosineAnnealingLR(optimizer.LearningRate, tMax: totalSteps);
/// for (long step = optimizer.StepCount; step &lt; totalSteps; step++)
/// {
///     schedule.Apply(optimizer, step);       // optimizer.LearningRate = schedule.LearningRate(step)
///     ... forward, loss, ZeroGradients, backward, clipping ...
///     optimizer.Step(model.Parameters, model.Gradients);
/// }
/// </code>
/// <para>To warm up and then decay, pick by step:
/// <c>step &lt; warmup ? warm.LearningRate(step) : decay.LearningRate(step - warmup)</c>
/// (PyTorch's <c>SequentialLR</c>).</para>
/// </remarks>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step (or epoch) <paramref name="step"/>, counting from 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    float LearningRate(long step);
}

/// <summary>Helpers for <see cref="ILearningRateSchedule"/>.</summary>
public static class LearningRateSchedule
{
    /// <summary>Sets <paramref name="optimizer"/>'s learning rate to the schedule's rate for <paramref name="step"/>; call it before <see cref="IOptimizer.Step"/>.</summary>
    public static void Apply(this ILearningRateSchedule schedule, IOptimizer optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LearningRate = schedule.LearningRate(step);
    }

    internal static void CheckStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must not be negative.");
    }

    internal static float CheckBase(float baseLearningRate)
    {
        if (!(baseLearningRate >= 0f) || float.IsPositiveInfinity(baseLearningRate))
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "The base learning rate must be finite and not negative.");
        return baseLearningRate;
    }

    internal static int CheckPositive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"The {name} must be positive.");
        return value;
    }
}

/// <summary>
/// Decays the rate by <c>gamma</c> every <c>stepSize</c> steps, as <c>torch.optim.lr_scheduler.StepLR</c>:
/// <c>lr(k) = base · gamma^⌊k / stepSize⌋</c>.
/// </summary>
public sealed class StepLR : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLearningRate">The rate at step 0 (PyTorch takes the optimizer's initial <c>lr</c>).</param>
    /// <param name="stepSize">The period of the decay, in steps; positive.</param>
    /// <param name="gamma">The factor applied at each period; 0.1 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is negative, not finite, or <paramref name="stepSize"/> is not positive.</exception>
    public StepLR(float baseLearningRate, int stepSize, float gamma = 0.1f)
    {
        BaseLearningRate = LearningRateSchedule.CheckBase(baseLearningRate);
        StepSize = LearningRateSchedule.CheckPositive(stepSize, nameof(stepSize));
        if (!(gamma >= 0f) || float.IsPositiveInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "The gamma must be finite and not negative.");
        Gamma = gamma;
    }

    /// <summary>The rate at step 0.</summary>
    public float BaseLearningRate { get; }

    /// <summary>The period of the decay, in steps.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public float LearningRate(long step)
    {
        LearningRateSchedule.CheckStep(step);
        return (float)(BaseLearningRate * Math.Pow(Gamma, step / StepSize));
    }
}

/// <summary>
/// Cosine annealing from the base rate down to <c>etaMin</c> over <c>tMax</c> steps, as
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>:
/// <c>lr(k) = etaMin + (base − etaMin)·(1 + cos(π·k / tMax)) / 2</c>. Past <c>tMax</c> the rate
/// rises again along the same cosine, as PyTorch's (recursive) schedule does.
/// </summary>
public sealed class CosineAnnealingLR : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLearningRate">The rate at step 0, η_max (PyTorch takes the optimizer's initial <c>lr</c>).</param>
    /// <param name="tMax">T_max, the number of steps to reach <paramref name="etaMin"/>; positive.</param>
    /// <param name="etaMin">η_min, the lowest rate; 0 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative or not finite, or <paramref name="tMax"/> is not positive.</exception>
    public CosineAnnealingLR(float baseLearningRate, int tMax, float etaMin = 0f)
    {
        BaseLearningRate = LearningRateSchedule.CheckBase(baseLearningRate);
        TMax = LearningRateSchedule.CheckPositive(tMax, nameof(tMax));
        if (!(etaMin >= 0f) || float.IsPositiveInfinity(etaMin)) throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "The minimum rate must be finite and not negative.");
        EtaMin = etaMin;
    }

    /// <summary>η_max, the rate at step 0.</summary>
    public float BaseLearningRate { get; }

    /// <summary>T_max, the number of steps from η_max to η_min.</summary>
    public int TMax { get; }

    /// <summary>η_min, the lowest rate.</summary>
    public float EtaMin { get; }

    /// <inheritdoc/>
    public float LearningRate(long step)
    {
        LearningRateSchedule.CheckStep(step);
        double phase = step % (2L * TMax);   // the cosine's period; keeps the argument small
        return (float)(EtaMin + ((double)BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * phase / TMax)) / 2);
    }
}

/// <summary>
/// A linear change of the rate's factor from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> steps, then constant: the usual linear warm-up. As
/// <c>torch.optim.lr_scheduler.LinearLR</c>:
/// <c>lr(k) = base · (startFactor + (endFactor − startFactor) · min(k, totalIters) / totalIters)</c>.
/// </summary>
public sealed class LinearLR : ILearningRateSchedule
{
    /// <summary>Creates the schedule, with PyTorch's defaults (a warm-up from a third of the rate over 5 steps).</summary>
    /// <param name="baseLearningRate">The rate the factors multiply (PyTorch takes the optimizer's initial <c>lr</c>).</param>
    /// <param name="startFactor">The factor at step 0, in (0, 1]; 1/3 by default.</param>
    /// <param name="endFactor">The factor from step <paramref name="totalIters"/> on, in [0, 1]; 1 by default.</param>
    /// <param name="totalIters">The number of steps the change takes; positive, 5 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public LinearLR(float baseLearningRate, float startFactor = 1f / 3, float endFactor = 1f, int totalIters = 5)
    {
        BaseLearningRate = LearningRateSchedule.CheckBase(baseLearningRate);
        // PyTorch 1.13 accepts a start factor of 0 but then divides by zero in its recursive form;
        // later versions require it to be positive, as here.
        if (!(startFactor > 0f && startFactor <= 1f)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "The start factor must be in (0, 1].");
        if (!(endFactor >= 0f && endFactor <= 1f)) throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, "The end factor must be in [0, 1].");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = LearningRateSchedule.CheckPositive(totalIters, nameof(totalIters));
    }

    /// <summary>The rate the factors multiply.</summary>
    public float BaseLearningRate { get; }

    /// <summary>The factor at step 0.</summary>
    public float StartFactor { get; }

    /// <summary>The factor from step <see cref="TotalIters"/> on.</summary>
    public float EndFactor { get; }

    /// <summary>The number of steps the change takes.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    public float LearningRate(long step)
    {
        LearningRateSchedule.CheckStep(step);
        double progress = (double)Math.Min(step, TotalIters) / TotalIters;
        return (float)(BaseLearningRate * (StartFactor + ((double)EndFactor - StartFactor) * progress));
    }
}
