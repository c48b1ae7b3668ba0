using Xunit;
using ClassifierMetrics = Unroll.Metrics;

namespace Unroll.Tests;

/// <summary>
/// Softmax and log-softmax against double precision (stable for huge logits, in place), and the metrics on cases worked
/// by hand: accuracy with ignored rows and ties, a confusion matrix, and per-class precision, recall and F1 with
/// scikit-learn's zero_division=0; bad arguments named; nothing allocated.
/// </summary>
public class MetricsTests
{
    [Fact]
    public void Softmax_and_LogSoftmax_match_double_precision_for_any_logits()
    {
        const int C = 7;
        var logits = new float[5 * C];
        new SeededRandom(3).FillNormal(logits);
        logits.AsSpan(C, C).Fill(1000f);             // equal huge logits: uniform
        logits[2 * C] = -1e4f;                        // one hopeless class
        for (int c = 0; c < C; c++) logits[3 * C + c] *= 200f; // a very peaked row
        var p = new float[logits.Length];
        var logP = new float[logits.Length];
        Probabilities.Softmax(logits, p, C);
        Probabilities.LogSoftmax(logits, logP, C);
        for (int n = 0; n < 5; n++)
        {
            double max = logits.Skip(n * C).Take(C).Max();
            double sum = logits.Skip(n * C).Take(C).Sum(z => Math.Exp(z - max));
            for (int c = 0; c < C; c++)
            {
                double exact = logits[n * C + c] - max - Math.Log(sum);
                Assert.True(Math.Abs(logP[n * C + c] - exact) <= 1e-5 + 1e-6 * Math.Abs(exact), $"log p[{n}, {c}] = {logP[n * C + c]}, expected {exact}");
                Assert.True(Math.Abs(p[n * C + c] - Math.Exp(exact)) <= 1e-6, $"p[{n}, {c}] = {p[n * C + c]}, expected {Math.Exp(exact)}");
            }
        }

        // In place gives the same values.
        float[] inPlace = logits.ToArray();
        Probabilities.Softmax(inPlace, inPlace, C);
        Assert.Equal(p, inPlace);
    }

    [Fact]
    public void Accuracy_counts_the_rows_that_are_not_ignored_and_takes_the_first_of_tied_scores()
    {
        float[] logits =
        [
            0f, 1f, 5f,   // predicts 2
            3f, 1f, 3f,   // tie: predicts 0
            0f, 2f, 1f,   // predicts 1
            9f, 0f, 0f,   // ignored
        ];
        Assert.Equal(2f / 3f, ClassifierMetrics.Accuracy(logits, [2, 0, 0, -100], 3), 6); // the third row predicts 1, not 0
        Assert.Equal(1f, ClassifierMetrics.Accuracy(logits, [2, 0, 1, -100], 3));
        Assert.True(float.IsNaN(ClassifierMetrics.Accuracy(logits, [-100, -100, -100, -100], 3)));
    }

    [Fact]
    public void Confusion_matrix_and_per_class_precision_recall_F1()
    {
        // (target, predicted): (0, 0), (0, 1), (1, 1), (1, 1), (2, 1), (2, 2); class 3 never appears.
        int[] targets = [0, 0, 1, 1, 2, 2, -100];
        int[] predicted = [0, 1, 1, 1, 1, 2, 3];
        var logits = new float[targets.Length * 4];
        for (int n = 0; n < targets.Length; n++) logits[n * 4 + predicted[n]] = 1f;
        var confusion = new long[16];
        ClassifierMetrics.ConfusionMatrix(logits, targets, 4, confusion);
        Assert.Equal(new long[] { 1, 1, 0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 }, confusion);
        ClassifierMetrics.ConfusionMatrix(logits, targets, 4, confusion); // it adds: a second batch
        Assert.Equal(4, confusion[5]);

        float[] precision = new float[4], recall = new float[4], f1 = new float[4];
        ClassifierMetrics.PrecisionRecallF1(confusion, 4, precision, recall, f1);
        Assert.Equal(new[] { 1f, 0.5f, 1f, 0f }, precision);
        Assert.Equal(new[] { 0.5f, 1f, 0.5f, 0f }, recall);
        Assert.Equal(new[] { 2f / 3f, 2f / 3f, 2f / 3f, 0f }, f1);
    }

    [Fact]
    public void Bad_arguments_are_named_and_nothing_is_allocated()
    {
        var logits = new float[6];
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => ClassifierMetrics.Accuracy(logits, [0, 1, 2], 3)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierMetrics.Accuracy(logits, [0, 3], 3)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierMetrics.Accuracy(logits, [0, 1], 0)).ParamName);
        Assert.Equal("confusion", Assert.Throws<ArgumentException>(() => ClassifierMetrics.ConfusionMatrix(logits, [0, 1], 3, new long[8])).ParamName);
        Assert.Equal("f1", Assert.Throws<ArgumentException>(() => ClassifierMetrics.PrecisionRecallF1(new long[9], 3, new float[3], new float[3], new float[2])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Probabilities.Softmax(new float[5], new float[5], 3)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Probabilities.Softmax(logits, new float[5], 3)).ParamName);

        var p = new float[6];
        var confusion = new long[9];
        int[] targets = [0, 2];
        Assert.Equal(0, Allocations.Of(() =>
        {
            Probabilities.Softmax(logits, p, 3);
            Probabilities.LogSoftmax(logits, p, 3);
            ClassifierMetrics.Accuracy(logits, targets, 3);
            ClassifierMetrics.ConfusionMatrix(logits, targets, 3, confusion);
        }));
    }
}
