using Unroll.Generators.Emitting;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// State-dict buffers (PyTorch's <c>register_buffer</c>: BatchNorm's running statistics) through the whole pipeline, with
/// a kind of the tests' own that has one trainable parameter and two buffers, <c>y = (x − running_mean) ⊙ weight</c>:
/// the buffers are named tensors of the state dict, initialised as declared, saved, loaded and compiled in with the
/// parameters, and outside <c>Parameters</c> and <c>Gradients</c>, so nothing that trains reaches them.
/// </summary>
public sealed class StateBufferTests
{
    /// <summary>The kind: <c>[TestRunningShift(features)]</c>, declared in the compiled source as an attribute and a view.</summary>
    internal sealed record RunningShiftSpec(int Features) : LayerSpec
    {
        public override string Kind => "TestRunningShift";
    }

    internal sealed record RunningShiftPlan : LayerPlan
    {
        public override string Kind => "TestRunningShift";
    }

    internal sealed class RunningShiftHandler : LayerHandler<RunningShiftSpec, RunningShiftPlan>
    {
        public override string Kind => "TestRunningShift";

        protected override RunningShiftSpec? ReadSpec(LayerArguments arguments) => arguments.Ints(1) is { } sizes ? new RunningShiftSpec(sizes[0]) : null;

        protected override IEnumerable<(string Name, int Value)> Sizes(RunningShiftSpec layer) => new[] { ("features", layer.Features) };

        protected override int? InputWidth(RunningShiftSpec layer) => layer.Features;

        protected override int OutputWidth(RunningShiftSpec layer, int inputWidth) => layer.Features;

        protected override void AddParameters(RunningShiftSpec layer, int inputWidth, ParameterAdder add)
        {
            add("weight", new[] { layer.Features }, InitKind.One, 0);
            add("running_mean", new[] { layer.Features }, InitKind.Zero, 0, trainable: false);
            add("running_var", new[] { layer.Features }, InitKind.One, 0, trainable: false);
        }

        protected override RunningShiftPlan Plan(RunningShiftSpec layer) => new();

        protected override string Describe(RunningShiftPlan layer) => $"TestRunningShift({layer.Out})";

        protected override string ViewArguments(ModelPlan plan, RunningShiftPlan layer, int index) => "";

        protected override void WriteForward(LayerPass pass, RunningShiftPlan layer)
        {
            var (w, _, _, buffers) = pass;
            int F = layer.Out;
            w.Line($"for (int r = 0; r < {pass.Rows}; r++)");
            w.Line($"    for (int f = 0; f < {F}; f++)");
            w.Line($"        a[Layout.{buffers.Output} + r * {F} + f] = (a[Layout.{pass.Input} + r * {F} + f] - a[Layout.{layer.ParameterNames[1]} + f]) * p[Layout.{layer.ParameterNames[0]} + f];");
        }

        protected override void WriteBackward(LayerPass pass, RunningShiftPlan layer)
        {
            var (w, _, _, buffers) = pass;
            int F = layer.Out;
            w.Line($"for (int r = 0; r < {pass.Rows}; r++)");
            w.Line($"    for (int f = 0; f < {F}; f++)");
            w.Line($"        g[Layout.{layer.ParameterNames[0]} + f] += a[Layout.{buffers.OutputGradient} + r * {F} + f] * (a[Layout.{pass.Input} + r * {F} + f] - a[Layout.{layer.ParameterNames[1]} + f]);");
        }
    }

    private const string Source = """
        using Unroll;

        namespace Unroll
        {
            [System.AttributeUsage(System.AttributeTargets.Property)]
            public sealed class TestRunningShiftAttribute : System.Attribute
            {
                public TestRunningShiftAttribute(int features) { }
            }

            public readonly struct TestRunningShiftLayer
            {
            }
        }

        [Model(SequenceLength = 3, BatchSize = 2)]
        public partial class Shifted
        {
            [Linear(2, 4)] public partial LinearLayer Input { get; }
            [TestRunningShift(4)] public partial TestRunningShiftLayer Shift { get; }
        }
        """;

    public StateBufferTests() => LayerHandler.Register(new RunningShiftHandler());

