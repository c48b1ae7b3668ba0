using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unroll.Generators.Diagnostics;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Parsing;

/// <summary>
/// Reads a <c>[Model]</c> class into a <see cref="ModelSpec"/>: the only place that looks at Roslyn
/// symbols. It checks what is about C# (partial, property types, attribute use) and leaves
/// the checks about sizes to the planner.
/// </summary>
internal static class Parser
{
    private const string AttributeNamespace = "Unroll";

    /// <summary>The layer attributes and the property type each needs (the handlers say).</summary>
    private static IEnumerable<(string Attribute, string Kind, string ViewType)> Layers =>
        LayerHandler.All.Select(h => (h.Attribute, h.Kind, h.ViewType));

    /// <summary>A <c>[Model]</c> class.</summary>
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Read(context, null, cancellationToken);

    /// <summary>
    /// An <c>[InferenceModel(typeof(Trained))]</c> class: its own declaration and options, with no layers; <see cref="TakeLayers"/>
    /// then gives it the trained model's.
    /// </summary>
    public static ParseResult ParseInferenceModel(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        LocationInfo? location = LocationInfo.From(((TypeDeclarationSyntax)context.TargetNode).Identifier.GetLocation());
        // The class is a [Model] already: that declaration compiles it; this attribute only adds an error.
        if (IsModel(type))
        {
            return new ParseResult(null, new[] { DiagnosticInfo.Create(Descriptors.InvalidInferenceModel, location, type.Name,
                "is beside [Model]: a class either declares its layers ([Model]) or takes a trained model's ([InferenceModel]); keep one") }.ToEquatableArray());
        }
        // typeof(...) of a type the compiler cannot find: it reports that; the class gets its constructors meanwhile.
        var arguments = context.Attributes[0].ConstructorArguments;
        if (arguments.Length != 1 || arguments[0].Value is not INamedTypeSymbol { TypeKind: not TypeKind.Error } trained)
        {
            return Read(context, "", cancellationToken) with { Spec = null };
        }
        string? problem = !IsModel(trained)
            ? $"names '{trained.Name}', which is not a [Model] class: name the trained model whose layers this one takes"
            : trained.DeclaringSyntaxReferences.IsEmpty
                ? $"names '{trained.Name}' of another assembly: it takes the layers of a [Model] class of the same project"
                : null;
        ParseResult own = Read(context, trained.ToDisplayString(), cancellationToken);
        return problem is null ? own : own with
        {
            Spec = null,
            Diagnostics = own.Diagnostics.Concat(new[] { DiagnosticInfo.Create(Descriptors.InvalidInferenceModel, location, type.Name, problem) }).ToEquatableArray(),
        };
    }

