using Microsoft.CodeAnalysis;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The emitted code of representative models, compared in full with <c>Snapshots/*.verified.cs</c>
/// (so any change to formatting or readability shows up in review), and compiled.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void CharLm() => Verify(Models.CharLm, "CharLm.g.cs", nameof(CharLm));

    [Fact]
    public void BidirectionalGruClassifier() => Verify(Models.BidirectionalGruClassifier, "Sentiment.Classifier.g.cs", nameof(BidirectionalGruClassifier));

    [Fact]
    public void ReluRnnRegressor() => Verify(Models.ReluRnnRegressor, "Signals.Denoiser.g.cs", nameof(ReluRnnRegressor));

    [Fact]
    public void NestedInternalTagger() => Verify(Models.NestedInternalTagger, "Company.Product.Nlp.Catalog.Tagger.g.cs", nameof(NestedInternalTagger));

    [Fact]
    public void StackedBidirectionalLstm() => Verify(Models.StackedBidirectionalLstm, "Speech.FrameTagger.g.cs", nameof(StackedBidirectionalLstm));

    [Fact]
    public void CausalTransformerBlock() => Verify(Models.CausalTransformerBlock, "Text.TinyGpt.g.cs", nameof(CausalTransformerBlock));

    [Fact]
    public void DateTranslator() => Verify(Models.DateTranslator, "Dates.Translator.g.cs", nameof(DateTranslator));

    [Fact]
    public void GruDotSeq2Seq() => Verify(Models.GruDotSeq2Seq, "Signals.Forecaster.g.cs", nameof(GruDotSeq2Seq));

    /// <summary>
    /// The generated code must not depend on the user's usings (it writes <c>global::</c> names), so it
    /// compiles in a project without implicit usings too.
    /// </summary>
    [Fact]
    public void GeneratedCode_CompilesWithoutImplicitUsings()
    {
        var failures = new List<string>();
        foreach (string source in new[] { Models.CharLm, Models.BidirectionalGruClassifier, Models.ReluRnnRegressor, Models.NestedInternalTagger, Models.StackedBidirectionalLstm, Models.DateTranslator, Models.GruDotSeq2Seq })
        {
            GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: false).AssertNoException();
            failures.AddRange(run.OutputErrors);
        }
        Assert.True(failures.Count == 0, "The generated code needs the user's usings:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// One file with the expected hint name, no generator diagnostics, an output compilation with no
    /// errors and no warnings in the generated code, then the snapshot. The user's project is a
    /// default one (implicit usings on); <see cref="GeneratedCode_CompilesWithoutImplicitUsings"/> covers the other case.
    /// </summary>
    private static void Verify(string source, string hintName, string snapshot)
    {
        GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(hintName, Assert.Single(run.Sources.Keys));
        Assert.True(run.OutputErrors.Count == 0, "The output compilation has errors:\n" + string.Join("\n", run.OutputErrors));
        Assert.True(run.GeneratedCodeDiagnostics.Count(d => d.Severity >= DiagnosticSeverity.Warning) == 0,
            "The generated code has warnings:\n" + string.Join("\n", run.GeneratedCodeDiagnostics));
        Snapshot.Match(snapshot, run.SingleSource);
    }
}
