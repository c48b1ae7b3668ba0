using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Unroll.Generators.Diagnostics;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// One test per diagnostic (UNR0001..UNR0025, and the weights files' in CompiledWeightsTests): the id, where it points (the text of its span in the
/// user's file) and the parts of the message that tell the user what to fix. Then the descriptors
/// themselves (help links and pages) and the pages' examples.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void UNR0001_ModelNotPartial() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public class Forecaster
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0001", "Forecaster", "'Forecaster'", "must be declared partial");

    [Theory]
    [InlineData("public LstmLayer Rnn { get; }")]
    [InlineData("public LstmLayer Rnn { get; set; }")]
    [InlineData("public LstmLayer Rnn => default;")]
    [InlineData("public partial LstmLayer Rnn { get; set; }")]
    [InlineData("public static partial LstmLayer Rnn { get; }")]
    public void UNR0002_LayerNotPartialGetOnly(string property) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 8)] {{property}}
        }
        """,
        "UNR0002", "Rnn", "'Rnn'", "'partial' with only a getter", "'public partial LstmLayer Rnn { get; }'");

    [Fact]
    public void UNR0003_LayerWrongType_OtherView() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 8)] public partial GruLayer Rnn { get; }
        }
        """,
        "UNR0003", "Rnn", "'Rnn'", "GruLayer", "[Lstm]", "LstmLayer");

    [Fact]
    public void UNR0003_LayerWrongType_NotAView() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Linear(4, 8)] public partial float[] Head { get; }
        }
        """,
        "UNR0003", "Head", "'Head'", "'float[]'", "[Linear]", "LinearLayer");

    [Fact]
    public void UNR0004_SizesDoNotChain() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 128)]  public partial LstmLayer Rnn { get; }
            [Linear(64, 3)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0004", "Linear(64, 3)", "Layer 'Head' expects 64 input features", "the previous layer 'Rnn' produces 128");

    [Fact]
    public void UNR0004_SizesDoNotChain_BidirectionalDoublesTheWidth() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Gru(4, 16, Bidirectional = true)] public partial GruLayer Rnn { get; }
            [Linear(16, 3)]                    public partial LinearLayer Head { get; }
        }
        """,
        "UNR0004", "Linear(16, 3)", "'Head'", "expects 16", "'Rnn'", "produces 32");

    [Theory]
    [InlineData("[Lstm(4, 0)] public partial LstmLayer Rnn { get; }", "Lstm(4, 0)", "'hiddenSize' of layer 'Rnn' must be positive, but is 0")]
    [InlineData("[Rnn(-3, 8)] public partial RnnLayer Rnn { get; }", "Rnn(-3, 8)", "'inputSize' of layer 'Rnn' must be positive, but is -3")]
    [InlineData("[Gru(4, 8, NumLayers = 0)] public partial GruLayer Rnn { get; }", "Gru(4, 8, NumLayers = 0)", "'NumLayers' of layer 'Rnn' must be positive, but is 0")]
    [InlineData("[Linear(0, 8)] public partial LinearLayer Head { get; }", "Linear(0, 8)", "'inFeatures' of layer 'Head' must be positive, but is 0")]
    [InlineData("[Embedding(10, -1)] public partial EmbeddingLayer Embed { get; }", "Embedding(10, -1)", "'embeddingDim' of layer 'Embed' must be positive, but is -1")]
    public void UNR0005_NonPositiveSize(string property, string span, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            {{property}}
        }
        """,
        "UNR0005", span, message);

    [Fact]
    public void UNR0006_EmbeddingNotFirst() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Linear(4, 8)]     public partial LinearLayer Head { get; }
            [Embedding(10, 8)] public partial EmbeddingLayer Embed { get; }
        }
        """,
        "UNR0006", "Embedding(10, 8)", "'Embed' must be the model's first layer", "after 'Head'");

    [Theory]
    [InlineData("[Model]", ", but it is not set")]
    [InlineData("[Model(BatchSize = 4)]", ", but it is not set")]
    [InlineData("[Model(SequenceLength = 0)]", ", but it is 0")]
    [InlineData("[Model(SequenceLength = -5, BatchSize = 2)]", ", but it is -5")]
    public void UNR0007_InvalidSequenceLength(string attribute, string detail) => DiagnosticAssert.Single($$"""
        using Unroll;

        {{attribute}}
        public partial class Forecaster
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0007", "Forecaster", "[Model] on 'Forecaster' needs a positive SequenceLength", detail);

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void UNR0008_InvalidBatchSize(int batchSize) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10, BatchSize = {{batchSize}})]
        public partial class Forecaster
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0008", "Forecaster", "[Model] on 'Forecaster' needs a positive BatchSize, but it is " + batchSize);

    [Fact]
    public void UNR0009_RecurrentAfterLastStep() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Gru(4, 8, ReturnSequences = false)] public partial GruLayer Encoder { get; }
            [Lstm(8, 8)]                         public partial LstmLayer Decoder { get; }
        }
        """,
        "UNR0009", "Lstm(8, 8)", "Recurrent layer 'Decoder' comes after 'Encoder'", "ReturnSequences = false");

    [Fact]
    public void UNR0010_NoLayers() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            public int NotALayer { get; set; }
        }
        """,
        "UNR0010", "Forecaster", "The model 'Forecaster' declares no layers");

    [Fact]
    public void UNR0011_ModelTooLarge_Activations()
    {
        Diagnostic diagnostic = DiagnosticAssert.Single("""
            using Unroll;

            [Model(SequenceLength = 1_000_000, BatchSize = 4)]
            public partial class Forecaster
            {
                [Lstm(32, 512)] public partial LstmLayer Rnn { get; }
            }
            """,
            "UNR0011", "Forecaster", "The model 'Forecaster' needs ", "floats", $"({Planning.Planner.MaxArenaLength})");
        AssertNeedsMoreThanAnArena(diagnostic);
    }

    [Fact]
    public void UNR0011_ModelTooLarge_Parameters()
    {
        Diagnostic diagnostic = DiagnosticAssert.Single("""
            using Unroll;

            [Model(SequenceLength = 1)]
            public partial class Forecaster
            {
                [Linear(50_000, 50_000)] public partial LinearLayer Head { get; }
            }
            """,
            "UNR0011", "Forecaster", "The model 'Forecaster' needs ", $"({Planning.Planner.MaxArenaLength})");
        AssertNeedsMoreThanAnArena(diagnostic);
    }

    private static void AssertNeedsMoreThanAnArena(Diagnostic diagnostic)
    {
        Match needs = Regex.Match(diagnostic.GetMessage(), @"needs (\d+) floats");
        Assert.True(needs.Success, diagnostic.GetMessage());
        Assert.True(long.Parse(needs.Groups[1].Value) > Planning.Planner.MaxArenaLength, diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("public partial class Forecaster<T>", "a generic class cannot be a model")]
    [InlineData("public static partial class Forecaster", "a static class cannot hold model instances")]
    [InlineData("public partial struct Forecaster", "only a class can be a model")]
    [InlineData("public partial record Forecaster", "only a class can be a model")]
    [InlineData("public partial interface Forecaster", "only a class can be a model")]
    public void UNR0012_UnsupportedModelType(string declaration, string reason) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        {{declaration}}
        {
        }
        """,
        "UNR0012", "Forecaster", "'Forecaster' cannot be a model: " + reason);

    [Fact]
    public void UNR0012_NestedInNonPartialType() => DiagnosticAssert.Single("""
        using Unroll;

        public class Experiments
        {
            [Model(SequenceLength = 10)]
            public partial class Forecaster
            {
                [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            }
        }
        """,
        "UNR0012", "Forecaster", "'Forecaster' cannot be a model: it is nested in 'Experiments', which is not partial");

    [Fact]
    public void UNR0012_NestedInGenericType() => DiagnosticAssert.Single("""
        using Unroll;

        public partial class Experiments<T>
        {
            [Model(SequenceLength = 10)]
            public partial class Forecaster
            {
                [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            }
        }
        """,
        "UNR0012", "Forecaster", "'Forecaster' cannot be a model: it is nested in the generic type 'Experiments'");

    [Fact]
    public void UNR0013_SeveralLayerAttributes() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 8), Gru(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0013", "Rnn", "The property 'Rnn' carries more than one layer attribute (Lstm, Gru)");

    [Fact]
    public void UNR0014_LayerWithoutAttribute() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 8)] public partial LstmLayer Encoder { get; }
            public partial GruLayer Decoder { get; }
        }
        """,
        "UNR0014", "Decoder", "The partial property 'Decoder' of layer type 'GruLayer' has no layer attribute such as [Gru(...)]");

    [Theory]
    [InlineData("Forward")]
    [InlineData("Parameters")]
    [InlineData("Layout")]
    [InlineData("Arena")]
    public void UNR0015_ReservedLayerName(string name) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 8)] public partial LstmLayer {{name}} { get; }
        }
        """,
        "UNR0015", name, $"'{name}'", "the name of a member Unroll generates");

    [Theory]
    [InlineData("NumLayers = 65", 65)]
    [InlineData("NumLayers = 33, Bidirectional = true", 66)]
    [InlineData("NumLayers = 2000000000", 2000000000)]
    public void UNR0016_TooManyPasses(string options, long passes) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tower
        {
            [Lstm(4, 8, {{options}})] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0016", "Tower", "'Tower'", $"has {passes} recurrent passes", "more than the 64");

    [Fact]
    public void UNR0017_InvalidOption() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Elman
        {
            [Rnn(4, 8, Nonlinearity = (Nonlinearity)7)] public partial RnnLayer Rnn { get; }
        }
        """,
        "UNR0017", "Rnn(4, 8, Nonlinearity = (Nonlinearity)7)", "'Nonlinearity' of layer 'Rnn' is 7", "but it must be Nonlinearity.Tanh or Nonlinearity.Relu");

    [Theory]
    [InlineData("[Dropout(1.0)] public partial DropoutLayer Drop { get; }", "Dropout(1.0)", "'p' of layer 'Drop' is 1, but it must be at least 0 and below 1")]
    [InlineData("[Dropout(-0.5)] public partial DropoutLayer Drop { get; }", "Dropout(-0.5)", "'p' of layer 'Drop' is -0.5")]
    [InlineData("[Lstm(8, 8, NumLayers = 2, Dropout = 1.5)] public partial LstmLayer Deep { get; }", "Lstm(8, 8, NumLayers = 2, Dropout = 1.5)", "'Dropout' of layer 'Deep' is 1.5")]
    public void UNR0017_DropoutOutOfRange(string property, string span, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
            {{property}}
        }
        """,
        "UNR0017", span, message);

    [Theory]
    [InlineData("Dropout = 1.0", "'Dropout' of layer 'Block' is 1, but it must be at least 0 and below 1")]
    [InlineData("Activation = (ActivationFunction)9", "'Activation' of layer 'Block' is 9")]
    [InlineData("LayerNormEps = 0", "'LayerNormEps' of layer 'Block' is 0, but it must be above 0 and below 1")]
    public void UNR0017_TransformerEncoderLayerOptions(string option, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Encoder
        {
            [TransformerEncoderLayer(8, NumHeads = 2, {{option}})] public partial TransformerEncoderLayer Block { get; }
        }
        """,
        "UNR0017", $"TransformerEncoderLayer(8, NumHeads = 2, {option})", message);

    [Fact]
    public void UNR0019_TransformerHeadsDoNotDivide() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Encoder
        {
            [TransformerEncoderLayer(6, NumHeads = 4)] public partial TransformerEncoderLayer Block { get; }
        }
        """,
        "UNR0019", "TransformerEncoderLayer(6, NumHeads = 4)", "NumHeads (4) of attention layer 'Block' does not divide its width 6");

    [Theory]
    [InlineData("Vocabulary = -1", "'Vocabulary' of layer 'Dec' is -1")]
    [InlineData("Positions = (PositionalEncodingKind)2", "'Positions' of layer 'Dec' is 2")]
    [InlineData("Dropout = -0.5", "'Dropout' of layer 'Dec' is -0.5")]
    public void UNR0017_TransformerDecoderLayerOptions(string option, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10, TargetLength = 4)]
        public partial class Translator
        {
            [TransformerEncoderLayer(8, NumHeads = 2)] public partial TransformerEncoderLayer Enc { get; }
            [TransformerDecoderLayer(8, 5, NumHeads = 2, {{option}})] public partial TransformerDecoderLayer Dec { get; }
        }
        """,
        "UNR0017", $"TransformerDecoderLayer(8, 5, NumHeads = 2, {option})", message);

    [Fact]
    public void UNR0019_TransformerDecoderHeadsDoNotDivide() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10, TargetLength = 4)]
        public partial class Translator
        {
            [TransformerEncoderLayer(6, NumHeads = 2)] public partial TransformerEncoderLayer Enc { get; }
            [TransformerDecoderLayer(6, 5, NumHeads = 4)] public partial TransformerDecoderLayer Dec { get; }
        }
        """,
        "UNR0019", "TransformerDecoderLayer(6, 5, NumHeads = 4)", "NumHeads (4) of attention layer 'Dec' does not divide its width 6");

    [Fact]
    public void UNR0022_TransformerDecoderWidthDiffersFromItsMemory() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10, TargetLength = 4)]
        public partial class Translator
        {
            [Lstm(3, 8)] public partial LstmLayer Enc { get; }
            [TransformerDecoderLayer(6, 5, NumHeads = 2)] public partial TransformerDecoderLayer Dec { get; }
        }
        """,
        "UNR0022", "TransformerDecoderLayer(6, 5, NumHeads = 2)", "its dModel 6 differs from 8, the width of the encoder's output (its memory)");

    [Fact]
    public void UNR0021_TransformerDecoderNotLast() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10, TargetLength = 4)]
        public partial class Translator
        {
            [Lstm(3, 8)] public partial LstmLayer Enc { get; }
            [TransformerDecoderLayer(8, 5, NumHeads = 2)] public partial TransformerDecoderLayer Dec { get; }
            [Linear(5, 5)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0021", "TransformerDecoderLayer(8, 5, NumHeads = 2)", "'Dec' must be the last layer, but 'Head' follows it");

    [Fact]
    public void UNR0018_DropoutFirst() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Dropout(0.2)] public partial DropoutLayer Drop { get; }
            [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
        }
        """,
        "UNR0018", "Dropout(0.2)", "'Drop' must follow another layer");

    [Fact]
    public void UNR0019_HeadsDoNotDivide() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [SelfAttention(6, NumHeads = 4)] public partial SelfAttentionLayer Attn { get; }
        }
        """,
        "UNR0019", "SelfAttention(6, NumHeads = 4)", "NumHeads (4) of attention layer 'Attn' does not divide its width 6");

    [Theory]
    [InlineData("SequenceLength = 6", "must be positive: the AttentionDecoder layer 'Dec' runs up to TargetLength steps, but it is not set")]
    [InlineData("SequenceLength = 6, TargetLength = -2", "but it is -2")]
    public void UNR0020_InvalidTargetLength(string arguments, string detail) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model({{arguments}})]
        public partial class Reader
        {
            [Lstm(3, 4)] public partial LstmLayer Enc { get; }
            [AttentionDecoder(2, 4, 3)] public partial AttentionDecoderLayer Dec { get; }
        }
        """,
        "UNR0020", "Reader", detail);

    [Fact]
    public void UNR0020_TargetLengthWithoutDecoder() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 6, TargetLength = 4)]
        public partial class Tagger
        {
            [Lstm(3, 4)] public partial LstmLayer Enc { get; }
        }
        """,
        "UNR0020", "Tagger", "is set, but the model has no decoder layer");

    [Fact]
    public void UNR0021_DecoderNotLast() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 6, TargetLength = 4)]
        public partial class Reader
        {
            [Lstm(3, 4)] public partial LstmLayer Enc { get; }
            [AttentionDecoder(2, 4, 3)] public partial AttentionDecoderLayer Dec { get; }
            [Linear(3, 5)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0021", "AttentionDecoder(2, 4, 3)", "'Dec' must be the last layer, but 'Head' follows it");

    [Theory]
    [InlineData("[Linear(3, 4)] public partial LinearLayer Enc { get; }", "AttentionDecoder(2, 4, 3)", "no recurrent layer before it gives its initial state")]
    [InlineData("[Lstm(3, 4, Bidirectional = true)] public partial LstmLayer Enc { get; }", "AttentionDecoder(2, 4, 3)", "its hidden size 4 differs from 8, the width of 'Enc''s final state (both directions concatenated)")]
    [InlineData("[Gru(3, 4)] public partial GruLayer Enc { get; } [Linear(4, 6)] public partial LinearLayer Proj { get; }", "AttentionDecoder(2, 4, 3, Attention = AttentionScore.Dot)", "dot attention needs its hidden size 4 to equal the width 6 of the encoder's output")]
    [InlineData("[Conv1d(3, 3, 2, Stride = 2)] public partial Conv1dLayer Front { get; } [Gru(3, 4)] public partial GruLayer Enc { get; }", "AttentionDecoder(2, 4, 3)", "'Front' before it changes the number of steps (6 → 3), and the attention reads the source's own steps and lengths")]
    public void UNR0022_DecoderDoesNotFitEncoder(string encoder, string decoder, string detail) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 6, TargetLength = 4)]
        public partial class Reader
        {
            {{encoder}}
            [{{decoder}}] public partial AttentionDecoderLayer Dec { get; }
        }
        """,
        "UNR0022", decoder, detail);

    [Fact]
    public void UNR0022_DecoderFirst() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 6, TargetLength = 4)]
        public partial class Reader
        {
            [AttentionDecoder(2, 4, 3)] public partial AttentionDecoderLayer Dec { get; }
        }
        """,
        "UNR0022", "AttentionDecoder(2, 4, 3)", "it needs encoder layers before it");

    [Theory]
    [InlineData("Attention = (AttentionScore)7", "Attention")]
    [InlineData("Cell = (DecoderCell)2", "Cell")]
    [InlineData("Vocabulary = -1", "Vocabulary")]
    [InlineData("AttentionSize = -3", "AttentionSize")]
    public void UNR0017_InvalidDecoderOption(string option, string name) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 6, TargetLength = 4)]
        public partial class Reader
        {
            [Lstm(3, 4)] public partial LstmLayer Enc { get; }
            [AttentionDecoder(2, 4, 3, {{option}})] public partial AttentionDecoderLayer Dec { get; }
        }
        """,
        "UNR0017", $"AttentionDecoder(2, 4, 3, {option})", $"'{name}' of layer 'Dec'");

    [Fact]
    public void UNR0009_AttentionAfterLastStep() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Gru(4, 8, ReturnSequences = false)] public partial GruLayer Encoder { get; }
            [SelfAttention(8)] public partial SelfAttentionLayer Attn { get; }
        }
        """,
        "UNR0009", "SelfAttention(8)", "Attention layer 'Attn' comes after 'Encoder'");

    /// <summary>Every problem of a declaration is reported in one build, not one per fix.</summary>
    [Fact]
    public void SeveralProblems_AreAllReported()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using Unroll;

            [Model(BatchSize = 0)]
            public partial class Forecaster
            {
                [Lstm(4, 0)]    public partial LstmLayer Rnn { get; }
                [Linear(8, 3)]  public partial LinearLayer Head { get; }
            }
            """).AssertNoException();
        Assert.Equal(new[] { "UNR0005", "UNR0007", "UNR0008" }, run.GeneratorDiagnostics.Select(d => d.Id).Order());
        DiagnosticAssert.AssertNoCompilerErrorsAdded(run, "UNR0005");
    }

    /// <summary>The declaration of <see cref="Independent_errors_are_reported_in_one_build_and_stand_alone"/> and of the stand-ins' snapshot.</summary>
    public const string SeveralIndependentErrors = """
        using Unroll;

        namespace Sensors;

        [Model(BatchSize = 2)]
        public partial class Forecaster
        {
            [Lstm(4, 8)]   public LstmLayer Rnn { get; }
            [Linear(9, 1)] public partial LinearLayer Head { get; }
            [Gru(1, 8)]    internal partial GruLayer Spare { get; set; }
        }
        """;

    [Fact]
    public void Independent_errors_are_reported_in_one_build_and_stand_alone()
    {
        // A property without 'partial', a size that does not chain, a property with a setter and no SequenceLength: all
        // four in one build (the first used to hide the others), and no compiler error besides (no CS9248).
        GeneratorRun run = GeneratorHarness.Run(SeveralIndependentErrors).AssertNoException();
        Assert.Equal(new[] { "UNR0002", "UNR0002", "UNR0004", "UNR0007" }, run.GeneratorDiagnostics.Select(d => d.Id).Order());
        DiagnosticAssert.AssertNoCompilerErrorsAdded(run, "UNR0002");
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        Assert.Equal("Sensors.Forecaster.g.cs", Assert.Single(run.Sources.Keys));
    }

    [Fact]
    public void A_layer_the_parser_cannot_read_leaves_out_the_checks_between_layers()
    {
        // 'Middle' has two layer attributes (UNR0013): without it the sizes 4 → 8 | 16 → 1 would not chain, but that is
        // the missing layer's doing, so UNR0004 is not reported; the independent UNR0005 still is.
        GeneratorRun run = GeneratorHarness.Run("""
            using Unroll;

            [Model(SequenceLength = 10)]
            public partial class Forecaster
            {
                [Lstm(4, 8)]            public partial LstmLayer Rnn { get; }
                [Lstm(8, 16), Gru(8, 16)] public partial LstmLayer Middle { get; }
                [Linear(16, 0)]         public partial LinearLayer Head { get; }
            }
            """).AssertNoException();
        Assert.Equal(new[] { "UNR0005", "UNR0013" }, run.GeneratorDiagnostics.Select(d => d.Id).Order());
        DiagnosticAssert.AssertNoCompilerErrorsAdded(run, "UNR0013");
    }

    [Theory]
    [InlineData("WeightPrecision = WeightPrecision.BFloat16", "WeightPrecision.BFloat16", "WeightPrecision BFloat16 of model 'Denoiser' needs InferenceOnly = true")]
    [InlineData("InferenceOnly = true, WeightPrecision = (WeightPrecision)7", "(WeightPrecision)7", "WeightPrecision 7 of model 'Denoiser' is not a WeightPrecision value")]
    public void UNR0027_InvalidWeightPrecision(string arguments, string span, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 1, {{arguments}})]
        public partial class Denoiser
        {
            [Lstm(8, 32)]   public partial LstmLayer Rnn { get; }
            [Linear(32, 1)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0027", span, message);

    [Theory]
    [InlineData("BatchSize = 4", "[Gru(16, 64)] public partial GruLayer Rnn { get; }")]
    [InlineData("BatchSize = 1", "[Rnn(16, 64)] public partial RnnLayer Rnn { get; }")]
    [InlineData("BatchSize = 1", "[Gru(16, 32, Bidirectional = true)] public partial GruLayer Rnn { get; }")]
    public void UNR0028_WeightPrecisionUnused(string batch, string layer)
    {
        string source = $$"""
            using Unroll;

            [Model(SequenceLength = 20, {{batch}}, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)]
            public partial class Tagger
            {
                {{layer}}
                [Linear(64, 5)] public partial LinearLayer Head { get; }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(source).AssertNoException();
        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(("UNR0028", DiagnosticSeverity.Warning), (warning.Id, warning.Severity));
        DiagnosticAssert.AssertLocation(source, warning, "WeightPrecision.Int8");
        string message = warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("WeightPrecision Int8 of model 'Tagger' has nothing to apply to", message);
        Assert.Empty(run.OutputErrors); // a warning: the model is still compiled, in float32
        Assert.DoesNotContain("WeightPrecision.Int8", run.SingleSource);
    }

    [Fact]
    public void UNR0028_WeightPrecisionUnused_EncoderDecoder()
    {
        // The decoder's step is its own (not a fused LSTM step) and a bidirectional encoder does not stream.
        GeneratorRun run = GeneratorHarness.Run("""
            using Unroll;

            [Model(SequenceLength = 6, TargetLength = 4, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)]
            public partial class Reader
            {
                [Lstm(3, 4, Bidirectional = true)] public partial LstmLayer Enc { get; }
                [AttentionDecoder(2, 8, 3)] public partial AttentionDecoderLayer Dec { get; }
            }
            """).AssertNoException();
        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(("UNR0028", DiagnosticSeverity.Warning), (warning.Id, warning.Severity));
        Assert.Empty(run.OutputErrors);
    }

    [Theory]
    [InlineData("Groups = 4", "'Groups' of layer 'Conv'", "a divisor of both inChannels (6) and outChannels (8)")]
    [InlineData("Padding = -1", "'Padding' of layer 'Conv'", "at least 0")]
    [InlineData("Padding = 1, Causal = true", "'Padding' of layer 'Conv'", "0 with Causal = true")]
    [InlineData("PaddingMode = (PaddingMode)4", "'PaddingMode' of layer 'Conv'", "Zeros, Reflect, Replicate or Circular")]
    [InlineData("PaddingMode = PaddingMode.Reflect, Causal = true", "'PaddingMode' of layer 'Conv'", "Zeros with Causal = true")]
    public void UNR0017_InvalidConvolutionOption(string option, string name, string expected) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Spotter
        {
            [Conv1d(6, 8, 3, {{option}})] public partial Conv1dLayer Conv { get; }
        }
        """,
        "UNR0017", $"Conv1d(6, 8, 3, {option})", name, expected);

    [Fact]
    public void UNR0005_ConvolutionStride() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Spotter
        {
            [Conv1d(6, 8, 3, Stride = 0)] public partial Conv1dLayer Conv { get; }
        }
        """,
        "UNR0005", "Conv1d(6, 8, 3, Stride = 0)", "'Stride' of layer 'Conv'");

    [Theory]
    [InlineData("[Conv1d(8, 16, 5, Stride = 4)] public partial Conv1dLayer Front { get; }", "Conv1d(16, 16, 5)", "The kernel (5 taps, dilation 1) of layer 'Back' reaches 5 steps, more than the 2 steps it gets at most, padded 0 on each side")]
    [InlineData("[Linear(8, 16)] public partial LinearLayer Front { get; }", "Conv1d(16, 16, 4, Dilation = 5)", "reaches 16 steps, more than the 12 steps it gets at most, padded 0 on each side")]
    public void UNR0031_KernelTooLong(string before, string conv, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 12, BatchSize = 4)]
        public partial class Spotter
        {
            {{before}}
            [{{conv}}] public partial Conv1dLayer Back { get; }
        }
        """,
        "UNR0031", conv, message);

    [Fact]
    public void UNR0009_ConvolutionAfterLastStep() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Gru(4, 8, ReturnSequences = false)] public partial GruLayer Encoder { get; }
            [Conv1d(8, 8, 3)] public partial Conv1dLayer Conv { get; }
        }
        """,
        "UNR0009", "Conv1d(8, 8, 3)", "Convolution layer 'Conv' comes after 'Encoder'");

    [Theory]
    [InlineData("MaxPool1d(5, Stride = 4)", "MaxPool1dLayer", "AvgPool1d(4)", "AvgPool1dLayer", "The pooling window (4 steps, dilation 1) of layer 'Back' reaches 4 steps, more than the 2 steps it gets at most, padded 0 on each side")]
    [InlineData("Linear(8, 8)", "LinearLayer", "MaxPool1d(4, Dilation = 5)", "MaxPool1dLayer", "reaches 16 steps, more than the 12 steps it gets at most, padded 0 on each side")]
    public void UNR0031_PoolingWindowTooLong(string front, string frontType, string pool, string poolType, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 12, BatchSize = 4)]
        public partial class Spotter
        {
            [Linear(4, 8)] public partial LinearLayer In { get; }
            [{{front}}] public partial {{frontType}} Front { get; }
            [{{pool}}] public partial {{poolType}} Back { get; }
        }
        """,
        "UNR0031", pool, message);

    [Theory]
    [InlineData("MaxPool1d(4, Padding = 3)", "MaxPool1dLayer", "'Padding' of layer 'Pool' is 3, but it must be from 0 to half the kernel size (2), as PyTorch requires")]
    [InlineData("AvgPool1d(3, Padding = -1)", "AvgPool1dLayer", "'Padding' of layer 'Pool' is -1")]
    [InlineData("AvgPool1d(3, Stride = -2)", "AvgPool1dLayer", "'Stride' of layer 'Pool' is -2, but it must be positive, or 0 for the kernel's size")]
    [InlineData("Pooling((PoolingKind)5)", "PoolingLayer", "'kind' of layer 'Pool' is 5, but it must be a PoolingKind value (Mean, Max or Last)")]
    public void UNR0017_PoolingOptions(string pool, string type, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Linear(4, 8)] public partial LinearLayer Front { get; }
            [{{pool}}] public partial {{type}} Pool { get; }
        }
        """,
        "UNR0017", pool, message);

    [Theory]
    [InlineData("Pooling(PoolingKind.Mean)", "PoolingLayer")]
    [InlineData("MaxPool1d(2)", "MaxPool1dLayer")]
    public void UNR0018_PoolingFirst(string pool, string type) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [{{pool}}] public partial {{type}} Pool { get; }
            [Linear(4, 8)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0018", pool, "'Pool' must follow another layer");

    [Theory]
    [InlineData("[Gru(8, 8)] public partial GruLayer Rnn { get; }", "Gru(8, 8)", "Recurrent layer 'Rnn' comes after 'Pool', which pools over time, so it has no sequence to read")]
    [InlineData("[AvgPool1d(2)] public partial AvgPool1dLayer Rnn { get; }", "AvgPool1d(2)", "Pooling layer 'Rnn' comes after 'Pool', which pools over time")]
    [InlineData("[Pooling(PoolingKind.Max)] public partial PoolingLayer Rnn { get; }", "Pooling(PoolingKind.Max)", "Pooling layer 'Rnn' comes after 'Pool'")]
    public void UNR0009_TimeAxisAfterPooling(string layer, string span, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Linear(4, 8)] public partial LinearLayer Front { get; }
            [Pooling(PoolingKind.Last)] public partial PoolingLayer Pool { get; }
            {{layer}}
        }
        """,
        "UNR0009", span, message);

    [Theory]
    [InlineData("[Linear(4, 8)] public partial LinearLayer Front { get; }", "PositionalEncoding(10)", "Layer 'Pos' encodes 10 positions (maxLength), but it gets up to 12 steps: raise maxLength to at least 12")]
    [InlineData("[Linear(4, 8)] public partial LinearLayer Front { get; }", "PositionalEncoding(11, Kind = PositionalEncodingKind.Learned)", "encodes 11 positions (maxLength), but it gets up to 12 steps")]
    [InlineData("[Conv1d(4, 8, 2, Stride = 2)] public partial Conv1dLayer Front { get; }", "PositionalEncoding(5)", "encodes 5 positions (maxLength), but it gets up to 6 steps")]
    public void UNR0032_PositionsTooFew(string front, string encoding, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 12, BatchSize = 4)]
        public partial class Tagger
        {
            {{front}}
            [{{encoding}}] public partial PositionalEncodingLayer Pos { get; }
        }
        """,
        "UNR0032", encoding, message);

    [Theory]
    [InlineData("PositionalEncoding(12, Kind = (PositionalEncodingKind)2)", "UNR0017", "'Kind' of layer 'Pos' is 2, but it must be a PositionalEncodingKind value (Sinusoidal or Learned)")]
    [InlineData("PositionalEncoding(0)", "UNR0005", "'maxLength' of layer 'Pos'")]
    [InlineData("PositionalEncoding(-3, Kind = PositionalEncodingKind.Learned)", "UNR0005", "'maxLength' of layer 'Pos'")]
    public void UNR0017_and_UNR0005_PositionalEncodingOptions(string encoding, string id, string message) => DiagnosticAssert.Single($$"""
        using Unroll;

        [Model(SequenceLength = 12)]
        public partial class Tagger
        {
            [Linear(4, 8)] public partial LinearLayer Front { get; }
            [{{encoding}}] public partial PositionalEncodingLayer Pos { get; }
        }
        """,
        id, encoding, message);

    [Fact]
    public void UNR0018_PositionalEncodingFirst() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [PositionalEncoding(10)] public partial PositionalEncodingLayer Pos { get; }
            [Linear(4, 8)] public partial LinearLayer Head { get; }
        }
        """,
        "UNR0018", "PositionalEncoding(10)", "'Pos' must follow another layer");

    [Fact]
    public void UNR0009_PositionalEncodingAfterLastStep() => DiagnosticAssert.Single("""
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Tagger
        {
            [Gru(4, 8, ReturnSequences = false)] public partial GruLayer Encoder { get; }
            [PositionalEncoding(10)] public partial PositionalEncodingLayer Pos { get; }
        }
        """,
        "UNR0009", "PositionalEncoding(10)", "Positional encoding 'Pos' comes after 'Encoder'");

    // ---- The descriptors and their help pages ----

    [Fact]
    public void Descriptors_AreNumberedFromUNR0001_InOrder_AllErrorsButUNR0026_28And29()
    {
        Assert.Equal(Enumerable.Range(1, 32).Select(i => $"UNR{i:0000}"), Descriptors.AllDescriptors.Select(d => d.Id));
        foreach (DiagnosticDescriptor descriptor in Descriptors.AllDescriptors)
        {
            // Errors cannot be configured away; the warnings (tensors left out of compiled weights, a precision with nothing to
            // apply to, a weights file not written yet) can.
            bool warning = descriptor.Id is "UNR0026" or "UNR0028" or "UNR0029";
            Assert.Equal(warning ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.Equal(!warning, descriptor.CustomTags.Contains(WellKnownDiagnosticTags.NotConfigurable));
            Assert.True(descriptor.IsEnabledByDefault, descriptor.Id);
            Assert.Equal("Unroll", descriptor.Category);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()), descriptor.Id);
            Assert.Same(descriptor, Descriptors.ById(descriptor.Id));
        }
    }

    [Fact]
    public void EveryDescriptor_HasAHelpLinkToItsPage_AndThePageExists()
    {
        foreach (DiagnosticDescriptor descriptor in Descriptors.AllDescriptors)
        {
            Assert.EndsWith("/generators/Unroll.Generators/Diagnostics/docs/" + descriptor.Id + ".md", descriptor.HelpLinkUri);
            Assert.True(Uri.TryCreate(descriptor.HelpLinkUri, UriKind.Absolute, out Uri? uri) && uri.Scheme == "https", descriptor.HelpLinkUri);

            string page = Path.Combine(RepositoryPaths.DiagnosticDocs, descriptor.Id + ".md");
            Assert.True(File.Exists(page), $"{descriptor.Id}: no help page at {page}");
            string text = File.ReadAllText(page);
            Assert.StartsWith($"# {descriptor.Id}: {descriptor.Title}", text);
            Assert.Contains("## Invalid", text);
            Assert.Contains("## Fixed", text);
        }
    }

    [Fact]
    public void EveryDescriptor_IsTrackedInAnalyzerReleases()
    {
        string root = Path.Combine(RepositoryPaths.Root, "generators", "Unroll.Generators");
        string releases = File.ReadAllText(Path.Combine(root, "AnalyzerReleases.Shipped.md")) + File.ReadAllText(Path.Combine(root, "AnalyzerReleases.Unshipped.md"));
        foreach (DiagnosticDescriptor descriptor in Descriptors.AllDescriptors)
        {
            Assert.Contains($"{descriptor.Id} | {descriptor.Category} | {descriptor.DefaultSeverity} | {descriptor.Title}", releases);
        }
    }

    public static TheoryData<string> Ids => new(Descriptors.AllDescriptors.Select(d => d.Id));

    /// <summary>
    /// Each help page's "Invalid" declaration reports its id with exactly the message the page quotes,
    /// and its "Fixed" declaration compiles without any diagnostic: the pages cannot drift from the generator.
    /// </summary>
    [Theory]
    [MemberData(nameof(Ids))]
    public void HelpPage_ExamplesMatchTheGenerator(string id)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryPaths.DiagnosticDocs, id + ".md"));
        string invalid = CodeBlockAfter(text, "## Invalid", "csharp");
        string quoted = CodeBlockAfter(text, "## Invalid", "").Trim();
        string fixedDeclaration = CodeBlockAfter(text, "## Fixed", "csharp");

        GeneratorRun run = RunExample(invalid, Section(text, "## Invalid"));
        Diagnostic reported = Assert.Single(run.GeneratorDiagnostics, d => d.Id == id);
        string severity = reported.Severity == DiagnosticSeverity.Warning ? "warning" : "error";
        string message = $"{severity} {id}: {reported.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        if (id == "UNR0011")
        {
            // The page says the float count "depends on the generated arena layout": compare the rest.
            const string Count = @"needs \d+ floats";
            quoted = Regex.Replace(quoted, Count, "needs N floats");
            message = Regex.Replace(message, Count, "needs N floats");
        }
        Assert.Equal(quoted, message);

        GeneratorRun fixedRun = RunExample(fixedDeclaration, Section(text, "## Fixed"));
        Assert.Empty(fixedRun.GeneratorDiagnostics);
        Assert.Empty(fixedRun.OutputErrors);
    }

    /// <summary>
    /// Runs a page's declaration with the AdditionalFiles its section describes: a <c>```safetensors</c> block (first line
    /// the path, then one <c>name dtype [shape]</c> line a tensor, zeros as values), a <c>```file</c> block (first line
    /// the path, then the file's text) or an <c>```absent</c> block (the path of an item whose file does not exist).
    /// </summary>
    private static GeneratorRun RunExample(string declaration, string section)
    {
        string folder = Path.Combine(Path.GetTempPath(), "unroll-help-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = new List<string>();
            var fenced = new Regex(@"^```(?<language>safetensors|file|absent)[ \t]*\r?\n(?<path>[^\r\n]+)\r?\n(?<body>.*?)^```[ \t]*$", RegexOptions.Singleline | RegexOptions.Multiline);
            foreach (Match block in fenced.Matches(section))
            {
                string path = Path.Combine(folder, block.Groups["path"].Value.Trim());
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                string body = block.Groups["body"].Value;
                if (block.Groups["language"].Value == "absent")
                {
                    // An item of the project whose file does not exist (yet).
                }
                else if (block.Groups["language"].Value == "file")
                {
                    File.WriteAllText(path, body);
                }
                else
                {
                    var tensors = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
                    {
                        var parts = Regex.Match(line, @"^(?<name>\S+)\s+(?<dtype>\S+)\s+\[(?<shape>[\d, ]*)\]$");
                        Assert.True(parts.Success, "Not a 'name dtype [shape]' line: " + line);
                        int[] shape = parts.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
                        return new CompiledWeightsTests.Tensor(parts.Groups["name"].Value, parts.Groups["dtype"].Value, shape, new double[shape.Aggregate(1, (a, b) => a * b)]);
                    }).ToList();
                    File.WriteAllBytes(path, CompiledWeightsTests.SafetensorsBytes(tensors));
                }
                files.Add(path);
            }
            return GeneratorHarness.Run(declaration, files).AssertNoException();
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The text from <paramref name="heading"/> to the next <c>## </c> heading.</summary>
    private static string Section(string markdown, string heading)
    {
        int start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"No '{heading}' section.");
        int end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown.Substring(start) : markdown.Substring(start, end - start);
    }

    /// <summary>The first fenced block with <paramref name="language"/> (empty: a plain block) after <paramref name="heading"/>.</summary>
    private static string CodeBlockAfter(string markdown, string heading, string language)
    {
        int start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"No '{heading}' section.");
        var fenced = new Regex(@"^```(?<language>[\w-]*)[ \t]*\r?\n(?<body>.*?)^```[ \t]*$", RegexOptions.Singleline | RegexOptions.Multiline);
        for (Match block = fenced.Match(markdown, start); block.Success; block = block.NextMatch())
        {
            if (block.Groups["language"].Value == language) return block.Groups["body"].Value;
        }
        Assert.Fail($"No ```{language} block after '{heading}'.");
        return "";
    }

    // ---- Where diagnostics are reported ----

    private const string UnchainedWithPragma = """
        using Unroll;

        [Model(SequenceLength = 10)]
        public partial class Forecaster
        {
            [Lstm(4, 128)] public partial LstmLayer Rnn { get; }
        #pragma warning disable UNR0004
            [Linear(64, 3)] public partial LinearLayer Head { get; }
        #pragma warning restore UNR0004
        }
        """;

    /// <summary>
    /// A diagnostic must point into the user's syntax tree (a <see cref="LocationKind.SourceFile"/>
    /// location): that is what the compiler checks <c>#pragma warning</c> and <c>[SuppressMessage]</c>
    /// against, and what the IDE ties squiggles and fixes to. <c>Location.Create(path, span, lineSpan)</c>
    /// makes an <see cref="LocationKind.ExternalFile"/> location that pragmas never see (roslyn#68291,
    /// dotnet/runtime#92509). Rebuild the location from the tree when reporting (a separate pipeline,
    /// as dotnet/runtime#124994 does, or an analyzer). Today's descriptors are NotConfigurable, so the
    /// pragma itself is ignored either way (next test); the location still matters.
    /// </summary>
    [Fact]
    public void Diagnostic_HasPragmaSuppressibleLocation()
    {
        GeneratorRun run = GeneratorHarness.Run(UnchainedWithPragma).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0004", diagnostic.Id);
        DiagnosticAssert.AssertLocation(UnchainedWithPragma, diagnostic, "Linear(64, 3)");
        Assert.Equal(LocationKind.SourceFile, diagnostic.Location.Kind);
        Assert.Same(run.Input.SyntaxTrees.Single(), diagnostic.Location.SourceTree);
    }

    /// <summary>
    /// Unroll's diagnostics are hard errors (<see cref="WellKnownDiagnosticTags.NotConfigurable"/>, as the
    /// Regex generator's are): a pragma does not silence them, so a broken model cannot be hidden.
    /// </summary>
    [Fact]
    public void Diagnostic_IsAnErrorAPragmaCannotSilence()
    {
        GeneratorRun run = GeneratorHarness.Run(UnchainedWithPragma).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0004", diagnostic.Id);
        Assert.False(diagnostic.IsSuppressed);
        Assert.Contains(WellKnownDiagnosticTags.NotConfigurable, diagnostic.Descriptor.CustomTags);
    }
}
