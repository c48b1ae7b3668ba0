using System.Numerics.Tensors;

namespace Unroll;

/// <summary>How a loss reduces its per-element values to one number, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary><c>reduction='mean'</c>: the sum divided by the number of elements (for cross-entropy: by the number of rows that are not ignored).</summary>
    Mean,

    /// <summary><c>reduction='sum'</c>: the plain sum.</summary>
    Sum,
}

/// <summary>
/// Loss functions that return the loss and write its gradient with respect to the prediction (the
/// logits), as <c>torch.nn.functional</c> defines them: same formulas, same defaults, same reductions.
/// Each checks its arguments first (an <see cref="ArgumentException"/> names the argument and both
/// sizes) and changes nothing when they are wrong; it allocates nothing. Cross-entropy and BCE
/// accumulate the loss in double.
/// </summary>
public static partial class Loss
{
    /// <summary>
    /// Mean squared error as <c>F.mse_loss(prediction, target, reduction)</c>: <c>Σ (prediction − target)²</c>,
    /// divided by N for <see cref="Reduction.Mean"/> (the default). Writes <c>2 (prediction − target)</c>
    /// (divided by N for the mean) into <paramref name="gradient"/>.
    /// </summary>
    /// <param name="prediction">The model's output, any shape, N values.</param>
    /// <param name="target">The wanted output, N values.</param>
    /// <param name="gradient">Receives ∂loss/∂prediction, N values.</param>
    /// <param name="reduction">Mean (PyTorch's default) or sum.</param>
    /// <exception cref="ArgumentException">The spans' lengths differ, or are zero.</exception>
    public static float MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, Reduction reduction = Reduction.Mean)
    {
        if (prediction.IsEmpty) throw new ArgumentException("The prediction is empty.", nameof(prediction));
        CheckLength(target, prediction.Length, nameof(target), "target values (as many as the prediction)");
        CheckLength(gradient, prediction.Length, nameof(gradient), "gradient values (as many as the prediction)");
        CheckReduction(reduction);

        TensorPrimitives.Subtract(prediction, target, gradient);
        float loss = TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)gradient);
        if (reduction == Reduction.Mean) loss /= prediction.Length;
        TensorPrimitives.Multiply(gradient, reduction == Reduction.Mean ? 2f / prediction.Length : 2f, gradient);
        return loss;
    }

    /// <summary>
    /// Cross-entropy of class scores against class indices, as
    /// <c>F.cross_entropy(logits, targets, reduction=..., ignore_index=..., label_smoothing=...)</c>,
    /// with the softmax fused in and computed stably (the row's maximum is subtracted first).
    /// </summary>
    /// <remarks>
    /// For a row with logits z, log-probabilities <c>log p = z − logsumexp(z)</c>, target y and
    /// smoothing ε, PyTorch's loss is <c>(1 − ε)·(−log p_y) + (ε / C)·Σ_c (−log p_c)</c>; its gradient
    /// is <c>p − (1 − ε)·onehot(y) − ε / C</c>. Rows whose target is <paramref name="ignoreIndex"/>
    /// add nothing and get a zero gradient. <see cref="Reduction.Mean"/> divides by the number of rows
    /// that are not ignored, for both terms (so a batch in which every row is ignored gives NaN, as in
    /// PyTorch, and a zero gradient).
    /// </remarks>
    /// <param name="logits">Unnormalised scores <c>[N, classes]</c>, row-major (a model's output, for example <c>[batch, time, classes]</c>).</param>
    /// <param name="targets">The class index of each of the N rows, or <paramref name="ignoreIndex"/> for padding.</param>
    /// <param name="gradient">Receives ∂loss/∂logits, <c>[N, classes]</c>; every row is written.</param>
    /// <param name="classes">C, the number of classes (the length of a row).</param>
    /// <param name="reduction">Mean over the rows that are not ignored (PyTorch's default), or sum.</param>
    /// <param name="ignoreIndex">A target value that marks a row to skip; −100 as in PyTorch.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target becomes <c>(1 − ε)·onehot(y) + ε / C</c>; 0 (none) by default.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The spans' lengths do not match <c>N × classes</c>, or N is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, a target is outside [0, classes) and not <paramref name="ignoreIndex"/>, or <paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient, int classes,
        Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f) =>
        CrossEntropy(logits, targets, gradient, classes, ReadOnlySpan<float>.Empty, reduction, ignoreIndex, labelSmoothing);

    /// <summary>
    /// As <see cref="CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, int, Reduction, int, float)"/>, with a
    /// weight per class, as <c>F.cross_entropy(logits, targets, weight=classWeights, …)</c>: row n counts
    /// <c>w[y_n]</c> times, the smoothing term weighs class c by <c>w[c]</c>, and <see cref="Reduction.Mean"/> divides by
    /// <c>Σ w[y_n]</c> over the rows that are not ignored (PyTorch's weighted mean), for both terms.
    /// </summary>
    /// <param name="logits">Unnormalised scores <c>[N, classes]</c>, row-major.</param>
    /// <param name="targets">The class index of each of the N rows, or <paramref name="ignoreIndex"/> for padding.</param>
    /// <param name="gradient">Receives ∂loss/∂logits, <c>[N, classes]</c>; every row is written.</param>
    /// <param name="classes">C, the number of classes.</param>
    /// <param name="classWeights">One weight per class (PyTorch's <c>weight</c>), or empty for every weight 1.</param>
    /// <param name="reduction">The weighted mean over the rows that are not ignored (PyTorch's default), or the sum.</param>
    /// <param name="ignoreIndex">A target value that marks a row to skip; −100 as in PyTorch.</param>
    /// <param name="labelSmoothing">ε in [0, 1]; 0 (none) by default.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor <paramref name="classes"/> long, or as the other overload.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As the other overload.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The required classWeights span tells the two overloads apart; the optional arguments are PyTorch's, in its order.")]
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient, int classes,
        ReadOnlySpan<float> classWeights, Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        if (targets.IsEmpty) throw new ArgumentException("The targets are empty.", nameof(targets));
        if ((long)targets.Length * classes != logits.Length)
            throw new ArgumentException($"Expected {targets.Length} rows x {classes} classes = {(long)targets.Length * classes} logits (one row per target), got {logits.Length}.", nameof(logits));
        CheckLength(gradient, logits.Length, nameof(gradient), "gradient values (as many as the logits)");
        CheckReduction(reduction);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "The label smoothing must be in [0, 1].");
        bool weighted = !classWeights.IsEmpty;
        if (weighted && classWeights.Length != classes)
            throw new ArgumentException($"Expected one weight per class ({classes}), got {classWeights.Length}.", nameof(classWeights));
        double counted = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            int y = targets[n];
            if (y == ignoreIndex) continue;
            if ((uint)y >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), y, $"Target {n} is {y}: expected a class in [0, {classes}) or the ignore index {ignoreIndex}.");
            counted += weighted ? classWeights[y] : 1;
        }

        // Mean: both terms are divided by the rows that count (their weights' sum); 0/0 = NaN when none does.
        double divisor = reduction == Reduction.Mean ? counted : 1;
        float weightSum = weighted ? TensorPrimitives.Sum(classWeights) : classes;
        float scale = (float)(1 / divisor);
        float smoothing = labelSmoothing / classes;
        double total = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            ReadOnlySpan<float> z = logits.Slice(n * classes, classes);
            Span<float> g = gradient.Slice(n * classes, classes);
            int y = targets[n];
            if (y == ignoreIndex)
            {
                g.Clear();
                continue;
            }

            // With m = max z and s = Σ exp(z − m): −log p_c = log s + (m − z_c) ≥ 0, so the row's loss
            // (1 − ε)(−log p_y) + (ε / C) Σ_c (−log p_c) = log s + (1 − ε)(m − z_y) − (ε / C) Σ_c (z_c − m).
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, g);
            if (weighted)
            {
                // With weights w (W their sum): the row's loss w_y (1 − ε)(−log p_y) + (ε / C) Σ_c w_c (−log p_c)
                // = (1 − ε) w_y (log s + m − z_y) + (ε / C)(W log s − Σ_c w_c (z_c − m)); its gradient is
                // (1 − ε) w_y (p − onehot(y)) + (ε / C)(W p − w).
                double weightedShift = labelSmoothing != 0f ? TensorPrimitives.Dot((ReadOnlySpan<float>)g, classWeights) : 0;
                TensorPrimitives.Exp(g, g);
                double s = TensorPrimitives.Sum((ReadOnlySpan<float>)g), logS = Math.Log(s);
                float wy = classWeights[y];
                total += (1.0 - labelSmoothing) * wy * (logS + (double)max - z[y]) + labelSmoothing / (double)classes * (weightSum * logS - weightedShift);
                TensorPrimitives.Multiply(g, (float)(scale * ((1.0 - labelSmoothing) * wy + labelSmoothing / (double)classes * weightSum) / s), g);
                if (labelSmoothing != 0f) TensorPrimitives.MultiplyAdd(classWeights, -smoothing * scale, g, g);
                g[y] -= (1f - labelSmoothing) * wy * scale;
                continue;
            }
            double shiftedSum = labelSmoothing != 0f ? TensorPrimitives.Sum((ReadOnlySpan<float>)g) : 0;
            TensorPrimitives.Exp(g, g);   // g = exp(z − m) = s · p
            double sum = TensorPrimitives.Sum((ReadOnlySpan<float>)g);
            total += Math.Log(sum) + (1.0 - labelSmoothing) * ((double)max - z[y]) - labelSmoothing / (double)classes * shiftedSum;

            // scale · (p − ε/C − (1 − ε)·onehot(y))
            TensorPrimitives.Multiply(g, (float)(scale / sum), g);
            if (labelSmoothing != 0f) TensorPrimitives.Subtract(g, smoothing * scale, g);
            g[y] -= (1f - labelSmoothing) * scale;
        }
        return (float)(total / divisor);
    }

    /// <summary>
    /// Binary cross-entropy of logits against probabilities, as
    /// <c>F.binary_cross_entropy_with_logits(logits, targets, reduction=..., pos_weight=...)</c>, in
    /// PyTorch's stable form: per element <c>(1 − t)·x + (1 + (w − 1)·t)·softplus(−x)</c>, which is
    /// <c>−w·t·log σ(x) − (1 − t)·log(1 − σ(x))</c>; the gradient is <c>(w·t + 1 − t)·σ(x) − w·t</c>.
    /// </summary>
    /// <param name="logits">The scores x, any shape, N values.</param>
    /// <param name="targets">The wanted probabilities t (usually 0 or 1), N values.</param>
    /// <param name="gradient">Receives ∂loss/∂logits, N values.</param>
    /// <param name="reduction">Mean over all N elements (PyTorch's default), or sum.</param>
    /// <param name="positiveWeight">
    /// PyTorch's <c>pos_weight</c> w, the weight of positive examples, broadcast over the last
    /// dimension: element i uses <c>positiveWeight[i % positiveWeight.Length]</c> (one weight per
    /// class, or a single weight). Empty (the default) means w = 1.
    /// </param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The spans' lengths differ or are zero, or N is not a multiple of the length of <paramref name="positiveWeight"/>.</exception>
    public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<float> positiveWeight = default)
    {
        if (logits.IsEmpty) throw new ArgumentException("The logits are empty.", nameof(logits));
        CheckLength(targets, logits.Length, nameof(targets), "target values (as many as the logits)");
        CheckLength(gradient, logits.Length, nameof(gradient), "gradient values (as many as the logits)");
        CheckReduction(reduction);
        if (!positiveWeight.IsEmpty && logits.Length % positiveWeight.Length != 0)
            throw new ArgumentException($"Expected positive weights that broadcast over the last dimension of the {logits.Length} logits (a length that divides {logits.Length}), got {positiveWeight.Length}.", nameof(positiveWeight));

        double divisor = reduction == Reduction.Mean ? logits.Length : 1;
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], t = targets[i];
            double w = positiveWeight.IsEmpty ? 1.0 : positiveWeight[i % positiveWeight.Length];
            double e = Math.Exp(-Math.Abs(x));
            double softplusOfMinusX = Math.Max(-x, 0.0) + Math.Log(1.0 + e);     // log(1 + exp(−x)), stable
            double sigmoid = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            total += (1.0 - t) * x + (1.0 + (w - 1.0) * t) * softplusOfMinusX;
            gradient[i] = (float)(((w * t + 1.0 - t) * sigmoid - w * t) / divisor);
        }
        return (float)(total / divisor);
    }

    private static void CheckLength<T>(ReadOnlySpan<T> span, int expected, string name, string what)
    {
        if (span.Length != expected) throw new ArgumentException($"Expected {expected} {what}, got {span.Length}.", name);
    }

    private static void CheckLength<T>(Span<T> span, int expected, string name, string what) => CheckLength((ReadOnlySpan<T>)span, expected, name, what);

    private static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Expected Reduction.Mean or Reduction.Sum.");
    }
}