    [Fact]
    public void Buffers_are_named_tensors_outside_Parameters_and_Gradients()
    {
        GeneratorRun run = GeneratorHarness.Run(Source).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        Assert.Contains("public const int Shift_running_mean = ", run.SingleSource, StringComparison.Ordinal);
        Assert.Contains("Shift.running_mean [4], a state-dict buffer", run.SingleSource, StringComparison.Ordinal);

        var model = (IFeatureInputModel)Activator.CreateInstance(run.Load().GetType("Shifted")!)!;
        Assert.Equal(2 * 4 + 4 + 4, model.ParameterCount); // PyTorch's count: the buffers are not parameters
        NamedParameterCollection named = model.NamedParameters;
        Assert.Equal(model.ParameterCount, model.Parameters.Length);
        Assert.Equal(new[] { "Input.weight", "Input.bias", "Shift.weight", "Shift.running_mean", "Shift.running_var" }, named.Select(p => p.Name).ToArray());
        Assert.All(named.Take(3), p => Assert.False(p.IsBuffer));
        Assert.All(named.Skip(3), p => Assert.True(p.IsBuffer));
        Assert.True(named["Shift.running_mean"].Gradients.IsEmpty);
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, named["Shift.running_var"].Values.ToArray()); // initialised as declared
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, named["Shift.running_mean"].Values.ToArray());

        // The buffer takes part in Forward.
        named["Input.weight"].Values.Clear();
        named["Input.bias"].Values.Fill(1f);
        new float[] { 0.5f, 0.25f, 0f, -1f }.CopyTo(named["Shift.running_mean"].Values);
        var output = new float[2 * 3 * 4];
        model.Forward(new float[2 * 3 * 2], output);
        Assert.Equal(new[] { 0.5f, 0.75f, 1f, 2f }, output.AsSpan(0, 4).ToArray());

        // Whatever trains writes Parameters and Gradients only: the buffers keep their values.
        model.Backward(output);
        model.Parameters.Fill(7f);
        model.Gradients.Fill(7f);
        Assert.Equal(new[] { 0.5f, 0.25f, 0f, -1f }, named["Shift.running_mean"].Values.ToArray());
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, named["Shift.running_var"].Values.ToArray());

        // Saved and loaded with the parameters.
        string path = Path.Combine(Path.GetTempPath(), $"unroll-buffers-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, model.NamedParameters);
            var loaded = (IFeatureInputModel)Activator.CreateInstance(model.GetType())!;
            Safetensors.Load(path, loaded.NamedParameters);
            NamedParameterCollection reloaded = loaded.NamedParameters;
            Assert.Equal(new[] { 0.5f, 0.25f, 0f, -1f }, reloaded["Shift.running_mean"].Values.ToArray());
            Assert.Equal(Enumerable.Repeat(7f, 4).ToArray(), reloaded["Shift.weight"].Values.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Buffers_are_compiled_in_with_the_weights()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-buffers-{Guid.NewGuid():N}.safetensors");
        try
        {
            float[] Values(int n, float first) => Enumerable.Range(0, n).Select(i => first + i).ToArray();
            Safetensors.Save(path, new (string, int[], ReadOnlyMemory<float>)[]
            {
                ("Input.weight", new[] { 4, 2 }, Values(8, 1)), ("Input.bias", new[] { 4 }, Values(4, 10)), ("Shift.weight", new[] { 4 }, Values(4, 20)),
                ("Shift.running_mean", new[] { 4 }, Values(4, 30)), ("Shift.running_var", new[] { 4 }, Values(4, 40)),
            });
            string source = Source.Replace("[Model(SequenceLength = 3, BatchSize = 2)]", $"[Model(SequenceLength = 3, BatchSize = 2, Weights = @\"{path}\")]", StringComparison.Ordinal);
            GeneratorRun run = GeneratorHarness.Run(source, new[] { path }).AssertNoException();
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));

            var model = (IFeatureInputModel)Activator.CreateInstance(run.Load().GetType("Shifted")!)!;
            NamedParameterCollection named = model.NamedParameters;
            Assert.Equal(Values(4, 30), named["Shift.running_mean"].Values.ToArray());
            Assert.Equal(Values(4, 40), named["Shift.running_var"].Values.ToArray());
            Assert.Equal(Values(4, 20), named["Shift.weight"].Values.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
