using Microsoft.CodeAnalysis;

namespace Unroll.Generators.Diagnostics;

/// <summary>
/// Every diagnostic Unroll reports. Each has a help page, <c>Diagnostics/docs/UNRxxxx.md</c>, with an
/// invalid and a fixed declaration; <c>AnalyzerReleases.*.md</c> track them.
/// </summary>
internal static class Descriptors
{
    private const string Category = "Unroll";
    private const string HelpRoot = "https://github.com/unroll-ml/unroll/blob/main/generators/Unroll.Generators/Diagnostics/docs/";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpRoot + id + ".md", customTags: WellKnownDiagnosticTags.NotConfigurable);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    /// <summary>UNR0001: "The model class '{0}' must be declared partial, so that Unroll can add the compiled members …".</summary>
    public static readonly DiagnosticDescriptor ModelNotPartial = Error("UNR0001",
        "Model class must be partial",
        "The model class '{0}' must be declared partial, so that Unroll can add the compiled members; until it is, the compiler also reports its partial layer properties (CS0751, CS9248), which no generator can implement in a class that is not partial");

    /// <summary>UNR0002: "The layer property '{0}' must be declared 'partial' with only a getter".</summary>
    public static readonly DiagnosticDescriptor LayerNotPartial = Error("UNR0002",
        "Layer property must be a partial get-only property",
        "The layer property '{0}' must be declared 'partial' with only a getter, for example 'public partial {1} {0} {{ get; }}'");

    /// <summary>UNR0003: "The layer property '{0}' has type '{1}', but [{2}] needs the type '{3}'".</summary>
    public static readonly DiagnosticDescriptor LayerWrongType = Error("UNR0003",
        "Layer property has the wrong type",
        "The layer property '{0}' has type '{1}', but [{2}] needs the type '{3}'");

    /// <summary>UNR0004: "Layer '{0}' expects {1} input features, but the previous layer '{2}' produces {3}".</summary>
    public static readonly DiagnosticDescriptor SizesDoNotChain = Error("UNR0004",
        "Layer sizes do not chain",
        "Layer '{0}' expects {1} input features, but the previous layer '{2}' produces {3}");

    /// <summary>UNR0005: "'{0}' of layer '{1}' must be positive, but is {2}".</summary>
    public static readonly DiagnosticDescriptor NonPositiveSize = Error("UNR0005",
        "Layer size must be positive",
        "'{0}' of layer '{1}' must be positive, but is {2}");

    /// <summary>UNR0006: "The embedding layer '{0}' must be the model's first layer; it comes after '{1}'".</summary>
    public static readonly DiagnosticDescriptor EmbeddingNotFirst = Error("UNR0006",
        "Embedding must be the first layer",
        "The embedding layer '{0}' must be the model's first layer; it comes after '{1}'");

    /// <summary>UNR0007: "[Model] on '{0}' needs a positive SequenceLength (the maximum number of steps){1}".</summary>
    public static readonly DiagnosticDescriptor InvalidSequenceLength = Error("UNR0007",
        "SequenceLength missing or not positive",
        "[Model] on '{0}' needs a positive SequenceLength (the maximum number of steps){1}");

    /// <summary>UNR0008: "[Model] on '{0}' needs a positive BatchSize, but it is {1}".</summary>
    public static readonly DiagnosticDescriptor InvalidBatchSize = Error("UNR0008",
        "BatchSize not positive",
        "[Model] on '{0}' needs a positive BatchSize, but it is {1}");

    /// <summary>UNR0009: "{0} '{1}' comes after '{2}', which {3}"; {0} is "Recurrent layer", "Attention layer", …; {3} "returns only its last step (ReturnSequences = false)" or "pools over time".</summary>
    public static readonly DiagnosticDescriptor RecurrentAfterLastStep = Error("UNR0009",
        "Recurrent layer after a layer that returns only its last step",
        "{0} '{1}' comes after '{2}', which {3}, so it has no sequence to read");

    /// <summary>UNR0010: "The model '{0}' declares no layers".</summary>
    public static readonly DiagnosticDescriptor NoLayers = Error("UNR0010",
        "Model without layers",
        "The model '{0}' declares no layers: add partial properties with layer attributes such as [Lstm(8, 32)]");

    /// <summary>UNR0011: "The model '{0}' needs {1} floats, more than one arena can hold ({2})".</summary>
    public static readonly DiagnosticDescriptor ModelTooLarge = Error("UNR0011",
        "Model too large",
        "The model '{0}' needs {1} floats of memory (parameters, gradients and activations for SequenceLength x BatchSize), more than one arena can hold ({2})");

    /// <summary>UNR0012: "'{0}' cannot be a model: {1}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelType = Error("UNR0012",
        "Unsupported model type",
        "'{0}' cannot be a model: {1}");

    /// <summary>UNR0013: "The property '{0}' carries more than one layer attribute ({1})".</summary>
    public static readonly DiagnosticDescriptor SeveralLayerAttributes = Error("UNR0013",
        "Several layer attributes on one property",
        "The property '{0}' carries more than one layer attribute ({1}); declare one property per layer");

    /// <summary>UNR0014: "The partial property '{0}' of layer type '{1}' has no layer attribute".</summary>
    public static readonly DiagnosticDescriptor LayerWithoutAttribute = Error("UNR0014",
        "Layer property without a layer attribute",
        "The partial property '{0}' of layer type '{1}' has no layer attribute such as [{2}(...)], so Unroll cannot compile it");

    /// <summary>UNR0015: "The layer property '{0}' has the name of a member Unroll generates".</summary>
    public static readonly DiagnosticDescriptor ReservedLayerName = Error("UNR0015",
        "Layer property named like a generated member",
        "The layer property '{0}' has the name of a member Unroll generates for every model; rename it");

    /// <summary>UNR0016: "The model '{0}' has {1} recurrent passes to unroll, more than {2}".</summary>
    public static readonly DiagnosticDescriptor TooManyPasses = Error("UNR0016",
        "Model too deep to unroll",
        "The model '{0}' has {1} recurrent passes (stacked layers × directions) to unroll, more than the {2} Unroll compiles into one class");

    /// <summary>UNR0017: "'{0}' of layer '{1}' is {2}, but it must be {3}".</summary>
    public static readonly DiagnosticDescriptor InvalidOption = Error("UNR0017",
        "Layer option out of range",
        "'{0}' of layer '{1}' is {2}, but it must be {3}");

    /// <summary>UNR0018: "The {1} layer '{0}' must follow another layer" (a layer that works on the features of the layer before it).</summary>
    public static readonly DiagnosticDescriptor FirstLayerTakesWidth = Error("UNR0018",
        "Dropout or activation as the first layer",
        "The {1} layer '{0}' must follow another layer: it works on the features of the layer before it and passes on their width");

    /// <summary>UNR0019: "NumHeads ({0}) of attention layer '{1}' does not divide its width {2}".</summary>
    public static readonly DiagnosticDescriptor HeadsDoNotDivide = Error("UNR0019",
        "Attention heads do not divide the width",
        "NumHeads ({0}) of attention layer '{1}' does not divide its width {2}: every head takes an equal share of the features");

    /// <summary>UNR0020: "TargetLength of model '{0}' {1}".</summary>
    public static readonly DiagnosticDescriptor InvalidTargetLength = Error("UNR0020",
        "TargetLength missing, not positive, or without a decoder",
        "TargetLength of model '{0}' {1}");

    /// <summary>UNR0021: "The decoder layer '{0}' must be the last layer, but '{1}' follows it".</summary>
    public static readonly DiagnosticDescriptor DecoderNotLast = Error("UNR0021",
        "A decoder is not the last layer",
        "The decoder layer '{0}' must be the last layer, but '{1}' follows it: the decoder's steps are the model's output");

    /// <summary>UNR0022: "The decoder layer '{0}' cannot attach to its encoder: {1}".</summary>
    public static readonly DiagnosticDescriptor DecoderDoesNotFitEncoder = Error("UNR0022",
        "A decoder does not fit its encoder",
        "The decoder layer '{0}' cannot attach to its encoder: {1}");

    /// <summary>UNR0023: "The weights file '{0}' of model '{1}' {2}".</summary>
    public static readonly DiagnosticDescriptor WeightsFileNotFound = Error("UNR0023",
        "Weights file not found",
        "The weights file '{0}' of model '{1}' {2}");

    /// <summary>UNR0024: "The weights file '{0}' cannot be compiled into model '{1}': {2}".</summary>
    public static readonly DiagnosticDescriptor WeightsFileUnusable = Error("UNR0024",
        "Weights file cannot be compiled in",
        "The weights file '{0}' cannot be compiled into model '{1}': {2}");

    /// <summary>UNR0025: "The weights file '{0}' does not fit model '{1}': {2}".</summary>
    public static readonly DiagnosticDescriptor WeightsDoNotFit = Error("UNR0025",
        "Weights file does not fit the model",
        "The weights file '{0}' does not fit model '{1}': {2}");

    /// <summary>UNR0026 (warning): "The weights file '{0}' holds {1} tensor(s) that model '{2}' does not have, which are left out: {3}".</summary>
    public static readonly DiagnosticDescriptor WeightsFileExtraTensors = Warning("UNR0026",
        "Weights file holds tensors the model does not have",
        "The weights file '{0}' holds {1} tensor(s) that model '{2}' does not have, which are left out: {3}");

    /// <summary>UNR0027: "WeightPrecision {0} of model '{1}' {2}".</summary>
    public static readonly DiagnosticDescriptor InvalidWeightPrecision = Error("UNR0027",
        "WeightPrecision not valid here",
        "WeightPrecision {0} of model '{1}' {2}");

    /// <summary>UNR0028 (warning): "WeightPrecision {0} of model '{1}' has nothing to apply to: …".</summary>
    public static readonly DiagnosticDescriptor WeightPrecisionUnused = Warning("UNR0028",
        "WeightPrecision has nothing to apply to",
        "WeightPrecision {0} of model '{1}' has nothing to apply to: it stores the weights of fused LSTM and GRU streaming steps, which models with a BatchSize under 4 and an LSTM or GRU layer have, and this one has none; its weights stay float32");

    /// <summary>UNR0029 (warning): "The weights file '{0}' of model '{1}' does not exist yet: …".</summary>
    public static readonly DiagnosticDescriptor WeightsFileNotWrittenYet = Warning("UNR0029",
        "Weights file does not exist yet",
        "The weights file '{0}' of model '{1}' does not exist yet: the model builds, but its parameterless constructor and LoadCompiledWeights() throw until a build finds the file; write it (the training run's SaveSafetensors) and build again");

    /// <summary>UNR0030: "[InferenceModel] on '{0}' {1}".</summary>
    public static readonly DiagnosticDescriptor InvalidInferenceModel = Error("UNR0030",
        "InferenceModel cannot take its layers",
        "[InferenceModel] on '{0}' {1}");

    /// <summary>UNR0031: "The {1} of layer '{0}' reaches {2} steps, more than the {3} steps it gets at most, padded {4}: …".</summary>
    public static readonly DiagnosticDescriptor KernelTooLong = Error("UNR0031",
        "Kernel longer than the padded sequence",
        "The {1} of layer '{0}' reaches {2} steps, more than the {3} steps it gets at most, padded {4}: shorten the kernel or its dilation, pad more, or raise SequenceLength");

    /// <summary>UNR0032: "Layer '{0}' encodes {1} positions (maxLength), but it gets up to {2} steps: …".</summary>
    public static readonly DiagnosticDescriptor PositionsTooFew = Error("UNR0032",
        "Positional encoding shorter than the sequence",
        "Layer '{0}' encodes {1} positions (maxLength), but it gets up to {2} steps: raise maxLength to at least {2}, or lower SequenceLength");

    private static readonly DiagnosticDescriptor[] All =
    {
        ModelNotPartial, LayerNotPartial, LayerWrongType, SizesDoNotChain, NonPositiveSize, EmbeddingNotFirst,
        InvalidSequenceLength, InvalidBatchSize, RecurrentAfterLastStep, NoLayers, ModelTooLarge,
        UnsupportedModelType, SeveralLayerAttributes, LayerWithoutAttribute, ReservedLayerName, TooManyPasses, InvalidOption, FirstLayerTakesWidth, HeadsDoNotDivide,
        InvalidTargetLength, DecoderNotLast, DecoderDoesNotFitEncoder,
        WeightsFileNotFound, WeightsFileUnusable, WeightsDoNotFit, WeightsFileExtraTensors,
        InvalidWeightPrecision, WeightPrecisionUnused, WeightsFileNotWrittenYet, InvalidInferenceModel,
        KernelTooLong, PositionsTooFew,
    };

    /// <summary>Every descriptor, in id order.</summary>
    public static System.Collections.Generic.IReadOnlyList<DiagnosticDescriptor> AllDescriptors => All;

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (DiagnosticDescriptor d in All)
        {
            if (d.Id == id) return d;
        }
        throw new System.ArgumentException("Unknown diagnostic id " + id, nameof(id));
    }
}
