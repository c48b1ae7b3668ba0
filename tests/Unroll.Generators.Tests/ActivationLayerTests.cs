using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The <c>[Activation]</c> layer in the generator: its emitted code (a snapshot: forward, backward and the streaming step
/// calling <c>Unroll.Kernels.Pointwise</c> with the function, GELU's form and the slope), and each bad declaration's diagnostic.
/// </summary>
public sealed class ActivationLayerTests
{
    /// <summary>GELU between two layers, a LeakyReLU with its slope after a GRU, a sigmoid mask at the end: a model that trains and streams.</summary>
    public const string Enhancer = """
        using Unroll;

        namespace Audio;

        [Model(SequenceLength = 20, BatchSize = 4)]
        public partial class Enhancer
        {
            [Linear(8, 16)]                                                        public partial LinearLayer Input { get; }
            [Activation(ActivationFunction.Gelu, Approximate = GeluApproximation.Tanh)] public partial ActivationLayer Gelu { get; }
            [Gru(16, 16)]                                                          public partial GruLayer Rnn { get; }
            [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.2)]        public partial ActivationLayer Leaky { get; }
            [Linear(16, 4)]                                                        public partial LinearLayer Head { get; }
            [Activation(ActivationFunction.Sigmoid)]                               public partial ActivationLayer Mask { get; }
        }
        """;

    [Fact]
    public void Generated_code_matches_its_snapshot()
    {
        GeneratorRun run = GeneratorHarness.Run(Enhancer, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, "The output compilation has errors:\n" + string.Join("\n", run.OutputErrors));
        Assert.DoesNotContain(run.GeneratedCodeDiagnostics, d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning);
        Assert.DoesNotContain(run.SingleSource.Split('\n'), line => line.Length > 160);
        Tests.Snapshot.Match("ActivationEnhancer", run.SingleSource);
    }

    [Theory]
    [InlineData("ActivationFunction.Relu", "ReLU")]
    [InlineData("ActivationFunction.Tanh", "Tanh")]
    [InlineData("ActivationFunction.Gelu", "GELU")]
    [InlineData("ActivationFunction.Silu", "SiLU")]
    [InlineData("ActivationFunction.LeakyRelu", "LeakyReLU(0.01)")]
    public void Every_function_compiles_and_is_described(string function, string described)
    {
        GeneratorRun run = GeneratorHarness.Run(Enhancer.Replace("ActivationFunction.Sigmoid", function), implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        Assert.Contains($"/// <summary>{described}.</summary>", run.SingleSource, StringComparison.Ordinal);
        Assert.Contains($"global::Unroll.ActivationFunction.{function.Substring("ActivationFunction.".Length)}, global::Unroll.GeluApproximation.None", run.SingleSource, StringComparison.Ordinal);
    }

    [Fact]
    public void As_the_first_layer_it_has_no_width_to_take() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Activation(ActivationFunction.Tanh)] public partial ActivationLayer Squash { get; }
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0018", "Activation(ActivationFunction.Tanh)", "The Activation layer 'Squash' must follow another layer");

    [Theory]
    [InlineData("(ActivationFunction)9", "'function' of layer 'Act' is 9", "an ActivationFunction value")]
    [InlineData("ActivationFunction.Relu, Approximate = GeluApproximation.Tanh", "'Approximate' of layer 'Act' is GeluApproximation.Tanh", "it applies only to ActivationFunction.Gelu")]
    [InlineData("ActivationFunction.Gelu, Approximate = (GeluApproximation)2", "'Approximate' of layer 'Act' is 2", "GeluApproximation.None or GeluApproximation.Tanh")]
    [InlineData("ActivationFunction.Silu, NegativeSlope = 0.1", "'NegativeSlope' of layer 'Act' is 0.1", "it applies only to ActivationFunction.LeakyRelu")]
    [InlineData("ActivationFunction.LeakyRelu, NegativeSlope = double.NaN", "'NegativeSlope' of layer 'Act' is NaN", "a finite float")]
    [InlineData("ActivationFunction.LeakyRelu, NegativeSlope = 1e300", "'NegativeSlope' of layer 'Act' is 1E+300", "a finite float")]
    public void A_bad_option_is_UNR0017(string arguments, string said, string expected) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            [Activation({{arguments}})] public partial ActivationLayer Act { get; }
        }
        """,
        "UNR0017", $"Activation({arguments})", said, expected);

    [Fact]
    public void Its_width_follows_the_layer_before_it() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            [Activation(ActivationFunction.Relu)] public partial ActivationLayer Act { get; }
            [Linear(16, 2)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0004", "Linear(16, 2)", "Layer 'Head' expects 16 input features", "the previous layer 'Act' produces 8");
}
