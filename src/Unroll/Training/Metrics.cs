using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// A classifier's scores as probabilities, as <c>F.softmax</c> and <c>F.log_softmax</c> over the last dimension, each row
/// of <c>[N, classes]</c> stable for any logits; nothing allocated.
/// </summary>
public static class Probabilities
{
    /// <summary><c>p = exp(z − max z) / Σ exp(z − max z)</c> for each row of <paramref name="logits"/>.</summary>
    /// <param name="logits">Scores <c>[N, classes]</c>, row-major (a model's output).</param>
    /// <param name="probabilities">Receives <c>[N, classes]</c>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The logits are not whole rows, or <paramref name="probabilities"/> is shorter.</exception>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int classes)
    {
        int rows = Rows(logits, probabilities.Length, classes, nameof(probabilities));
        for (int n = 0; n < rows; n++)
        {
            Span<float> p = probabilities.Slice(n * classes, classes);
            ReadOnlySpan<float> z = logits.Slice(n * classes, classes);
            TensorPrimitives.Subtract(z, TensorPrimitives.Max(z), p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Divide(p, TensorPrimitives.Sum((ReadOnlySpan<float>)p), p);
        }
    }

    /// <summary><c>log p = z − max z − log Σ exp(z − max z)</c> for each row of <paramref name="logits"/>.</summary>
    /// <param name="logits">Scores <c>[N, classes]</c>, row-major.</param>
    /// <param name="logProbabilities">Receives <c>[N, classes]</c>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The logits are not whole rows, or <paramref name="logProbabilities"/> is shorter.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> logits, Span<float> logProbabilities, int classes)
    {
        int rows = Rows(logits, logProbabilities.Length, classes, nameof(logProbabilities));
        for (int n = 0; n < rows; n++)
        {
            Span<float> y = logProbabilities.Slice(n * classes, classes);
            ReadOnlySpan<float> z = logits.Slice(n * classes, classes);
            float max = TensorPrimitives.Max(z);
            // log Σ exp(z − m), summed in double as the cross-entropy does; then z − m − that.
            double sum = 0;
            foreach (float v in z) sum += Math.Exp(v - max);
            TensorPrimitives.Subtract(z, max, y);
            TensorPrimitives.Subtract(y, (float)Math.Log(sum), y);
        }
    }

    /// <summary>Whole rows of <paramref name="classes"/>, and a destination as long.</summary>
    private static int Rows(ReadOnlySpan<float> logits, int destination, int classes, string destinationName)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        if (logits.Length % classes != 0) throw new ArgumentException($"The {logits.Length} logits are not whole rows of {classes} classes.", nameof(logits));
#pragma warning disable CA2208 // the destination's name is the caller's parameter, passed in
        if (destination < logits.Length) throw new ArgumentException($"{destinationName} holds {destination} values, fewer than the {logits.Length} logits.", destinationName);
#pragma warning restore CA2208
        return logits.Length / classes;
    }
}

