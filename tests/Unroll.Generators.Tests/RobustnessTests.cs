using Microsoft.CodeAnalysis;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// Valid C# that is unusual for a model declaration. For each, the generator must not throw, and
/// either compile the model (the output compiles) or say why not with an Unroll diagnostic; it must
/// never emit code that breaks the user's build with compiler errors in generated files.
/// </summary>
public sealed class RobustnessTests
{
    private static void AssertCompilesOrExplains(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: true);
        Assert.True(run.Result.Exception is null, $"The generator threw: {run.Result.Exception}");
        if (run.GeneratorDiagnostics.Any(d => d.Id.StartsWith("UNR", StringComparison.Ordinal))) return;

        Assert.True(run.OutputErrors.Count == 0, $"No Unroll diagnostic, but the output does not compile ({run.OutputErrors.Count} errors):\n" + string.Join("\n", run.OutputErrors.Take(5)));
        Assert.NotEmpty(run.Result.GeneratedSources);
    }

    [Fact]
    public void SingleLayerModels_Compile()
    {
        AssertCompilesOrExplains("""
            using Unroll;

            namespace Edge
            {
                [Model(SequenceLength = 5)] public partial class OnlyEmbedding { [Embedding(10, 4)] public partial EmbeddingLayer Embed { get; } }
                [Model(SequenceLength = 5, BatchSize = 3)] public partial class OnlyLinear { [Linear(4, 2)] public partial LinearLayer Head { get; } }
                [Model(SequenceLength = 1)] public partial class OneStep { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }
                [Model(SequenceLength = 5, BatchSize = 2)] public partial class LastStep { [Rnn(3, 4, ReturnSequences = false)] public partial RnnLayer Rnn { get; } }
                [Model(SequenceLength = 5, BatchSize = 2)] public partial class DeepBidirectional { [Gru(3, 4, NumLayers = 3, Bidirectional = true)] public partial GruLayer Rnn { get; } }
                [Model(SequenceLength = 5)] public partial class Mlp
                {
                    [Gru(3, 4, ReturnSequences = false)] public partial GruLayer Rnn { get; }
                    [Linear(4, 6)] public partial LinearLayer Hidden { get; }
                    [Linear(6, 2)] public partial LinearLayer Head { get; }
                }
            }
            """);
    }

    [Fact]
    public void ContainingTypesOfEveryKind_Compile()
    {
        AssertCompilesOrExplains("""
            using Unroll;

            public partial struct InStruct { [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } } }
            public partial record InRecord { [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } } }
            public partial record struct InRecordStruct { [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } } }
            public partial interface IInInterface { [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } } }
            public static partial class InStatic { [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } } }
            """);
    }

    [Fact]
    public void ConstantsAliasesAndQualifiedNames_AreUnderstood()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using L = Unroll.LstmAttribute;

            [Unroll.Model(SequenceLength = Sizes.Steps, BatchSize = 2 * Sizes.Half)]
            public partial class M
            {
                [L(3, Sizes.Hidden)] public partial global::Unroll.LstmLayer Rnn { get; }
                [Unroll.LinearAttribute(Sizes.Hidden, 1)] public partial Unroll.LinearLayer Head { get; }
            }

            static class Sizes { public const int Steps = 7, Half = 2, Hidden = 5; }
            """, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("public const int SequenceLength = 7;", run.SingleSource);
        Assert.Contains("public const int BatchSize = 4;", run.SingleSource);
        Assert.Contains("LSTM(3 → 5)", run.SingleSource);
        Assert.Empty(run.OutputErrors);
    }

    /// <summary>Hint names are compared ignoring case: two models whose names differ only in case need distinct ones.</summary>
    [Fact]
    public void ModelsWhoseNamesDifferOnlyInCase_DoNotCrash() => AssertCompilesOrExplains("""
        using Unroll;

        [Model(SequenceLength = 5)] public partial class Lm { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }
        [Model(SequenceLength = 5)] public partial class LM { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }
        """);

    /// <summary>A hint name may not contain '@'; the namespace's display string keeps it.</summary>
    [Fact]
    public void VerbatimIdentifierInNamespace_DoesNotCrash() => AssertCompilesOrExplains("""
        using Unroll;

        namespace Acme.@class
        {
            [Model(SequenceLength = 5)] public partial class Lm { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }
        }
        """);

    [Theory]
    [InlineData("[Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer @event { get; } }")]
    [InlineData("[Model(SequenceLength = 5)] public partial class @class { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }")]
    public void KeywordNames_AreEscaped(string declaration) => AssertCompilesOrExplains("using Unroll;\n" + declaration);

    [Theory]
    [InlineData("[Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public virtual partial LstmLayer Rnn { get; } }")]
    [InlineData("public class Base { public int Rnn => 1; } [Model(SequenceLength = 5)] public partial class M : Base { [Lstm(3, 4)] public new partial LstmLayer Rnn { get; } }")]
    public void LayerPropertyModifiers_AreKeptOrReported(string declaration) => AssertCompilesOrExplains("using Unroll;\n" + declaration);

    /// <summary>A <c>file</c> class cannot get a partial part in another file.</summary>
    [Fact]
    public void FileLocalModel_IsReported() => AssertCompilesOrExplains("""
        using Unroll;

        [Model(SequenceLength = 5)] file partial class M { [Lstm(3, 4)] public partial LstmLayer Rnn { get; } }
        """);

    /// <summary>A layer cannot take the name of a member Unroll generates.</summary>
    [Theory]
    [InlineData("Parameters")]
    [InlineData("Layout")]
    public void LayerNamedLikeAGeneratedMember_IsReported(string name) => AssertCompilesOrExplains($$"""
        using Unroll;

        [Model(SequenceLength = 5)] public partial class M { [Lstm(3, 4)] public partial LstmLayer {{name}} { get; } }
        """);
}
