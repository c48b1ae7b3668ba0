using Unroll.Generators.Emitting;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// A layer that maps the time axis (as a strided convolution does, T → ⌊(T − 1)/s⌋ + 1) through the whole pipeline, with
/// a kind of the tests' own that keeps every other step (stride 2): the layers after it run over the mapped steps and
/// each row's mapped length, the output has the mapped steps, and backward scatters the gradient back. The model must
/// equal, forward and backward, the same layers run on the every-other-step input by a model without it.
/// </summary>
public sealed class TimeAxisTests
{
    internal sealed record EveryOtherSpec(int Features) : LayerSpec
    {
        public override string Kind => "TestEveryOther";
    }

    internal sealed record EveryOtherPlan : LayerPlan
    {
        public override string Kind => "TestEveryOther";
    }

    /// <summary><c>[TestEveryOther(features)]</c>: y[t] = x[2t], as <c>x[:, ::2]</c>.</summary>
    internal sealed class EveryOtherHandler : LayerHandler<EveryOtherSpec, EveryOtherPlan>
    {
        public override string Kind => "TestEveryOther";

        protected override EveryOtherSpec? ReadSpec(LayerArguments arguments) => arguments.Ints(1) is { } sizes ? new EveryOtherSpec(sizes[0]) : null;

        protected override IEnumerable<(string Name, int Value)> Sizes(EveryOtherSpec layer) => new[] { ("features", layer.Features) };

        protected override int? InputWidth(EveryOtherSpec layer) => layer.Features;

        protected override int OutputWidth(EveryOtherSpec layer, int inputWidth) => layer.Features;

        protected override int OutputSteps(EveryOtherSpec layer, int inputSteps) => (inputSteps - 1) / 2 + 1;

        protected override string? MapsLength(EveryOtherPlan layer, string length) => $"({length} - 1) / 2 + 1";

        protected override bool CanStream(EveryOtherPlan layer) => false;

        protected override EveryOtherPlan Plan(EveryOtherSpec layer) => new();

        protected override string Describe(EveryOtherPlan layer) => "TestEveryOther";

        protected override string ViewArguments(ModelPlan plan, EveryOtherPlan layer, int index) => "";

        protected override void WriteForward(LayerPass pass, EveryOtherPlan layer)
        {
            var (w, plan, _, buffers) = pass;
            int row = plan.BatchSize * layer.Out;
            w.Line($"for (int t = 0; t < {MapsLength(layer, layer.Length)}; t++)");
            w.Line($"    a.Slice(Layout.{pass.Input} + 2 * t * {row}, {row}).CopyTo(a.Slice(Layout.{buffers.Output} + t * {row}, {row}));");
        }

        protected override void WriteBackward(LayerPass pass, EveryOtherPlan layer)
        {
            var (w, plan, _, buffers) = pass;
            if (pass.InputGradient is not { } dx) return;
            int row = plan.BatchSize * layer.Out;
            w.Line($"a.Slice(Layout.{dx}, {layer.Length} * {row}).Clear();");
            w.Line($"for (int t = 0; t < {MapsLength(layer, layer.Length)}; t++)");
            w.Line($"    a.Slice(Layout.{buffers.OutputGradient} + t * {row}, {row}).CopyTo(a.Slice(Layout.{dx} + 2 * t * {row}, {row}));");
        }
    }

    private const string Source = """
        using Unroll;

        namespace Unroll
        {
            [System.AttributeUsage(System.AttributeTargets.Property)]
            public sealed class TestEveryOtherAttribute : System.Attribute
            {
                public TestEveryOtherAttribute(int features) { }
            }

            public readonly struct TestEveryOtherLayer
            {
            }
        }

        [Model(SequenceLength = 7, BatchSize = 2)]
        public partial class Strided
        {
            [Linear(2, 4)] public partial LinearLayer Input { get; }
            [TestEveryOther(4)] public partial TestEveryOtherLayer Skip { get; }
            [Gru(4, 5)] public partial GruLayer Rnn { get; }
            [Linear(5, 3)] public partial LinearLayer Head { get; }
        }

        [Model(SequenceLength = 4, BatchSize = 2)]
        public partial class Plain
        {
            [Linear(2, 4)] public partial LinearLayer Input { get; }
            [Gru(4, 5)] public partial GruLayer Rnn { get; }
            [Linear(5, 3)] public partial LinearLayer Head { get; }
        }
        """;

    public TimeAxisTests() => LayerHandler.Register(new EveryOtherHandler());

    [Fact]
    public void Layers_after_a_strided_layer_run_over_its_steps_and_rows_lengths()
    {
        GeneratorRun run = GeneratorHarness.Run(Source).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        string strided = run.Sources["Strided.g.cs"];
        Assert.Contains("int lengthAfterSkip = (length - 1) / 2 + 1; // the steps after Skip", strided, StringComparison.Ordinal);
        Assert.Contains("_rowLengthsAfterSkip[b] = (_rowLengths[b] - 1) / 2 + 1;", strided, StringComparison.Ordinal);
        Assert.DoesNotContain("StepCore", strided, StringComparison.Ordinal); // it does not stream

        var assembly = run.Load();
        var model = (IFeatureInputModel)Activator.CreateInstance(assembly.GetType("Strided")!, 3)!;
        var plain = (IFeatureInputModel)Activator.CreateInstance(assembly.GetType("Plain")!, 4)!;
        foreach (NamedParameter p in model.NamedParameters) p.Values.CopyTo(plain.NamedParameters[p.Name].Values);

        // Rows of 7 and 4 steps: 4 and 2 after the stride.
        var x = new float[2 * 7 * 2];
        new SeededRandom(5).FillNormal(x);
        var everyOther = new float[2 * 4 * 2];
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 4; t++) x.AsSpan((b * 7 + 2 * t) * 2, 2).CopyTo(everyOther.AsSpan((b * 4 + t) * 2, 2));
        }
        var output = new float[2 * 4 * 3];
        var expected = new float[output.Length];
        model.Forward(x, output, 7, new[] { 7, 4 });
        plain.Forward(everyOther, expected, 4, new[] { 4, 2 });
        AssertClose(expected, output, "output");
        Assert.Throws<ArgumentException>("output", () => model.Forward(x, new float[2 * 7 * 3], 7, default));

        var outputGradient = new float[output.Length];
        new SeededRandom(6).FillUniform(outputGradient, -1, 1);
        var inputGradient = new float[x.Length];
        var expectedGradient = new float[everyOther.Length];
        model.Backward(outputGradient, inputGradient);
        plain.Backward(outputGradient, expectedGradient);
        foreach (NamedParameter p in model.NamedParameters) AssertClose(plain.NamedParameters[p.Name].Gradients.ToArray(), p.Gradients.ToArray(), "∂" + p.Name);
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 7; t++)
            {
                float[] actual = inputGradient.AsSpan((b * 7 + t) * 2, 2).ToArray();
                float[] wanted = t % 2 == 0 ? expectedGradient.AsSpan((b * 4 + t / 2) * 2, 2).ToArray() : new float[2]; // odd steps are dropped: no gradient
                AssertClose(wanted, actual, $"∂x at row {b}, step {t}");
            }
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }
}
