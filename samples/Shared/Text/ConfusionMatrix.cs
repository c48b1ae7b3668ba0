using System.Globalization;
using Spectre.Console;

namespace Unroll.Samples.Language;

/// <summary>
/// A confusion matrix gathered over an evaluation's batches with <see cref="Metrics.ConfusionMatrix"/>, its
/// accuracy, each class's precision, recall and F1 (<see cref="Metrics.PrecisionRecallF1"/>), their micro average
/// without a tagger's "outside" class, and the table that shows them: a row per true class, a column per prediction.
/// </summary>
internal sealed class ConfusionMatrix(IReadOnlyList<string> classes)
{
    private readonly long[] _counts = new long[classes.Count * classes.Count];

    /// <summary>How often class <paramref name="truth"/> was predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * classes.Count + predicted];

    /// <summary>Adds the rows of a batch: scores <c>[N, classes]</c>, targets <c>[N]</c> (<see cref="TokenBatch.Ignore"/> rows skipped).</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets) =>
        Metrics.ConfusionMatrix(logits, targets, classes.Count, _counts, TokenBatch.Ignore);

    /// <summary>Adds one prediction.</summary>
    public void Add(int truth, int predicted) => _counts[truth * classes.Count + predicted]++;

    /// <summary>The share of the predictions that are right.</summary>
    public double Accuracy
    {
        get
        {
            long right = 0;
            for (int c = 0; c < classes.Count; c++) right += this[c, c];
            long total = _counts.Sum();
            return total == 0 ? 0 : (double)right / total;
        }
    }

    /// <summary>Each class's precision, recall and F1.</summary>
    public (float[] Precision, float[] Recall, float[] F1) Scores()
    {
        float[] precision = new float[classes.Count], recall = new float[classes.Count], f1 = new float[classes.Count];
        Metrics.PrecisionRecallF1(_counts, classes.Count, precision, recall, f1);
        return (precision, recall, f1);
    }

    /// <summary>
    /// Precision, recall and F1 of the predictions of any class but <paramref name="outside"/> pooled (micro average, as
    /// token-level scores of a tagger leave out its "O").
    /// </summary>
    public (double Precision, double Recall, double F1) MicroScores(int outside)
    {
        long right = 0, predicted = 0, actual = 0;
        for (int t = 0; t < classes.Count; t++)
        {
            for (int p = 0; p < classes.Count; p++)
            {
                if (t == p && t != outside) right += this[t, p];
                if (p != outside) predicted += this[t, p];
                if (t != outside) actual += this[t, p];
            }
        }
        return Scores(right, predicted, actual);
    }

    /// <summary>Precision, recall and F1 from the right predictions, all predictions and all true instances (0 where a ratio has no denominator).</summary>
    public static (double Precision, double Recall, double F1) Scores(long right, long predicted, long actual)
    {
        double precision = predicted == 0 ? 0 : (double)right / predicted, recall = actual == 0 ? 0 : (double)right / actual;
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }

    /// <summary>The counts, a row per true class and a column per prediction, then each class's precision, recall and F1.</summary>
    public Table Table(string corner)
    {
        var table = Sample.Table([corner, .. classes.Select(c => "→ " + c), "precision", "recall", "F1"]);
        var (precision, recall, f1) = Scores();
        for (int t = 0; t < classes.Count; t++)
        {
            table.Row([classes[t], .. Enumerable.Range(0, classes.Count).Select(p => this[t, p].ToString("N0", CultureInfo.InvariantCulture)),
                Format(precision[t]), Format(recall[t]), Format(f1[t])]);
        }
        return table;
    }

    /// <summary>A score with three decimals.</summary>
    public static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
