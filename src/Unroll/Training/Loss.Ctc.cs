using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// The working memory of <see cref="Loss.Ctc(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float}, int, CtcWorkspace, Reduction, int, bool)"/>,
/// allocated once for the longest inputs and targets it will see, so that the loss allocates nothing per call.
/// </summary>
/// <remarks>
/// It holds the forward variables α of one row (<c>maxInputLength × (2·maxTargetLength + 1)</c> doubles) and two rows
/// of the backward variables β; the log-probabilities live in the caller's gradient span until the gradient replaces
/// them. One workspace serves any batch whose logits have at most <see cref="MaxInputLength"/> steps and whose padded
/// targets have at most <see cref="MaxTargetLength"/> columns. It is not thread-safe: give each thread its own.
/// </remarks>
public sealed class CtcWorkspace
{
    /// <summary>Allocates the working memory for inputs of up to <paramref name="maxInputLength"/> steps and targets of up to <paramref name="maxTargetLength"/> labels.</summary>
    /// <param name="maxInputLength">The most time steps of the logits (their <c>maxInputLength</c> dimension).</param>
    /// <param name="maxTargetLength">The most columns of the padded targets; 0 when every target is empty.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxInputLength"/> is below 1 or <paramref name="maxTargetLength"/> is negative, or the α table would hold more than <see cref="Array.MaxLength"/> values.</exception>
    public CtcWorkspace(int maxInputLength, int maxTargetLength)
    {
        if (maxInputLength < 1) throw new ArgumentOutOfRangeException(nameof(maxInputLength), maxInputLength, "The input length must be at least 1.");
        if (maxTargetLength < 0) throw new ArgumentOutOfRangeException(nameof(maxTargetLength), maxTargetLength, "The target length must not be negative.");
        long states = 2L * maxTargetLength + 1;
        if (maxInputLength * states > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxTargetLength), maxTargetLength, $"{maxInputLength} steps x {states} states is more than an array holds.");
        MaxInputLength = maxInputLength;
        MaxTargetLength = maxTargetLength;
        Alpha = new double[maxInputLength * states];
        Beta = new double[2 * states];
    }

    /// <summary>The most time steps the logits may have.</summary>
    public int MaxInputLength { get; }

    /// <summary>The most columns the padded targets may have.</summary>
    public int MaxTargetLength { get; }

    /// <summary>log α_t(s) of the row being computed, <c>[inputLength, 2·targetLength + 1]</c>; then, step by step from the end, the occupation probabilities.</summary>
    internal double[] Alpha { get; }

    /// <summary>log β of two consecutive steps, <c>[2, 2·targetLength + 1]</c>.</summary>
    internal double[] Beta { get; }
}