    /// <summary>Whether the type carries <c>[Model]</c>.</summary>
    private static bool IsModel(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Unroll.ModelAttribute");

    /// <summary>
    /// An inference model's spec: the trained model's layers and settings, with its own name, place and options, compiled for
    /// inference only. While the trained model has errors (reported at it), the inference model adds none and is not compiled.
    /// </summary>
    public static ParseResult TakeLayers(ParseResult inference, ImmutableArray<ParseResult> models)
    {
        if (inference.Spec is not { } own) return inference;
        ParseResult? source = models.FirstOrDefault(m => m.Key == inference.Source);
        if (source?.Spec is not { } trained || source.Diagnostics.Any(d => Descriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error) || Planner.Plan(source).Plan is null)
        {
            return inference with { Spec = null };
        }
        return inference with
        {
            Spec = trained with
            {
                Namespace = own.Namespace,
                ContainingTypes = own.ContainingTypes,
                TypeName = own.TypeName,
                Location = own.Location,
                // The trained model's layers, their diagnostics (a size that no longer fits a new BatchSize, say) at this class.
                Layers = trained.Layers.Select(l => l with { Location = own.Location }).ToEquatableArray(),
                SequenceLength = own.SequenceLength ?? trained.SequenceLength,
                BatchSize = own.BatchSize != 0 ? own.BatchSize : trained.BatchSize,
                TargetLength = own.TargetLength ?? trained.TargetLength,
                InferenceOnly = true,
                Weights = own.Weights,
                WeightsLocation = own.WeightsLocation,
                WeightPrecision = own.WeightPrecision,
                WeightPrecisionLocation = own.WeightPrecisionLocation,
                TrainedModel = source.Key,
            },
        };
    }

    /// <summary>
    /// Reads a model class: a <c>[Model]</c> (<paramref name="trainedModel"/> null), or an <c>[InferenceModel]</c> whose layers
    /// come from <paramref name="trainedModel"/> (its full name), which must declare none and whose unset sizes are 0.
    /// </summary>
    private static ParseResult Read(GeneratorAttributeSyntaxContext context, string? trainedModel, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? typeLocation = LocationInfo.From(syntax.Identifier.GetLocation());

        // The declaration itself: a partial, non-generic class, nested only in partial types.
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelNotPartial, typeLocation, type.Name));
        }
        string? unsupported = type.TypeKind != TypeKind.Class || type.IsRecord ? "only a class can be a model"
            : type.IsStatic ? "a static class cannot hold model instances"
            : type.TypeParameters.Length > 0 ? "a generic class cannot be a model, because every shape must be a compile-time constant"
            : type.IsFileLocal ? "a file-local class cannot be a model, because the compiled members live in another file"
            : null;
        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null && unsupported is null; outer = outer.ContainingType)
        {
            var outerSyntax = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (outerSyntax is null || !outerSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
                unsupported = $"it is nested in '{outer.Name}', which is not partial";
            else if (outer.TypeParameters.Length > 0)
                unsupported = $"it is nested in the generic type '{outer.Name}'";
            else
                containing.Insert(0, new ContainingType(Keyword(outerSyntax), outer.Name));
        }
        if (unsupported is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedModelType, typeLocation, type.Name, unsupported));
        }

        // [Model(SequenceLength = .., BatchSize = ..)], or [InferenceModel(typeof(..), ..)], whose 0 keeps the trained model's.
        int? sequenceLength = null, targetLength = null;
        int batchSize = trainedModel is null ? 1 : 0;
        bool inferenceOnly = false;
        string? weights = null;
        int precision = 0;
        foreach (var argument in context.Attributes[0].NamedArguments)
        {
            if (argument.Key == "InferenceOnly" && argument.Value.Value is bool flag) inferenceOnly = flag;
            if (argument.Key == "WeightPrecision" && argument.Value.Kind == TypedConstantKind.Enum && argument.Value.Value is int chosen) precision = chosen;
            if (argument.Key == "Weights" && argument.Value.Value is string file) weights = file;
            if (argument.Value.Kind != TypedConstantKind.Primitive || argument.Value.Value is not int value) continue;
            if (trainedModel is not null && value == 0) continue;
            if (argument.Key == "SequenceLength") sequenceLength = value;
            else if (argument.Key == "BatchSize") batchSize = value;
            else if (argument.Key == "TargetLength") targetLength = value;
        }
        inferenceOnly |= trainedModel is not null;

        // The layers: every property carrying a layer attribute, in declaration order.
        var layers = new List<LayerSpec>();
        var stubs = new List<StubProperty>();
        bool attributeErrors = false;
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property) continue;
            var found = new List<(AttributeData Data, string Kind, string ViewType, string Name)>();
            foreach (AttributeData attribute in property.GetAttributes())
            {
                INamedTypeSymbol? attributeType = attribute.AttributeClass;
                if (attributeType is null || attributeType.ContainingNamespace?.ToDisplayString() != AttributeNamespace) continue;
                foreach (var (name, kind, view) in Layers)
                {
                    if (attributeType.Name == name) found.Add((attribute, kind, view, name.Substring(0, name.Length - "Attribute".Length)));
                }
            }

            Location propertyLocation = property.Locations.FirstOrDefault() ?? Location.None;
            string propertyType = property.Type.Name;
            bool layerTyped = Layers.Any(l => l.ViewType == propertyType) && property.Type.ContainingNamespace?.ToDisplayString() == AttributeNamespace;
            if ((found.Count > 0 || layerTyped) && property.IsPartialDefinition && property.PartialImplementationPart is null && property.Type.TypeKind != TypeKind.Error
                && !HasDeclarationErrors(property, context.SemanticModel, cancellationToken))
            {
                string accessors = string.Join(" ", new[] { property.GetMethod is null ? null : "get", property.SetMethod is null ? null : property.SetMethod.IsInitOnly ? "init" : "set" }
                    .Where(a => a is not null));
                stubs.Add(new StubProperty(Modifiers(property, cancellationToken), property.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                    property.Name, accessors));
            }
            if (found.Count == 0)
            {
                // A layer-typed partial property with nothing to compile it from.
                var layer = Layers.FirstOrDefault(l => l.ViewType == propertyType && property.Type.ContainingNamespace?.ToDisplayString() == AttributeNamespace);
                if (layer.ViewType is not null && property.IsPartialDefinition)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerWithoutAttribute, LocationInfo.From(propertyLocation),
                        property.Name, propertyType, layer.Attribute.Substring(0, layer.Attribute.Length - "Attribute".Length)));
                }
                continue;
            }
            if (found.Count > 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.SeveralLayerAttributes, LocationInfo.From(propertyLocation),
                    property.Name, string.Join(", ", found.Select(f => f.Name))));
                continue;
            }

            var (data, layerKind, viewType, attributeName) = found[0];
            if (trainedModel is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidInferenceModel, LocationInfo.From(propertyLocation), type.Name,
                    $"declares the layer '{property.Name}' itself: its layers are the trained model's ('{trainedModel}'); remove the property"));
                continue;
            }
            if (!IsPartialGetOnly(property, cancellationToken))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerNotPartial, LocationInfo.From(propertyLocation), property.Name, viewType));
            }
            else if (propertyType != viewType || property.Type.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerWrongType, LocationInfo.From(propertyLocation),
                    property.Name, property.Type.ToDisplayString(), attributeName, "Unroll." + viewType));
            }

            // A half-typed attribute, or arguments the attribute does not take: the compiler reports them; there is
            // nothing to plan until they are fixed.
            var arguments = LayerArguments.From(data);
            LayerSpec? read = data.AttributeConstructor is null ? null : LayerHandler.For(layerKind).Read(arguments);
            if (read is null || !arguments.AllRead)
            {
                attributeErrors = true;
                continue;
            }
            LocationInfo? attributeLocation = LocationInfo.From(
                data.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? propertyLocation);
            if (Array.IndexOf(GeneratedMembers, property.Name) >= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ReservedLayerName, LocationInfo.From(propertyLocation), property.Name));
            }
            layers.Add(read with { Property = property.Name, Modifiers = Modifiers(property, cancellationToken), Location = attributeLocation });
        }

        // Layers left out: several attributes, none on a layer-typed property, or an attribute the compiler reports.
        bool complete = !attributeErrors && !diagnostics.Any(d => d.Id is "UNR0013" or "UNR0014");
        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } space ? space.ToDisplayString() : null;
        // A type that cannot be a model is not checked further: its model-level errors would be beside the point.
        ModelSpec? spec = unsupported is not null ? null : new ModelSpec(ns, containing.ToEquatableArray(), type.Name, sequenceLength, batchSize, layers.ToEquatableArray(), typeLocation)
        {
            TargetLength = targetLength,
            InferenceOnly = inferenceOnly,
            Weights = weights,
            WeightsLocation = weights is null ? null : NamedArgumentLocation(context.Attributes[0], "Weights", cancellationToken) ?? typeLocation,
            WeightPrecision = (StepPrecision)precision,
            WeightPrecisionLocation = precision == 0 ? null : NamedArgumentLocation(context.Attributes[0], "WeightPrecision", cancellationToken) ?? typeLocation,
            LayersComplete = complete,
        };
        // A part can be added only to a partial class that can be a model.
        bool canAddPart = syntax.Modifiers.Any(SyntaxKind.PartialKeyword) && unsupported is null && !syntax.Identifier.IsMissing;
        ModelStub? stub = canAddPart ? new ModelStub(ns, containing.ToEquatableArray(), type.Name, stubs.ToEquatableArray()) : null;
        return new ParseResult(spec, diagnostics.ToEquatableArray()) { Stub = stub, Key = type.ToDisplayString(), Source = trainedModel };
    }

    /// <summary>
    /// Whether the compiler finds errors in the property's declaration itself (a modifier it does not allow there, say)
    /// besides its missing implementation: a stand-in would repeat them, so the property gets none.
    /// </summary>
    private static bool HasDeclarationErrors(IPropertySymbol property, SemanticModel model, CancellationToken cancellationToken) =>
        property.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == model.SyntaxTree
            && model.GetDeclarationDiagnostics(r.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS9248"));

    /// <summary>Where the attribute's named argument <paramref name="name"/> is written (its value), if it is.</summary>
    private static LocationInfo? NamedArgumentLocation(AttributeData attribute, string name, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } arguments }
            ? arguments.Arguments.Where(a => a.NameEquals?.Name.Identifier.ValueText == name).Select(a => LocationInfo.From(a.Expression.GetLocation())).FirstOrDefault()
            : null;

    private static bool IsPartialGetOnly(IPropertySymbol property, CancellationToken cancellationToken)
    {
        if (property.IsStatic || property.SetMethod is not null || property.GetMethod is null) return false;
        foreach (SyntaxReference reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax declaration
                && declaration.Modifiers.Any(SyntaxKind.PartialKeyword)
                && declaration.ExpressionBody is null
                && declaration.AccessorList is { } accessors
                && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The members Unroll adds to a model; a layer property cannot take one of these names.</summary>
    public static readonly string[] GeneratedMembers =
    {
        "SequenceLength", "BatchSize", "InputSize", "OutputSize", "ParameterCount", "VocabularySize", "Layout", "Arena", "Summary",
        "Parameters", "Gradients", "NamedParameters", "ZeroGradients", "Forward", "Backward", "Step", "ResetState",
        "ForwardCore", "StepCore", "BackwardCore", "CheckLength", "CheckTokens", "ThrowWrongLength",
        "Training", "DropoutGenerator", "LoadSafetensors", "SaveSafetensors", "ReorderState",
        "LoadCompiledWeights", "CompiledWeightData", "FindNonFinite",
        "TargetLength", "SourceVocabularySize", "Encode", "DecodeCore", "DecodeBackwardCore", "DecodeStepCore", "CheckRowLengths", "CheckTargetLength", "CheckTargetTokens", "RunEncoder", "TargetInputSize",
    };

    /// <summary>The property's modifiers as written, without <c>partial</c>: the implementing part repeats them.</summary>
    private static string Modifiers(IPropertySymbol property, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax declaration)
            {
                return string.Join(" ", declaration.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.ValueText));
            }
        }
        return "";
    }

    private static string Keyword(TypeDeclarationSyntax syntax) => syntax switch
    {
        RecordDeclarationSyntax r => r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}
