using System.Globalization;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Training;

/// <summary>
/// <see cref="Loss.Ctc(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float}, int, CtcWorkspace, Reduction, int, bool)"/>
/// against F.ctc_loss (Fixtures/ctc.json): every reduction, repeated labels, empty targets, targets as long as the
/// input, rows of different lengths, a blank other than 0, impossible alignments with and without zero_infinity;
/// finite differences, argument checks (nothing written) and allocations.
/// </summary>
public class CtcLossTests(ITestOutputHelper output)
{
    /// <summary>Against the float64 answer: a few float32 roundings (of the log-probabilities, the softmax, the result).</summary>
    private static readonly (double Atol, double Rtol) Float64Tolerance = (5e-7, 1e-6);

    /// <summary>Against PyTorch's float32 result, whose recursions run in float32: 2.1e-5 off the float64 answer at worst (ctc_large_logits).</summary>
    private static readonly (double Atol, double Rtol) PyTorchTolerance = (2e-5, 2e-5);

    public static TheoryData<string> Cases => TrainingFixture.Names("ctc");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ctc_matches_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("ctc", name);
        float[] logits = c.Floats("logits");
        int[] targets = Ints(c, "targets"), inputLengths = Ints(c, "input_lengths"), targetLengths = Ints(c, "target_lengths");
        float[] expectedLoss = Values(c, "loss"), expectedGradient = Values(c, "gradient");
        int classes = c.GetProperty("classes").GetInt32(), blank = c.GetProperty("blank").GetInt32();
        bool zeroInfinity = c.GetProperty("zero_infinity").GetBoolean();
        var workspace = new CtcWorkspace(logits.Length / (inputLengths.Length * classes), targets.Length / inputLengths.Length);
        float[] gradient = new float[logits.Length];
        gradient.AsSpan().Fill(7f);   // every value must be written

        float[] loss = new float[expectedLoss.Length];
        string reduction = c.GetProperty("reduction").GetString()!;
        if (reduction == "none")
            Loss.Ctc(logits, targets, inputLengths, targetLengths, loss, gradient, classes, workspace, blank, zeroInfinity);
        else
            loss[0] = Loss.Ctc(logits, targets, inputLengths, targetLengths, gradient, classes, workspace,
                reduction == "sum" ? Reduction.Sum : Reduction.Mean, blank, zeroInfinity);

