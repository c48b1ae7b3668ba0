using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>The generator's copy of <c>Unroll.PositionalEncodingKind</c> (an attribute may hold another int, which the handler reports).</summary>
internal enum PositionalEncodingKind
{
    Sinusoidal,
    Learned,
}

/// <summary><c>[PositionalEncoding(maxLength, Kind)]</c> as written.</summary>
internal sealed record PositionalEncodingSpec(int MaxLength, PositionalEncodingKind Encoding) : LayerSpec
{
    public override string Kind => "PositionalEncoding";
}

/// <summary>A positional encoding's plan: its kind and positions (its width is <see cref="LayerPlan.Out"/>).</summary>
internal sealed record PositionalEncodingPlan(PositionalEncodingKind Encoding, int MaxLength) : LayerPlan
{
    public override string Kind => "PositionalEncoding";

    /// <summary>The sinusoidal kind's table of its input's positions, <c>[steps, features]</c>, filled by the constructor; null for the learned kind.</summary>
    public string? Table { get; init; }
}

/// <summary>
/// <c>[PositionalEncoding(maxLength, Kind = Sinusoidal | Learned)]</c>: <c>y[b, t] = x[b, t] + PE[t]</c>, the width of the
/// layer before it. The sinusoidal table (PyTorch's transformer tutorial) is computed once by the constructor into the
/// arena, for the positions the model runs; the learned one is a parameter <c>weight [maxLength, d]</c> as
/// <c>nn.Embedding(maxLength, d)</c> of the positions. <c>Step</c> adds the row of <c>_stepPosition</c>, the steps since
/// <c>ResetState</c>.
/// </summary>
internal sealed class PositionalEncodingHandler : LayerHandler<PositionalEncodingSpec, PositionalEncodingPlan>
{
    private const string Kernels = "global::Unroll.Kernels.Positions";

    public override string Kind => "PositionalEncoding";

    public override bool PassesWidthOn => true;

    public override string? NeedsTimeAxis => "Positional encoding";

    /// <summary>One argument, the positions; <c>Kind</c> named.</summary>
    protected override PositionalEncodingSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(1) is { } sizes ? new PositionalEncodingSpec(sizes[0], (PositionalEncodingKind)arguments.Named("Kind", 0)) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(PositionalEncodingSpec layer) => new[] { ("maxLength", layer.MaxLength) };