/// <summary>
/// How well a classifier does: accuracy, the confusion matrix, and per-class precision, recall and F1 from it (as
/// scikit-learn's <c>precision_recall_fscore_support</c> with <c>zero_division=0</c>). Rows whose target is the ignore
/// index (padding) do not count. Nothing allocated.
/// </summary>
public static class Metrics
{
    /// <summary>The fraction of counted rows whose highest score (the first, on a tie) is their target; NaN when no row counts.</summary>
    /// <param name="logits">Scores <c>[N, classes]</c> (or probabilities: the highest is the same).</param>
    /// <param name="targets">The class of each of the N rows, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classes">The length of a row.</param>
    /// <param name="ignoreIndex">A target that marks a row not to count; −100 as PyTorch's losses.</param>
    /// <exception cref="ArgumentException">The logits are not one row per target.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is not a class nor the ignore index.</exception>
    public static float Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, int ignoreIndex = -100)
    {
        CheckRows(logits, targets, classes, ignoreIndex);
        int counted = 0, right = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            if (targets[n] == ignoreIndex) continue;
            counted++;
            if (Sampling.ArgMax(logits.Slice(n * classes, classes)) == targets[n]) right++;
        }
        return counted == 0 ? float.NaN : (float)right / counted;
    }

    /// <summary>
    /// Adds each counted row to <paramref name="confusion"/> <c>[classes, classes]</c>: row = the target, column = the
    /// predicted class (the highest score). Call it for every batch of an evaluation, then read the totals.
    /// </summary>
    /// <param name="logits">Scores <c>[N, classes]</c>.</param>
    /// <param name="targets">The class of each of the N rows, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classes">The length of a row.</param>
    /// <param name="confusion">The counts, <c>[target, predicted]</c>, added to.</param>
    /// <param name="ignoreIndex">A target that marks a row not to count.</param>
    /// <exception cref="ArgumentException">The logits are not one row per target, or <paramref name="confusion"/> is not <c>classes × classes</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a target is not a class nor the ignore index.</exception>
    public static void ConfusionMatrix(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<long> confusion, int ignoreIndex = -100)
    {
        CheckRows(logits, targets, classes, ignoreIndex);
        if (confusion.Length != (long)classes * classes)
            throw new ArgumentException($"Expected {classes} x {classes} counts, got {confusion.Length}.", nameof(confusion));
        for (int n = 0; n < targets.Length; n++)
        {
            if (targets[n] != ignoreIndex) confusion[targets[n] * classes + Sampling.ArgMax(logits.Slice(n * classes, classes))]++;
        }
    }

    /// <summary>
    /// Per class c, from a confusion matrix: precision = right / predicted c, recall = right / truly c, and F1 their
    /// harmonic mean, each 0 where its denominator is 0 (scikit-learn's <c>zero_division=0</c>).
    /// </summary>
    /// <param name="confusion">Counts <c>[target, predicted]</c>, <c>classes × classes</c>.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="precision">Receives one value per class.</param>
    /// <param name="recall">Receives one value per class.</param>
    /// <param name="f1">Receives one value per class.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public static void PrecisionRecallF1(ReadOnlySpan<long> confusion, int classes, Span<float> precision, Span<float> recall, Span<float> f1)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        if (confusion.Length != (long)classes * classes)
            throw new ArgumentException($"Expected {classes} x {classes} counts, got {confusion.Length}.", nameof(confusion));
        if (precision.Length != classes) throw new ArgumentException($"Expected {classes} values, got {precision.Length}.", nameof(precision));
        if (recall.Length != classes) throw new ArgumentException($"Expected {classes} values, got {recall.Length}.", nameof(recall));
        if (f1.Length != classes) throw new ArgumentException($"Expected {classes} values, got {f1.Length}.", nameof(f1));
        for (int c = 0; c < classes; c++)
        {
            long right = confusion[c * classes + c], truly = 0, predicted = 0;
            for (int k = 0; k < classes; k++)
            {
                truly += confusion[c * classes + k];
                predicted += confusion[k * classes + c];
            }
            double p = predicted == 0 ? 0 : (double)right / predicted, r = truly == 0 ? 0 : (double)right / truly;
            precision[c] = (float)p;
            recall[c] = (float)r;
            f1[c] = p + r == 0 ? 0f : (float)(2 * p * r / (p + r));
        }
    }

    private static void CheckRows(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, int ignoreIndex)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        if ((long)targets.Length * classes != logits.Length)
            throw new ArgumentException($"Expected {targets.Length} rows x {classes} classes = {(long)targets.Length * classes} logits (one row per target), got {logits.Length}.", nameof(logits));
        for (int n = 0; n < targets.Length; n++)
        {
            if (targets[n] != ignoreIndex && (uint)targets[n] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[n], $"Target {n} is {targets[n]}: expected a class in [0, {classes}) or the ignore index {ignoreIndex}.");
        }
    }
}
