namespace Unroll;

/// <summary>
/// An optimizer over a model's flat <c>(Parameters, Gradients)</c> blocks, with the update rule of the
/// <c>torch.optim</c> class of the same name (PyTorch 1.13, single-tensor path, <c>maximize=False</c>).
/// </summary>
/// <remarks>
/// <para>Every buffer the optimizer keeps per parameter lives in <see cref="State"/>, one contiguous
/// block allocated by the constructor; <see cref="Step"/> allocates nothing. A checkpoint saves
/// <see cref="State"/> and <see cref="StepCount"/> (and <see cref="LearningRate"/> unless a schedule
/// sets it) and restores them into an optimizer constructed with the same arguments:</para>
/// <code>
/// float[] saved = optimizer.State.ToArray(); long steps = optimizer.StepCount;    // save
/// saved.CopyTo(restored.State); restored.StepCount = steps;                      // restore, bit for bit
/// </code>
/// </remarks>
public interface IOptimizer
{
    /// <summary>The learning rate the next <see cref="Step"/> uses (PyTorch's <c>param_group['lr']</c>); a schedule may change it between steps.</summary>
    float LearningRate { get; set; }

    /// <summary>The number of steps taken so far (PyTorch's <c>state['step']</c>); settable to restore a checkpoint.</summary>
    long StepCount { get; set; }

    /// <summary>Every per-parameter buffer, one block (its layout is documented on each optimizer); empty when the optimizer keeps none.</summary>
    Span<float> State { get; }

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout, as a model's <c>Parameters</c> and <c>Gradients</c>) and adds one to <see cref="StepCount"/>.</summary>
    /// <exception cref="ArgumentException">A span's length is not the parameter count given to the constructor.</exception>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}

/// <summary>Argument checks shared by the optimizers.</summary>
internal static class OptimizerArguments
{
    public static void ParameterCount(int parameterCount)
    {
        if (parameterCount < 0) throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "The parameter count must not be negative.");
    }

    /// <summary>A hyper-parameter that PyTorch requires to be ≥ 0 (NaN and infinity are refused too).</summary>
    public static float NonNegative(float value, string name)
    {
        if (!(value >= 0f) || float.IsPositiveInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"The {name} must be finite and not negative.");
        return value;
    }

    /// <summary>A moving-average coefficient, in [0, 1) as PyTorch requires of Adam's betas.</summary>
    public static float Beta(float value, string name)
    {
        if (!(value >= 0f && value < 1f)) throw new ArgumentOutOfRangeException(name, value, $"The {name} must be in [0, 1).");
        return value;
    }

    public static long StepCount(long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "The step count must not be negative.");
        return value;
    }

    public static void Spans(Span<float> parameters, ReadOnlySpan<float> gradients, int count)
    {
        if (parameters.Length != count)
            throw new ArgumentException($"Expected {count} parameters (the optimizer's parameter count), got {parameters.Length}.", nameof(parameters));
        if (gradients.Length != count)
            throw new ArgumentException($"Expected {count} gradients (the optimizer's parameter count), got {gradients.Length}.", nameof(gradients));
    }
}
