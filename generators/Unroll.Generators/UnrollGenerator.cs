using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unroll.Generators.Emitting;
using Unroll.Generators.Parsing;
using Unroll.Generators.Planning;

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
        public const string Plan = nameof(Plan);
        public const string Source = nameof(Source);
        public const string Diagnostics = nameof(Diagnostics);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // ForAttributeWithMetadataName reads only the attributed classes; the transform keeps nothing of
        // the compilation (strings, numbers, equatable arrays), so an unrelated edit stops here, cached.
        var plans = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Unroll.ModelAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(Steps.Parse)
            .Select(static (parsed, _) => Planner.Plan(parsed))
            .WithTrackingName(Steps.Plan);

        // Source and diagnostics travel separately, so a diagnostic-only change never re-emits source.
        var sources = plans
            .Select(static (result, _) => result.Plan)
            .WithTrackingName(Steps.Source);
        context.RegisterSourceOutput(sources, static (output, plan) =>
        {
            if (plan is not null) output.AddSource(Emitter.HintName(plan), Emitter.Emit(plan));
        });

        var diagnostics = plans
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(Steps.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, found) =>
        {
            foreach (var diagnostic in found) output.ReportDiagnostic(diagnostic.ToDiagnostic());
        });
    }
}