        // Within float32 rounding of the exact (float64) answer, and as close to PyTorch's float32 result as that is.
        float[] exactLoss = Values(c, "loss_float64"), exactGradient = Values(c, "gradient_float64");
        AssertCloseOrSame(loss, exactLoss, $"{name} loss (float64)", Float64Tolerance);
        AssertCloseOrSame(gradient, exactGradient, $"{name} gradient (float64)", Float64Tolerance);
        AssertCloseOrSame(loss, expectedLoss, $"{name} loss", PyTorchTolerance);
        AssertCloseOrSame(gradient, expectedGradient, $"{name} gradient", PyTorchTolerance);
        output.WriteLine($"{name}: largest |loss − float64| {LargestError(loss, exactLoss):E2}, |gradient − float64| {LargestError(gradient, exactGradient):E2}; " +
            $"|loss − PyTorch| {LargestError(loss, expectedLoss):E2}, |gradient − PyTorch| {LargestError(gradient, expectedGradient):E2}");
    }

    [Fact]
    public void Ctc_gradient_matches_finite_differences()
    {
        const int Batch = 2, Steps = 6, Classes = 4;
        float[] logits = new float[Batch * Steps * Classes], gradient = new float[logits.Length], scratch = new float[logits.Length];
        new SeededRandom(17).FillNormal(logits);
        int[] targets = [1, 1, 3, 2, 0, 0], inputLengths = [6, 4], targetLengths = [3, 1];
        var workspace = new CtcWorkspace(Steps, 3);

        foreach (int blank in new[] { 0, 3 })
        {
            int[] labels = blank == 0 ? targets : targets.Select(l => l == 3 ? 0 : l).ToArray();
            Loss.Ctc(logits, labels, inputLengths, targetLengths, gradient, Classes, workspace, Reduction.Mean, blank);
            FloatFiniteDifferences.AssertMatches(logits, gradient,
                () => Loss.Ctc(logits, labels, inputLengths, targetLengths, scratch, Classes, workspace, Reduction.Mean, blank), $"blank {blank}");
        }
    }

    [Fact]
    public void Ctc_of_one_step_is_the_cross_entropy_of_its_label()
    {
        float[] logits = [0.5f, -1f, 2f], gradient = new float[3], expected = new float[3];
        var workspace = new CtcWorkspace(1, 1);
        float loss = Loss.Ctc(logits, [2], [1], [1], gradient, 3, workspace);
        Assert.Equal(Loss.CrossEntropy(logits, [2], expected, 3), loss, 6);
        TrainingFixture.AssertClose(gradient, expected, "gradient");
    }

    [Fact]
    public void Ctc_checks_its_arguments_before_writing()
    {
        const int Batch = 2, Steps = 4, Classes = 3;
        float[] logits = new float[Batch * Steps * Classes], gradient = new float[logits.Length], losses = [7, 7];
        gradient.AsSpan().Fill(7);
        int[] targets = [1, 2, 2, 0], inputLengths = [4, 3], targetLengths = [2, 1];
        var workspace = new CtcWorkspace(Steps, 2);

        void Throws<TException>(string parameter, CtcCall call) where TException : ArgumentException
        {
            var e = Assert.Throws<TException>(() => call(logits, targets, inputLengths, targetLengths, gradient, losses));
            Assert.Equal(parameter, e.ParamName);
            Assert.All(gradient, v => Assert.Equal(7f, v));
            Assert.Equal([7f, 7f], losses);
        }
        float Mean(float[] x, int[] t, int[] i, int[] l, float[] g, int classes = Classes, int blank = 0, CtcWorkspace? w = null) =>
            Loss.Ctc(x, t, i, l, g, classes, w ?? workspace, Reduction.Mean, blank);

        Throws<ArgumentException>("logits", (x, t, i, l, g, _) => Mean(x[..^1], t, i, l, g[..^1]));
        Throws<ArgumentException>("logits", (x, t, i, l, g, _) => Mean([], t, i, l, []));
        Throws<ArgumentException>("targets", (x, t, i, l, g, _) => Mean(x, t[..^1], i, l, g));
        Throws<ArgumentException>("gradient", (x, t, i, l, g, _) => Mean(x, t, i, l, g[..^3]));
        Throws<ArgumentException>("inputLengths", (x, t, i, l, g, _) => Mean(x, t, [], [], g));
        Throws<ArgumentException>("targetLengths", (x, t, i, l, g, _) => Mean(x, t, i, [2], g));
        Throws<ArgumentException>("losses", (x, t, i, l, g, losses) => Loss.Ctc(x, t, i, l, losses.AsSpan(1), g, Classes, workspace));
        Throws<ArgumentException>("workspace", (x, t, i, l, g, _) => Mean(x, t, i, l, g, w: new CtcWorkspace(Steps - 1, 2)));
        Throws<ArgumentException>("workspace", (x, t, i, l, g, _) => Mean(x, t, i, l, g, w: new CtcWorkspace(Steps, 1)));
        Assert.Throws<ArgumentNullException>("workspace", () => Loss.Ctc(logits, targets, inputLengths, targetLengths, gradient, Classes, null!));
        Throws<ArgumentOutOfRangeException>("classes", (x, t, i, l, g, _) => Mean(x, t, i, l, g, classes: 0));
        Throws<ArgumentOutOfRangeException>("reduction", (x, t, i, l, g, _) => Loss.Ctc(x, t, i, l, g, Classes, workspace, (Reduction)5));
        foreach (int blank in new[] { -1, Classes })
            Throws<ArgumentOutOfRangeException>("blank", (x, t, i, l, g, _) => Mean(x, t, i, l, g, blank: blank));
        foreach (int[] lengths in new[] { new[] { 5, 3 }, [4, 0], [-1, 2] })
            Throws<ArgumentOutOfRangeException>("inputLengths", (x, t, i, l, g, _) => Mean(x, t, lengths, l, g));
        foreach (int[] lengths in new[] { new[] { 3, 1 }, [2, -1] })
            Throws<ArgumentOutOfRangeException>("targetLengths", (x, t, i, l, g, _) => Mean(x, t, i, lengths, g));
        foreach (int[] labels in new[] { new[] { 1, 3, 2, 0 }, [1, 0, 2, 0], [1, 2, -1, 0] })
            Throws<ArgumentOutOfRangeException>("targets", (x, t, i, l, g, _) => Mean(x, labels, i, l, g));
        Throws<ArgumentOutOfRangeException>("targets", (x, t, i, l, g, _) => Mean(x, [1, 2, 2, 0], i, l, g, blank: 2));

        // Padding past a target's length is not read, and the targets may have no columns at all.
        Mean(logits, [1, 2, 2, -5], inputLengths, targetLengths, gradient);
        Mean(logits, [], inputLengths, [0, 0], gradient);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CtcWorkspace(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CtcWorkspace(1, -1));
    }

    [Fact]
    public void Ctc_allocates_nothing()
    {
        const int Batch = 4, Steps = 50, Classes = 29, Labels = 20;
        float[] logits = new float[Batch * Steps * Classes], gradient = new float[logits.Length], losses = new float[Batch];
        var random = new SeededRandom(3);
        random.FillNormal(logits);
        int[] targets = Enumerable.Range(0, Batch * Labels).Select(i => 1 + i * 7 % (Classes - 1)).ToArray();
        int[] inputLengths = [50, 41, 30, 12], targetLengths = [20, 15, 0, 9];
        var workspace = new CtcWorkspace(Steps, Labels);

        Assert.Equal(0, Allocations.Of(() => Loss.Ctc(logits, targets, inputLengths, targetLengths, gradient, Classes, workspace)));
        Assert.Equal(0, Allocations.Of(() => Loss.Ctc(logits, targets, inputLengths, targetLengths, losses, gradient, Classes, workspace, zeroInfinity: true)));
    }

    private delegate void CtcCall(float[] logits, int[] targets, int[] inputLengths, int[] targetLengths, float[] gradient, float[] losses);

    private static int[] Ints(JsonElement c, string property) => c.GetProperty(property).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>Floats, with inf and NaN written as strings (JSON has no such numbers).</summary>
    private static float[] Values(JsonElement c, string property) => c.GetProperty(property).EnumerateArray()
        .Select(e => e.ValueKind == JsonValueKind.String ? float.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetSingle()).ToArray();

    /// <summary>Finite values within <paramref name="tolerance"/> (atol, rtol); inf and NaN where PyTorch has them.</summary>
    private static void AssertCloseOrSame(float[] actual, float[] expected, string what, (double Atol, double Rtol) tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsFinite(expected[i])) TrainingFixture.AssertClose(actual[i], expected[i], $"{what}[{i}]", tolerance.Atol, tolerance.Rtol);
            else Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: {actual[i]}, PyTorch {expected[i]}");
        }
    }

    private static double LargestError(float[] actual, float[] expected) =>
        expected.Zip(actual).Where(p => float.IsFinite(p.First)).Select(p => Math.Abs((double)p.First - p.Second)).DefaultIfEmpty(0).Max();
}
