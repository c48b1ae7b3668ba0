using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Training;

/// <summary>Losses against torch.nn.functional (Fixtures/losses.json), their argument checks and allocations.</summary>
public class LossTests
{
    public static TheoryData<string> CrossEntropyCases => TrainingFixture.Names("losses", "ce_");
    public static TheoryData<string> BinaryCrossEntropyCases => TrainingFixture.Names("losses", "bce_");
    public static TheoryData<string> MeanSquaredErrorCases => TrainingFixture.Names("losses", "mse_");

    private static Reduction ReductionOf(JsonElement c) => c.GetProperty("reduction").GetString() switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        string other => throw new InvalidDataException($"Unknown reduction {other}"),
        null => throw new InvalidDataException("No reduction"),
    };

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropy_matches_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("losses", name);
        float[] logits = c.Floats("logits");
        int[] targets = c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] gradient = new float[logits.Length];
        gradient.AsSpan().Fill(float.NaN); // every row, ignored ones too, must be written

        float[] weights = c.TryGetProperty("weight", out _) ? c.Floats("weight") : []; // class weights, in the ce_weighted_* cases
        float loss = Loss.CrossEntropy(logits, targets, gradient, c.GetProperty("classes").GetInt32(), weights, ReductionOf(c),
            c.GetProperty("ignore_index").GetInt32(), c.GetProperty("label_smoothing").GetSingle());

        TrainingFixture.AssertClose(loss, c.GetProperty("loss").GetDouble(), $"{name} loss");
        TrainingFixture.AssertClose(gradient, c.Floats("gradient"), $"{name} gradient");
    }

    [Theory]
    [MemberData(nameof(BinaryCrossEntropyCases))]
    public void BinaryCrossEntropyWithLogits_matches_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("losses", name);
        float[] logits = c.Floats("logits");
        float[] positiveWeight = c.TryGetProperty("pos_weight", out _) ? c.Floats("pos_weight") : [];
        float[] gradient = new float[logits.Length];

        float loss = Loss.BinaryCrossEntropyWithLogits(logits, c.Floats("targets"), gradient, ReductionOf(c), positiveWeight);

        TrainingFixture.AssertClose(loss, c.GetProperty("loss").GetDouble(), $"{name} loss");
        TrainingFixture.AssertClose(gradient, c.Floats("gradient"), $"{name} gradient");
    }

    [Theory]
    [MemberData(nameof(MeanSquaredErrorCases))]
    public void MeanSquaredError_matches_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("losses", name);
        float[] prediction = c.Floats("prediction");
        float[] gradient = new float[prediction.Length];

        float loss = Loss.MeanSquaredError(prediction, c.Floats("target"), gradient, ReductionOf(c));

        TrainingFixture.AssertClose(loss, c.GetProperty("loss").GetDouble(), $"{name} loss");
        TrainingFixture.AssertClose(gradient, c.Floats("gradient"), $"{name} gradient");
    }

    [Fact]
    public void MeanSquaredError_defaults_to_the_mean()
    {
        float[] prediction = [1, 2, 3, 4], target = [0, 0, 0, 0], gradient = new float[4];
        Assert.Equal(7.5f, Loss.MeanSquaredError(prediction, target, gradient));
        Assert.Equal([0.5f, 1f, 1.5f, 2f], gradient);
    }

    [Fact]
    public void CrossEntropy_with_every_row_ignored_is_NaN_for_the_mean_and_zero_for_the_sum_as_in_PyTorch()
    {
        float[] logits = [1, 2, 3, 4, 5, 6];
        int[] targets = [-100, -100];
        float[] gradient = [9, 9, 9, 9, 9, 9];
        Assert.True(float.IsNaN(Loss.CrossEntropy(logits, targets, gradient, 3, labelSmoothing: 0.1f)));
        Assert.Equal(new float[6], gradient);
        Assert.Equal(0f, Loss.CrossEntropy(logits, targets, gradient, 3, Reduction.Sum));
        Assert.Equal(new float[6], gradient);
    }

    [Fact]
    public void CrossEntropy_is_stable_for_huge_logits()
    {
        float[] logits = [1e30f, -1e30f, 0, 3e38f, 3e38f, -3e38f];
        float[] gradient = new float[6];
        float loss = Loss.CrossEntropy(logits, [0, 1], gradient, 3, Reduction.Sum);
        Assert.Equal((float)Math.Log(2), loss);   // row 0: 0; row 1: two equal winners, log 2
        Assert.Equal([0f, 0f, 0f, 0.5f, -0.5f, 0f], gradient);
    }

    [Fact]
    public void CrossEntropy_checks_its_arguments_before_writing()
    {
        float[] logits = new float[6], gradient = [7, 7, 7, 7, 7, 7];
        int[] targets = [0, 2];

        var e = Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(logits.AsSpan(0, 5), targets, gradient, 3));
        Assert.Equal("logits", e.ParamName);
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
        e = Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(logits, targets, gradient.AsSpan(0, 4), 3));
        Assert.Equal("gradient", e.ParamName);
        Assert.Contains("6", e.Message);
        Assert.Contains("4", e.Message);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => Loss.CrossEntropy([], [], [], 3)).ParamName);

        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, targets, gradient, 0)).ParamName);
        foreach (int bad in new[] { 3, -1, -100 })
        {
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, [0, bad], gradient, 3, ignoreIndex: 1));
            Assert.Equal("targets", range.ParamName);
        }
        foreach (float bad in new[] { -0.01f, 1.01f, float.NaN })
            Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, targets, gradient, 3, labelSmoothing: bad)).ParamName);
        Assert.Equal("classWeights", Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(logits, targets, gradient, 3, new float[] { 1, 2 })).ParamName);
        Assert.Equal([7f, 7f, 7f, 7f, 7f, 7f], gradient);

        // The ignore index may be any value, a class or -1 too, and is then not out of range.
        Loss.CrossEntropy(logits, [-1, 2], gradient, 3, ignoreIndex: -1);
        Loss.CrossEntropy(logits, [1, 2], gradient, 3, ignoreIndex: 1);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_and_MeanSquaredError_check_their_arguments()
    {
        float[] x = new float[6], t = new float[6], g = new float[6];
        var e = Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropyWithLogits(x, t.AsSpan(0, 5), g));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropyWithLogits(x, t, g.AsSpan(0, 7 - 2))).ParamName);
        e = Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropyWithLogits(x, t, g, positiveWeight: new float[4]));
        Assert.Equal("positiveWeight", e.ParamName);
        Assert.Contains("4", e.Message);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropyWithLogits([], [], [])).ParamName);
        Loss.BinaryCrossEntropyWithLogits(x, t, g, positiveWeight: new float[3]);   // broadcast over [2, 3]
        Loss.BinaryCrossEntropyWithLogits(x, t, g, positiveWeight: new float[1]);   // a single weight

        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError(x, t.AsSpan(0, 3), g)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError(x, t, g.AsSpan(1))).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => Loss.MeanSquaredError(x, t, g, (Reduction)7)).ParamName);
    }

    [Fact]
    public void Losses_allocate_nothing()
    {
        const int Rows = 48, Classes = 65;
        var random = new SeededRandom(5);
        float[] logits = new float[Rows * Classes], gradient = new float[Rows * Classes], targets = new float[Rows * Classes];
        random.FillNormal(logits);
        random.FillUniform(targets, 0, 1);
        int[] classes = Enumerable.Range(0, Rows).Select(i => i % 7 == 0 ? -100 : i % Classes).ToArray();
        float[] positiveWeight = Enumerable.Range(0, Classes).Select(i => 0.5f + i * 0.01f).ToArray();

        Assert.Equal(0, Allocations.Of(() => Loss.CrossEntropy(logits, classes, gradient, Classes)));
        Assert.Equal(0, Allocations.Of(() => Loss.CrossEntropy(logits, classes, gradient, Classes, Reduction.Sum, labelSmoothing: 0.1f)));
        Assert.Equal(0, Allocations.Of(() => Loss.BinaryCrossEntropyWithLogits(logits, targets, gradient)));
        Assert.Equal(0, Allocations.Of(() => Loss.BinaryCrossEntropyWithLogits(logits, targets, gradient, Reduction.Sum, positiveWeight)));
        Assert.Equal(0, Allocations.Of(() => Loss.MeanSquaredError(logits, targets, gradient, Reduction.Sum)));
    }
}