    protected override void CheckOptions(PositionalEncodingSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Encoding is < PositionalEncodingKind.Sinusoidal or > PositionalEncodingKind.Learned)
            Invalid(layer, "Kind", (int)layer.Encoding, "a PositionalEncodingKind value (Sinusoidal or Learned)", diagnostics);
    }

    /// <summary>UNR0032 when the positions do not cover the steps the layer gets (the model's <c>SequenceLength</c>, mapped by strided layers before it).</summary>
    public override void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
        var layer = (PositionalEncodingSpec)spec.Layers[index];
        int steps = Conv1dHandler.InputSteps(spec, index);
        if (steps > layer.MaxLength)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.PositionsTooFew, layer.Location, layer.Property, layer.MaxLength, steps));
    }

    protected override int? InputWidth(PositionalEncodingSpec layer) => null;

    /// <summary>It passes on the width of the layer before it.</summary>
    protected override int OutputWidth(PositionalEncodingSpec layer, int inputWidth) => inputWidth;

    /// <summary>The learned kind's table, as <c>nn.Embedding(maxLength, d)</c>: N(0, 1). The sinusoidal kind has none.</summary>
    protected override void AddParameters(PositionalEncodingSpec layer, int inputWidth, ParameterAdder add)
    {
        if (layer.Encoding == PositionalEncodingKind.Learned) add("weight", new[] { layer.MaxLength, inputWidth }, InitKind.Normal, 0);
    }

    protected override PositionalEncodingPlan Plan(PositionalEncodingSpec layer) => new(layer.Encoding, layer.MaxLength);

    /// <summary>The sinusoidal table of the positions the layer gets, which the constructor fills.</summary>
    protected override PositionalEncodingPlan AddStates(PositionalEncodingPlan layer, Planner.ArenaBuilder arena, int batch) =>
        layer.Encoding == PositionalEncodingKind.Learned
            ? layer
            : layer with { Table = arena.Add($"{layer.Property}_Encodings", (long)layer.InputSteps * layer.Out, $"{layer.Property} sinusoidal encodings of positions 0 … {layer.InputSteps - 1}, [{layer.InputSteps}, {layer.Out}] (filled by the constructor)") };

    /// <summary>
    /// A step's position is <c>_stepPosition</c>, the model's steps since <c>ResetState</c>: after a layer that maps the time
    /// axis (a strided convolution or pooling) the layer's steps are not the model's, so such a model does not stream.
    /// </summary>
    protected override bool CanStream(PositionalEncodingPlan layer) => layer.Length == "length";

    /// <summary>Streaming counts the steps since <c>ResetState</c>, its position, and stops at <c>SequenceLength</c>.</summary>
    public override bool CachesSteps(ModelPlan plan, int index) => plan.Step is not null;

    public override string StepHolder => "the positional encodings";

    protected override string Describe(PositionalEncodingPlan layer) =>
        $"PositionalEncoding({layer.Encoding.ToString().ToLowerInvariant()}, {layer.MaxLength} positions)";

    protected override string ViewArguments(ModelPlan plan, PositionalEncodingPlan layer, int index)
    {
        string sizes = $"global::Unroll.PositionalEncodingKind.{layer.Encoding}, {layer.MaxLength}, {layer.Out}";
        return layer.Encoding == PositionalEncodingKind.Learned ? ParameterView(plan, index, sizes) : $"null, -1, -1, {sizes}";
    }

    /// <summary>The constructor fills the sinusoidal table.</summary>
    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        var layer = (PositionalEncodingPlan)plan.Layers[index];
        if (part != ModelPart.Construction || layer.Table is null) return;
        int steps = layer.InputSteps, d = layer.Out;
        w.Line($"// {layer.Property}: PE[t, 2i] = sin(t·e^(−2i·ln 10000 / {d})), PE[t, 2i + 1] = cos(t·e^(−2i·ln 10000 / {d})), for positions 0 … {steps - 1}");
        w.Line($"{Kernels}.Sinusoidal(Arena.Slice(Layout.{layer.Table}, {steps * d}), {steps}, {d});");
    }

    /// <summary>The table the sequence pass reads: the learned weight, or the sinusoidal table.</summary>
    private static string Table(PositionalEncodingPlan layer) => layer.Table is { } table
        ? $"a.Slice(Layout.{table}, {layer.InputSteps * layer.Out})"
        : $"p.Slice(Layout.{layer.ParameterNames[0]}, {layer.MaxLength * layer.Out})";

    /// <summary>The row of the table that one step reads, at <c>_stepPosition</c>.</summary>
    private static string StepRow(PositionalEncodingPlan layer) =>
        $"{(layer.Table is { } table ? "a.Slice(Layout." + table : "p.Slice(Layout." + layer.ParameterNames[0])} + _stepPosition * {layer.Out}, {layer.Out})";

    protected override void WriteForward(LayerPass pass, PositionalEncodingPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize, d = layer.Out;
        string what = layer.Encoding == PositionalEncodingKind.Learned ? "weight[t]" : "PE[t]";
        if (pass.Streaming)
        {
            w.Line($"// {layer.Property}: {Describe(layer)}, one step: y[b] = x[b] + {what.Replace("[t]", "[_stepPosition]")}");
            w.Line($"{Kernels}.Add(a.Slice(Layout.{pass.Input}, {B * d}), {StepRow(layer)}, a.Slice(Layout.{buffers.Output}, {B * d}), 1, {B}, {d});");
            return;
        }
        string count = $"{pass.Rows} * {d}";
        w.Line($"// {layer.Property}: {Describe(layer)}: y[t, b] = x[t, b] + {what} for every step t < {layer.Length}");
        w.Line($"{Kernels}.Add(a.Slice(Layout.{pass.Input}, {count}), {Table(layer)}, a.Slice(Layout.{buffers.Output}, {count}), {layer.Length}, {B}, {d});");
    }

    protected override void WriteBackward(LayerPass pass, PositionalEncodingPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize, d = layer.Out;
        string count = $"{pass.Rows} * {d}";
        if (layer.Encoding == PositionalEncodingKind.Learned)
        {
            if (!layer.Trainable)
            {
                w.Line($"// {layer.Property}: frozen (Trainable = false), no weight gradient");
            }
            else
            {
                w.Line($"// {layer.Property}: ∂weight[t] += Σ_b ∂y[t, b] for every step t < {layer.Length}");
                w.Line($"{Kernels}.GradientAdd(a.Slice(Layout.{buffers.OutputGradient}, {count}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.MaxLength * d}), {layer.Length}, {B}, {d});");
            }
        }
        if (pass.InputGradient is { } inputGradient)
        {
            w.Line($"// {layer.Property}: ∂x = ∂y");
            w.Line($"{pass.Guard}a.Slice(Layout.{buffers.OutputGradient}, {count}).CopyTo(a.Slice(Layout.{inputGradient}, {count}));");
        }
    }
}
