namespace Unroll.Generators.Model;

/// <summary>
/// How the streaming steps store their packed weights: the values of <c>Unroll.WeightPrecision</c>
/// (<c>[Model(WeightPrecision = …)]</c>).
/// </summary>
internal enum StepPrecision
{
    Float32,
    BFloat16,
    Float16,
    Int8,
}

/// <summary>A type that encloses the model class (for nested models): its keyword and name.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// What the parser read from one <c>[Model]</c> declaration: strings, numbers and enums only, so that
/// it compares by value and holds nothing of the compilation (no symbols, syntax or locations).
/// Sizes are kept as written, even when invalid; the planner checks them.
/// </summary>
internal sealed record ModelSpec(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string TypeName,
    int? SequenceLength,
    int BatchSize,
    EquatableArray<LayerSpec> Layers,
    LocationInfo? Location)
{
    /// <summary>Encoder–decoder models: the most decoder steps, as written (null when not set).</summary>
    public int? TargetLength { get; init; }

    /// <summary><c>[Model(InferenceOnly = true)]</c>: no backward pass, gradients or buffers only it needs.</summary>
    public bool InferenceOnly { get; init; }

    /// <summary><c>[Model(Weights = "...")]</c>: the safetensors file to compile in, as written (null when not set).</summary>
    public string? Weights { get; init; }

    /// <summary>Where <c>Weights = "..."</c> is written, for the diagnostics about the file.</summary>
    public LocationInfo? WeightsLocation { get; init; }

    /// <summary><c>[Model(WeightPrecision = …)]</c> as written (possibly out of range: the planner checks it).</summary>
    public StepPrecision WeightPrecision { get; init; }

    /// <summary>Where <c>WeightPrecision = …</c> is written, for its diagnostics.</summary>
    public LocationInfo? WeightPrecisionLocation { get; init; }

    /// <summary>
    /// False when a layer property could not be read (several layer attributes, none on a layer-typed property, an
    /// attribute the compiler already reports): the checks of one layer against the next are then left out, so that
    /// the missing layer does not cause errors of its own.
    /// </summary>
    public bool LayersComplete { get; init; } = true;

    /// <summary>
    /// <c>[InferenceModel(typeof(Trained))]</c>: the trained model's name, whose layers these are. The class declares no layer
    /// properties; the generated code declares them. Null for a <c>[Model]</c>.
    /// </summary>
    public string? TrainedModel { get; init; }
}

/// <summary>
/// What the generator emits for a declaration with errors, so that the compiler adds no errors of its own on top (a
/// partial property without an implementation is CS9248): the layer properties as they are declared, throwing, and the
/// constructors. Null when no part can be added (the class is not partial, or not a class a model can be).
/// </summary>
internal sealed record ModelStub(string? Namespace, EquatableArray<ContainingType> ContainingTypes, string TypeName, EquatableArray<StubProperty> Properties);

/// <summary>
/// A partial layer property to implement in a <see cref="ModelStub"/>: as declared (type fully qualified, and its
/// accessors: "get", "set", "init", space-separated).
/// </summary>
internal sealed record StubProperty(string Modifiers, string Type, string Name, string Accessors);

/// <summary>
/// One layer property as the parser read it: the property, and in the derived record of its kind (<c>LinearSpec</c>,
/// <c>RecurrentSpec</c>, … next to their handlers in <c>Layers/</c>) its attribute's arguments, named as PyTorch's
/// constructor names them, options as enums, sizes as written (the planner checks them).
/// </summary>
internal abstract record LayerSpec
{
    /// <summary>The layer kind: its attribute's name without the suffix (<c>Lstm</c> for <c>[Lstm]</c>), which finds its handler.</summary>
    public abstract string Kind { get; }

    /// <summary>The property's name.</summary>
    public string Property { get; init; } = "";

    /// <summary>The property's modifiers as written, without <c>partial</c> ("public", "internal virtual", ...).</summary>
    public string Modifiers { get; init; } = "";

    /// <summary>Where the attribute is written, for the layer's diagnostics.</summary>
    public LocationInfo? Location { get; init; }

    /// <summary>False when the attribute says <c>Trainable = false</c>: the layer's parameters are frozen.</summary>
    public bool Trainable { get; init; } = true;
}

/// <summary>
/// The parser's answer for one declaration: its spec (checked by the planner even when the parser found errors, so that
/// every independent error is reported in one build), the diagnostics found, and what to emit if there are errors.
/// </summary>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public ModelStub? Stub { get; init; }

    /// <summary>The class's full name (<c>Ns.Outer.Model</c>), by which an <c>[InferenceModel]</c> finds its trained model.</summary>
    public string Key { get; init; } = "";

    /// <summary>An <c>[InferenceModel]</c>: the full name of the trained model whose layers it takes; null for a <c>[Model]</c>.</summary>
    public string? Source { get; init; }
}
