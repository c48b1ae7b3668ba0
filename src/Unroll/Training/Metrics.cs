using System.Buffers;
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
/// index (padding) do not count. For sequences, the edit distance and the error rates of speech recognition (CER, WER).
/// Nothing allocated.
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

    /// <summary>
    /// The Levenshtein distance between two label sequences: the fewest substitutions, insertions and deletions that turn
    /// <paramref name="hypothesis"/> into <paramref name="reference"/> (each costs 1). For a corpus, add the distances and
    /// the reference lengths of all sentences and divide the sums (as speech-recognition toolkits report CER and WER).
    /// </summary>
    /// <remarks>
    /// One row of the dynamic programme, over the shorter sequence, in O(|hypothesis| · |reference|) time. A row of up to
    /// 512 items lives on the stack; a longer one is borrowed from <see cref="ArrayPool{T}.Shared"/> (which allocates
    /// only the first time it is asked for an array that long), so nothing is allocated per call.
    /// </remarks>
    /// <param name="hypothesis">The recognised labels (for example a <see cref="CtcDecoder"/>'s output).</param>
    /// <param name="reference">The true labels.</param>
    /// <returns>The number of edits, from 0 to the longer length.</returns>
    public static int EditDistance(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int> reference) => Levenshtein(hypothesis, reference);

    /// <summary>
    /// The error rate of a hypothesis against its reference, as speech recognition defines it:
    /// <see cref="EditDistance"/> divided by the reference's length. It can exceed 1 (insertions). An empty
    /// reference gives 0 when the hypothesis is empty too and +∞ otherwise (edits over nothing to recognise).
    /// </summary>
    /// <param name="hypothesis">The recognised labels.</param>
    /// <param name="reference">The true labels.</param>
    /// <returns>Edits per reference label.</returns>
    public static float ErrorRate(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int> reference) => Rate(Levenshtein(hypothesis, reference), reference.Length);

    /// <summary>
    /// The character error rate (CER): <see cref="ErrorRate"/> over the characters of two texts, compared ordinally as
    /// UTF-16 code units (a character outside the Basic Multilingual Plane counts as two). Normalise case, punctuation
    /// and spaces first if they should not count. Nothing is allocated (see <see cref="EditDistance"/> for the limits).
    /// </summary>
    /// <param name="hypothesis">The recognised text.</param>
    /// <param name="reference">The true text.</param>
    /// <returns>Edits per reference character; 0 or +∞ for an empty reference, as <see cref="ErrorRate"/>.</returns>
    public static float CharacterErrorRate(ReadOnlySpan<char> hypothesis, ReadOnlySpan<char> reference) => Rate(Levenshtein(hypothesis, reference), reference.Length);

    /// <summary>
    /// The word error rate (WER): <see cref="ErrorRate"/> over the words of two texts, a word being a maximal run of
    /// characters that are not white space (<see cref="char.IsWhiteSpace(char)"/>), words compared ordinally. The words
    /// are held in arrays borrowed from <see cref="ArrayPool{T}.Shared"/>: nothing is allocated once the pool has them.
    /// </summary>
    /// <param name="hypothesis">The recognised text.</param>
    /// <param name="reference">The true text.</param>
    /// <returns>Edits per reference word; 0 or +∞ for a reference without words, as <see cref="ErrorRate"/>.</returns>
    /// <exception cref="ArgumentNullException">A text is null.</exception>
    public static float WordErrorRate(string hypothesis, string reference)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        Word[] hypothesisWords = ArrayPool<Word>.Shared.Rent(Word.Count(hypothesis)), referenceWords = ArrayPool<Word>.Shared.Rent(Word.Count(reference));
        int h = Word.Split(hypothesis, hypothesisWords), r = Word.Split(reference, referenceWords);
        float rate = Rate(Levenshtein<Word>(hypothesisWords.AsSpan(0, h), referenceWords.AsSpan(0, r)), r);
        ArrayPool<Word>.Shared.Return(hypothesisWords, clearArray: true);   // no strings kept alive by the pool
        ArrayPool<Word>.Shared.Return(referenceWords, clearArray: true);
        return rate;
    }

    private static float Rate(int edits, int referenceLength) =>
        referenceLength == 0 ? (edits == 0 ? 0f : float.PositiveInfinity) : (float)((double)edits / referenceLength);

    /// <summary>The edit distance, with one row of the dynamic programme over the shorter sequence (on the stack up to 512 items).</summary>
    private static int Levenshtein<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : IEquatable<T>
    {
        if (a.Length < b.Length)
        {
            ReadOnlySpan<T> swap = a;
            a = b;
            b = swap;
        }
        const int StackRow = 512;
        int[]? rented = b.Length < StackRow ? null : ArrayPool<int>.Shared.Rent(b.Length + 1);
        Span<int> row = rented is null ? stackalloc int[StackRow] : rented;

        // row[j] = the distance between a[..i] and b[..j], for the i of the outer loop.
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(above, row[j - 1]) + 1, diagonal + (a[i - 1].Equals(b[j - 1]) ? 0 : 1));
                diagonal = above;
            }
        }
        int distance = row[b.Length];
        if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        return distance;
    }

    /// <summary>A word of a text: its characters between <c>start</c> and <c>start + length</c>, compared ordinally.</summary>
    private readonly struct Word(string text, int start, int length) : IEquatable<Word>
    {
        private ReadOnlySpan<char> Characters => text.AsSpan(start, length);

        public bool Equals(Word other) => Characters.SequenceEqual(other.Characters);

        public override bool Equals(object? obj) => obj is Word other && Equals(other);

        public override int GetHashCode() => string.GetHashCode(Characters, StringComparison.Ordinal);

        /// <summary>The number of words of <paramref name="text"/>.</summary>
        public static int Count(string text) => Split(text, []);

        /// <summary>Writes the words of <paramref name="text"/> into <paramref name="words"/> while it has room; returns how many there are.</summary>
        public static int Split(string text, Span<Word> words)
        {
            int count = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsWhiteSpace(text[i])) continue;
                int start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
                if (count < words.Length) words[count] = new Word(text, start, i - start);
                count++;
            }
            return count;
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