public static partial class Loss
{
    /// <summary>
    /// Connectionist temporal classification (Graves et al., 2006), as
    /// <c>F.ctc_loss(F.log_softmax(logits, -1).transpose(0, 1), targets, inputLengths, targetLengths, blank, reduction, zeroInfinity)</c>
    /// on Unroll's batch-first layout: the negative log-likelihood of each row's target under all its alignments,
    /// reduced over the batch. Writes ∂loss/∂logits into <paramref name="gradient"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Per row, with log-probabilities <c>log y = log_softmax(logits)</c> and the target l extended with blanks to
    /// <c>l' = (blank, l₁, blank, l₂, …, blank)</c>, the forward variables
    /// <c>log α_t(s) = log y_t(l'_s) + logsumexp(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2))</c> (the last term only when
    /// <c>l'_s</c> is a label different from <c>l'_{s−2}</c>) give the row's loss
    /// <c>−log p(l|x) = −logsumexp(α_{T−1}(|l'|−1), α_{T−1}(|l'|−2))</c>; the backward variables β run the same recursion
    /// from the end, and the gradient is <c>y_t(k) − Σ_{s: l'_s = k} exp(log α_t(s) + log β_t(s) − log y_t(k) + loss)</c>.
    /// The recursions run in log space in double, with a stable log-sum-exp; the log-softmax and the gradient are
    /// vectorised over the classes.
    /// </para>
    /// <para>
    /// <see cref="Reduction.Mean"/> divides each row's loss by its target length (at least 1) and averages over the
    /// batch, as PyTorch's <c>'mean'</c>; <see cref="Reduction.Sum"/> adds the rows. Steps at or past a row's input
    /// length get a zero gradient. A target that no alignment fits (longer than the input, counting a blank between
    /// repeated labels) has an infinite loss and, as in PyTorch, a NaN gradient over its input steps; with
    /// <paramref name="zeroInfinity"/> its loss and gradient are 0 instead.
    /// </para>
    /// </remarks>
    /// <param name="logits">Unnormalised scores <c>[batch, maxInputLength, classes]</c>, row-major (a model's output).</param>
    /// <param name="targets">The padded targets <c>[batch, maxTargetLength]</c>: row b's first <c>targetLengths[b]</c> labels count, the padding is ignored.</param>
    /// <param name="inputLengths">The steps of each row, in [1, maxInputLength]; its length is the batch size.</param>
    /// <param name="targetLengths">The labels of each row, in [0, maxTargetLength].</param>
    /// <param name="gradient">Receives ∂loss/∂logits, <c>[batch, maxInputLength, classes]</c>; every value is written.</param>
    /// <param name="classes">C, the number of classes, the blank included.</param>
    /// <param name="workspace">Working memory for at least <c>maxInputLength</c> steps and <c>maxTargetLength</c> labels.</param>
    /// <param name="reduction">Mean over the batch of the losses divided by the target lengths (PyTorch's default), or sum.</param>
    /// <param name="blank">The class of the blank, 0 as in PyTorch.</param>
    /// <param name="zeroInfinity">Give rows that no alignment fits a loss and gradient of 0 (PyTorch's <c>zero_infinity</c>).</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="workspace"/> is null.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the shapes, the batch is empty, or the workspace is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, the blank is not a class, a length is out of range, or a target label is not a class or is the blank.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The required losses span tells the two overloads apart; the optional arguments are PyTorch's, in its order.")]
    public static float Ctc(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<int> inputLengths, ReadOnlySpan<int> targetLengths,
        Span<float> gradient, int classes, CtcWorkspace workspace, Reduction reduction = Reduction.Mean, int blank = 0, bool zeroInfinity = false)
    {
        CheckReduction(reduction);
        (int steps, int columns) = CheckCtc(logits, targets, inputLengths, targetLengths, gradient, classes, workspace, blank);
        int batch = inputLengths.Length;
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double scale = reduction == Reduction.Mean ? 1.0 / (Math.Max(targetLengths[b], 1) * (double)batch) : 1.0;
            total += scale * CtcRow(logits, targets, inputLengths, targetLengths, gradient, classes, workspace, blank, zeroInfinity, b, steps, columns, scale);
        }
        return (float)total;
    }

    /// <summary>
    /// As <see cref="Ctc(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float}, int, CtcWorkspace, Reduction, int, bool)"/>
    /// without a reduction (PyTorch's <c>reduction='none'</c>): writes each row's loss into <paramref name="losses"/> and
    /// each row's own gradient into <paramref name="gradient"/> (the gradient of the losses' sum, as the rows are independent).
    /// </summary>
    /// <param name="logits">Unnormalised scores <c>[batch, maxInputLength, classes]</c>, row-major.</param>
    /// <param name="targets">The padded targets <c>[batch, maxTargetLength]</c>.</param>
    /// <param name="inputLengths">The steps of each row, in [1, maxInputLength]; its length is the batch size.</param>
    /// <param name="targetLengths">The labels of each row, in [0, maxTargetLength].</param>
    /// <param name="losses">Receives the loss of each row, <c>[batch]</c> (not divided by the target length).</param>
    /// <param name="gradient">Receives ∂losses[b]/∂logits of each row b, <c>[batch, maxInputLength, classes]</c>.</param>
    /// <param name="classes">C, the number of classes, the blank included.</param>
    /// <param name="workspace">Working memory for at least <c>maxInputLength</c> steps and <c>maxTargetLength</c> labels.</param>
    /// <param name="blank">The class of the blank, 0 as in PyTorch.</param>
    /// <param name="zeroInfinity">Give rows that no alignment fits a loss and gradient of 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="workspace"/> is null.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the shapes (<paramref name="losses"/> holds one value per row), the batch is empty, or the workspace is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As the other overload.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The required losses span tells the two overloads apart; the optional arguments are PyTorch's, in its order.")]
    public static void Ctc(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<int> inputLengths, ReadOnlySpan<int> targetLengths,
        Span<float> losses, Span<float> gradient, int classes, CtcWorkspace workspace, int blank = 0, bool zeroInfinity = false)
    {
        CheckLength(losses, inputLengths.Length, nameof(losses), "losses (one per row)");
        (int steps, int columns) = CheckCtc(logits, targets, inputLengths, targetLengths, gradient, classes, workspace, blank);
        for (int b = 0; b < inputLengths.Length; b++)
            losses[b] = (float)CtcRow(logits, targets, inputLengths, targetLengths, gradient, classes, workspace, blank, zeroInfinity, b, steps, columns, 1.0);
    }

    /// <summary>Checks every argument of the CTC loss before anything is written; returns maxInputLength and maxTargetLength.</summary>
    private static (int Steps, int Columns) CheckCtc(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<int> inputLengths,
        ReadOnlySpan<int> targetLengths, Span<float> gradient, int classes, CtcWorkspace workspace, int blank)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        if ((uint)blank >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(blank), blank, $"The blank must be a class in [0, {classes}).");
        int batch = inputLengths.Length;
        if (batch == 0) throw new ArgumentException("The input lengths are empty: expected one per row of the batch.", nameof(inputLengths));
        CheckLength(targetLengths, batch, nameof(targetLengths), "target lengths (one per row)");
        long perStep = (long)batch * classes;
        if (logits.Length == 0 || logits.Length % perStep != 0)
            throw new ArgumentException($"Expected logits [{batch}, maxInputLength, {classes}] (a positive multiple of {perStep}), got {logits.Length}.", nameof(logits));
        if (targets.Length % batch != 0)
            throw new ArgumentException($"Expected padded targets [{batch}, maxTargetLength] (a multiple of {batch}), got {targets.Length}.", nameof(targets));
        CheckLength(gradient, logits.Length, nameof(gradient), "gradient values (as many as the logits)");
        int steps = (int)(logits.Length / perStep), columns = targets.Length / batch;
        if (steps > workspace.MaxInputLength || columns > workspace.MaxTargetLength)
            throw new ArgumentException($"The workspace holds {workspace.MaxInputLength} steps and {workspace.MaxTargetLength} target labels, but the logits have {steps} steps and the targets {columns} columns.", nameof(workspace));
        for (int b = 0; b < batch; b++)
        {
            if (inputLengths[b] < 1 || inputLengths[b] > steps)
                throw new ArgumentOutOfRangeException(nameof(inputLengths), inputLengths[b], $"Input length {b} is {inputLengths[b]}: expected 1 to {steps} (the logits' steps).");
            int length = targetLengths[b];
            if (length < 0 || length > columns)
                throw new ArgumentOutOfRangeException(nameof(targetLengths), length, $"Target length {b} is {length}: expected 0 to {columns} (the targets' columns).");
            foreach (int label in targets.Slice(b * columns, length))
            {
                if ((uint)label >= (uint)classes || label == blank)
                    throw new ArgumentOutOfRangeException(nameof(targets), label, $"Row {b} has the label {label}: expected a class in [0, {classes}) other than the blank {blank}.");
            }
        }
        return (steps, columns);
    }

    /// <summary>Row b's loss, −log p(target | logits); writes its gradient, times <paramref name="scale"/>, into the row of <paramref name="gradient"/>.</summary>
    private static double CtcRow(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<int> inputLengths, ReadOnlySpan<int> targetLengths,
        Span<float> gradient, int classes, CtcWorkspace workspace, int blank, bool zeroInfinity, int b, int steps, int columns, double scale)
    {
        int length = inputLengths[b], states = 2 * targetLengths[b] + 1;
        ReadOnlySpan<int> target = targets.Slice(b * columns, targetLengths[b]);
        Span<float> rowGradient = gradient.Slice(b * steps * classes, steps * classes);
        rowGradient.Slice(length * classes).Clear();

        // The log-probabilities wait in the gradient's rows until the gradient replaces them, step by step from the end.
        Span<float> logProbabilities = rowGradient.Slice(0, length * classes);
        Probabilities.LogSoftmax(logits.Slice(b * steps * classes, length * classes), logProbabilities, classes);

        // Forward: log α_t(s), s over the extended target (blank, l1, blank, l2, ..., blank).
        Span<double> alpha = workspace.Alpha.AsSpan(0, length * states);
        alpha.Fill(double.NegativeInfinity);
        alpha[0] = logProbabilities[blank];
        if (states > 1) alpha[1] = logProbabilities[target[0]];
        for (int t = 1; t < length; t++)
        {
            ReadOnlySpan<double> previous = alpha.Slice((t - 1) * states, states);
            ReadOnlySpan<float> y = logProbabilities.Slice(t * classes, classes);
            Span<double> current = alpha.Slice(t * states, states);
            for (int s = 0; s < states; s++)
            {
                int label = Extended(target, s, blank);
                double a = previous[s];
                if (s > 0) a = LogAdd(a, previous[s - 1]);
                if (s > 1 && label != blank && label != target[s / 2 - 1]) a = LogAdd(a, previous[s - 2]);
                current[s] = a + y[label];
            }
        }
        ReadOnlySpan<double> last = alpha.Slice((length - 1) * states, states);
        double loss = -LogAdd(last[states - 1], states > 1 ? last[states - 2] : double.NegativeInfinity);
        if (double.IsPositiveInfinity(loss))
        {
            // No alignment fits: PyTorch's loss is inf and its gradient NaN (or both 0 with zero_infinity).
            if (zeroInfinity) logProbabilities.Clear();
            else logProbabilities.Fill(float.NaN);
            return zeroInfinity ? 0 : loss;
        }

        // Backward: log β_t(s), and at each step the gradient y_t(k) − Σ_{s: l'_s = k} γ_t(s), with the occupation
        // probability γ_t(s) = exp(log α_t(s) + log β_t(s) − log y_t(l'_s) + loss) (written over α_t, no longer needed).
        Span<double> next = workspace.Beta.AsSpan(0, states), beta = workspace.Beta.AsSpan(states, states);
        for (int t = length - 1; t >= 0; t--)
        {
            Span<float> y = logProbabilities.Slice(t * classes, classes);
            Span<double> gamma = alpha.Slice(t * states, states);
            double blankOccupation = 0;
            for (int s = 0; s < states; s++)
            {
                int label = Extended(target, s, blank);
                double g;
                if (t == length - 1) g = s >= states - 2 ? 0 : double.NegativeInfinity;
                else
                {
                    g = next[s];
                    if (s + 1 < states) g = LogAdd(g, next[s + 1]);
                    if (s + 2 < states && label != blank && label != target[s / 2 + 1]) g = LogAdd(g, next[s + 2]);
                }
                beta[s] = g + y[label];
                gamma[s] = Math.Exp(gamma[s] + g + loss);   // log α + log β − log y = log α + g
                if (label == blank) blankOccupation += gamma[s];
            }

            // y ← softmax, then the occupations subtracted (the blank's summed in double), then the reduction's scale.
            TensorPrimitives.Exp(y, y);
            y[blank] = (float)(y[blank] - blankOccupation);
            for (int s = 1; s < states; s += 2) y[target[s / 2]] -= (float)gamma[s];
            if (scale != 1.0) TensorPrimitives.Multiply(y, (float)scale, y);

            Span<double> swap = next;
            next = beta;
            beta = swap;
        }
        return loss;
    }

    /// <summary>l'_s, the extended target: blanks at even s, the target's labels at odd s.</summary>
    private static int Extended(ReadOnlySpan<int> target, int s, int blank) => (s & 1) == 0 ? blank : target[s / 2];

    /// <summary>log(exp(a) + exp(b)), stable, with −∞ for a probability of 0.</summary>
    internal static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return Math.Max(a, b) + Math.Log(1 + Math.Exp(-Math.Abs(a - b)));
    }
}
