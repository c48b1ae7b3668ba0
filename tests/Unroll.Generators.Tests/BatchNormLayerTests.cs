using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The <c>[BatchNorm]</c> layer in the generator: its emitted code (a snapshot: the batch statistics over the real steps of
/// the batch's rows in training, the running statistics otherwise and in the streaming step, after a layer with a time
/// axis and after one without), the refusal of one value per feature, and each bad declaration's diagnostic.
/// </summary>
public sealed class BatchNormLayerTests
{
    /// <summary>BatchNorm over every step after a linear layer, and over the batch's rows after a GRU's last step, without affine parameters.</summary>
    public const string Classifier = """
        using Unroll;

        namespace Sensors;

        [Model(SequenceLength = 20, BatchSize = 4)]
        public partial class Classifier
        {
            [Linear(8, 16)]                                   public partial LinearLayer Input { get; }
            [BatchNorm(16)]                                   public partial BatchNormLayer Norm { get; }
            [Gru(16, 12, ReturnSequences = false)]            public partial GruLayer Rnn { get; }
            [BatchNorm(12, Momentum = 0.01, Affine = false)]  public partial BatchNormLayer Pooled { get; }
            [Linear(12, 3)]                                   public partial LinearLayer Head { get; }
        }
        """;

    [Fact]
    public void Generated_code_matches_its_snapshot()
    {
        GeneratorRun run = GeneratorHarness.Run(Classifier, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, "The output compilation has errors:\n" + string.Join("\n", run.OutputErrors));
        Assert.DoesNotContain(run.GeneratedCodeDiagnostics, d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning);
        Tests.Snapshot.Match("BatchNormClassifier", run.SingleSource);
        Assert.Contains("new(\"Norm.num_batches_tracked\", global::System.Array.Empty<int>(), _arena, _origin + Layout.Norm_num_batches_tracked, -1, -1, isBuffer: true,\n"
            + "                    isInteger: true),", run.SingleSource, StringComparison.Ordinal);
    }

    [Fact]
    public void For_inference_only_it_keeps_the_running_statistics_alone()
    {
        GeneratorRun run = GeneratorHarness.Run(Classifier.Replace("BatchSize = 4)", "BatchSize = 4, InferenceOnly = true)", StringComparison.Ordinal), implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        Assert.DoesNotContain("BatchNormStatistics", run.SingleSource, StringComparison.Ordinal);
        Assert.DoesNotContain("Expected more than 1 value per channel", run.SingleSource, StringComparison.Ordinal);
        Assert.Contains("BatchNormScale(a.Slice(Layout.Norm_running_mean, 16), a.Slice(Layout.Norm_running_var, 16)", run.SingleSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Its_width_must_be_the_layer_before_it_s() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            [BatchNorm(6)] public partial BatchNormLayer Norm { get; }
        }
        """,
        "UNR0004", "BatchNorm(6)", "Layer 'Norm' expects 6 input features", "the previous layer 'Rnn' produces 8");

    [Fact]
    public void Its_width_must_be_positive() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [BatchNorm(0)] public partial BatchNormLayer Norm { get; }
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0005", "BatchNorm(0)", "'numFeatures' of layer 'Norm' must be positive, but is 0");

    [Theory]
    [InlineData("Eps = 0", "'Eps' of layer 'Norm' is 0", "above 0")]
    [InlineData("Eps = -1e-5", "'Eps' of layer 'Norm' is -1E-05", "above 0")]
    [InlineData("Eps = double.NaN", "'Eps' of layer 'Norm' is NaN", "above 0")]
    [InlineData("Momentum = 1.5", "'Momentum' of layer 'Norm' is 1.5", "0 to 1")]
    [InlineData("Momentum = -0.1", "'Momentum' of layer 'Norm' is -0.1", "0 to 1")]
    public void A_bad_option_is_UNR0017(string option, string said, string expected) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            [BatchNorm(8, {{option}})] public partial BatchNormLayer Norm { get; }
        }
        """,
        "UNR0017", $"BatchNorm(8, {option})", said, expected);
}
