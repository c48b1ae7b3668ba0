using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The <c>[PositionalEncoding]</c> layer in the generator beyond its snapshots (<c>PositionalTagger</c>, <c>LearnedPositions</c>)
/// and diagnostics (UNR0032 and the shared ones in <c>DiagnosticTests</c>): where its table lives and when the model streams.
/// </summary>
public sealed class PositionalEncodingLayerTests
{
    private static GeneratorRun Compile(string layers, int sequenceLength = 12)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using Unroll;

            [Model(SequenceLength = {{sequenceLength}}, BatchSize = 2)]
            public partial class Tagger
            {
                {{layers}}
                [Linear(8, 3)] public partial LinearLayer Head { get; }
            }
            """, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
        return run;
    }

    [Fact]
    public void The_sinusoidal_table_holds_the_steps_the_layer_gets_and_the_model_streams_through_it()
    {
        string code = Compile("""
            [Linear(4, 8)] public partial LinearLayer Front { get; }
            [PositionalEncoding(100)] public partial PositionalEncodingLayer Pos { get; }
            """).SingleSource;
        Assert.Contains("public const int Pos_Encodings = ", code, StringComparison.Ordinal);
        Assert.Contains("// 96: Pos sinusoidal encodings of positions 0 … 11, [12, 8] (filled by the constructor)", code, StringComparison.Ordinal);
        Assert.Contains("global::Unroll.Kernels.Positions.Sinusoidal(Arena.Slice(Layout.Pos_Encodings, 96), 12, 8);", code, StringComparison.Ordinal);
        Assert.Contains("public void Step(", code, StringComparison.Ordinal);
        Assert.Contains("as many as the positional encodings hold", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Pos_weight", code, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_layer_that_maps_the_time_axis_it_encodes_the_mapped_steps_and_the_model_does_not_stream()
    {
        string code = Compile("""
            [Conv1d(4, 8, 2, Stride = 2)] public partial Conv1dLayer Front { get; }
            [PositionalEncoding(6)] public partial PositionalEncodingLayer Pos { get; }
            """).SingleSource;
        Assert.Contains("// 48: Pos sinusoidal encodings of positions 0 … 5, [6, 8]", code, StringComparison.Ordinal);
        Assert.Contains("lengthAfterFront, 2, 8);", code, StringComparison.Ordinal);
        Assert.DoesNotContain("public void Step(", code, StringComparison.Ordinal);
        Assert.DoesNotContain("public bool Step(", code, StringComparison.Ordinal);
    }

    [Fact]
    public void A_frozen_learned_table_gets_no_gradient_and_its_view_none()
    {
        string code = Compile("""
            [Linear(4, 8)] public partial LinearLayer Front { get; }
            [PositionalEncoding(12, Kind = PositionalEncodingKind.Learned, Trainable = false)] public partial PositionalEncodingLayer Pos { get; }
            """).SingleSource;
        Assert.Contains("// Pos: frozen (Trainable = false), no weight gradient", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Positions.GradientAdd", code, StringComparison.Ordinal);
        Assert.Contains("Layout.Pos_weight, -1, global::Unroll.PositionalEncodingKind.Learned, 12, 8)", System.Text.RegularExpressions.Regex.Replace(code, @"\s+", " "), StringComparison.Ordinal);
    }
}
