using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unroll.Generators.Emitting;
using Unroll.Generators.Model;
using Unroll.Generators.Parsing;
using Unroll.Generators.Planning;
using Unroll.Generators.Weights;

namespace Unroll.Generators;

/// <summary>
/// Compiles every <c>[Model]</c> class: Parser (symbols → <c>ModelSpec</c>) → Planner (shapes, arena,
/// diagnostics → <c>ModelPlan</c>) → Emitter (<c>{Namespace}.{Type}.g.cs</c>).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class UnrollGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for the incremental-caching tests.</summary>
    public static class Steps
    {
        public const string Parse = nameof(Parse);
        public const string ParseInferenceModel = nameof(ParseInferenceModel);
        public const string Plan = nameof(Plan);
        public const string Source = nameof(Source);
        public const string Diagnostics = nameof(Diagnostics);
        public const string WeightFiles = nameof(WeightFiles);
        public const string Weights = nameof(Weights);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // ForAttributeWithMetadataName reads only the attributed classes; the transform keeps nothing of
        // the compilation (strings, numbers, equatable arrays), so an unrelated edit stops here, cached.
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Unroll.ModelAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(Steps.Parse);
        // [InferenceModel(typeof(Trained))]: the class's own options, then the trained model's layers, found among the
        // parsed models by name (so that an edit of the trained model reaches it, whichever file each is in).
        var inferenceModels = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Unroll.InferenceModelAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                Parser.ParseInferenceModel)
            .WithTrackingName(Steps.ParseInferenceModel)
            .Combine(models.Collect())
            .Select(static (item, _) => Parser.TakeLayers(item.Left, item.Right));
        var plans = models.Collect()
            .Combine(inferenceModels.Collect())
            .SelectMany(static (item, _) => item.Left.AddRange(item.Right))
            .Select(static (parsed, _) => Planner.Plan(parsed))
            .WithTrackingName(Steps.Plan);

        // Source and diagnostics travel separately, so a diagnostic-only change never re-emits source.
        // Hint names compare without case: two models whose names differ only in case get their
        // hint names told apart. The set of such names changes only when models are added or renamed.
        var clashingNames = plans
            .Select(static (result, _) => result.Plan is null ? "" : Emitter.HintName(result.Plan))
            .Collect()
            .Select(static (names, _) => names
                .Where(n => n.Length > 0)
                .GroupBy(n => n, StringComparer.OrdinalIgnoreCase)
                .Where(g => g.Count() > 1)
                .SelectMany(g => g)
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToEquatableArray());

        // Source and diagnostics travel separately, so a diagnostic-only change never re-emits source.
        var sources = plans
            .Select(static (result, _) => result.Plan)
            .Combine(clashingNames)
            .WithTrackingName(Steps.Source);
        context.RegisterSourceOutput(sources, static (output, item) =>
        {
            var (plan, clashing) = item;
            if (plan is null) return;
            output.AddSource(HintName(plan, clashing), Emitter.Emit(plan));
        });

        // A declaration with errors: its layer properties and constructors all the same, so that its UNR errors stand alone.
        var stubs = plans
            .Select(static (result, _) => result.Plan is null ? result.Stub : null)
            .Where(static stub => stub is not null);
        context.RegisterSourceOutput(stubs, static (output, stub) => output.AddSource(Emitter.HintName(stub!), Emitter.EmitStub(stub!)));

        // Weights compiled in ([Model(Weights = "...")]): the .safetensors AdditionalFiles items, read as bytes, are
        // matched to the plans that name one. The source depends on the plan and the files only; the diagnostics
        // also on where Weights is written.
        var weightFiles = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, cancellationToken) => WeightsFile.Read(text.Path, cancellationToken))
            .WithTrackingName(Steps.WeightFiles)
            .Collect();
        var weightSources = sources
            .Where(static item => item.Left?.Weights is not null)
            .Combine(weightFiles)
            .Select(static (item, _) =>
            {
                var ((plan, clashing), files) = item;
                return (HintName: Emitter.WeightsHintName(HintName(plan!, clashing)), Source: Emitter.EmitWeights(plan!, WeightsMatch.Find(plan!, files)));
            })
            .WithTrackingName(Steps.Weights);
        context.RegisterSourceOutput(weightSources, static (output, item) => output.AddSource(item.HintName, item.Source));
        Report(context, plans
            .Where(static result => result.Plan?.Weights is not null)
            .Combine(weightFiles)
            .Select(static (item, _) => WeightsMatch.Find(item.Left.Plan!, item.Right).Diagnostics(item.Left.WeightsLocation)));

        Report(context, plans
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(Steps.Diagnostics));
    }

    /// <summary>A model's hint name, told apart from another's that differs only in case.</summary>
    private static string HintName(ModelPlan plan, EquatableArray<string> clashing)
    {
        string hintName = Emitter.HintName(plan);
        return clashing.Contains(hintName) ? Emitter.CaseDistinctHintName(hintName) : hintName;
    }

    /// <summary>
    /// Reports diagnostics into the user's syntax tree (so the IDE squiggles the declaration): the cached models hold
    /// only the file path and span, and the tree is looked up when reporting.
    /// </summary>
    private static void Report(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics) =>
        context.RegisterSourceOutput(
            diagnostics.Combine(context.CompilationProvider.Select(static (compilation, _) => new SyntaxTrees(compilation.SyntaxTrees))),
            static (output, item) =>
            {
                var (found, trees) = item;
                foreach (var diagnostic in found) output.ReportDiagnostic(diagnostic.ToDiagnostic(trees.Find));
            });
}

/// <summary>The compilation's syntax trees, found by path when a diagnostic is reported. Compares by reference: it changes with every edit, but only the cheap reporting step depends on it.</summary>
internal sealed class SyntaxTrees
{
    private readonly IEnumerable<SyntaxTree> _trees;

    public SyntaxTrees(IEnumerable<SyntaxTree> trees) => _trees = trees;

    public SyntaxTree? Find(string path) => _trees.FirstOrDefault(t => t.FilePath == path);
}
