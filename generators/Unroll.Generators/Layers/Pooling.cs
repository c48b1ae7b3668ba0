namespace Unroll.Generators.Layers;

/// <summary>The generator's copy of <c>Unroll.PoolingKind</c>.</summary>
internal enum PoolingKind
{
    Mean,
    Max,
    Last,
}

/// <summary><c>[Pooling(kind)]</c> as written.</summary>
internal sealed record PoolingSpec(PoolingKind Pool) : LayerSpec
{
    public override string Kind => "Pooling";
}

/// <summary>A pooling layer's plan: what it keeps of a row's steps (its width is <see cref="LayerPlan.Out"/>).</summary>
internal sealed record PoolingPlan(PoolingKind Pool) : LayerPlan
{
    public override string Kind => "Pooling";

    /// <summary>The model's count of the steps pooled since <c>ResetState</c> (the running mean's divisor).</summary>
    public string StepCount => $"_{Property.Replace('.', '_')}StepsPooled";
}

/// <summary>
/// <c>[Pooling(PoolingKind.Mean | Max | Last)]</c>: each row's own steps pooled into one vector (<see cref="Unroll.Kernels.Pooling"/>),
/// a many-to-one head with no time axis after it, the width of the layer before it. Streaming keeps the running sum or
/// maximum of the steps since <c>ResetState</c>, so that each step's output is the pool of the steps so far.
/// </summary>
internal sealed class PoolingHandler : LayerHandler<PoolingSpec, PoolingPlan>
{
    private const string Kernels = "global::Unroll.Kernels.Pooling";

    public override string Kind => "Pooling";

    public override bool PassesWidthOn => true;

    public override string? NeedsTimeAxis => "Pooling layer";

    public override string DropsTimeAxis => "pools over time";

    protected override PoolingSpec? ReadSpec(LayerArguments arguments) => arguments.Single<int>() is { } kind ? new PoolingSpec((PoolingKind)kind) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(PoolingSpec layer) => Array.Empty<(string, int)>();

    protected override void CheckOptions(PoolingSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Pool is < PoolingKind.Mean or > PoolingKind.Last) Invalid(layer, "kind", (int)layer.Pool, "a PoolingKind value (Mean, Max or Last)", diagnostics);
    }

    protected override int? InputWidth(PoolingSpec layer) => null;

    protected override int OutputWidth(PoolingSpec layer, int inputWidth) => inputWidth;

    protected override bool KeepsTimeAxis(PoolingSpec layer) => false;

    protected override PoolingPlan Plan(PoolingSpec layer) => new(layer.Pool);

    public override bool HasRunningState(ModelPlan plan, int index) => ((PoolingPlan)plan.Layers[index]).Pool != PoolingKind.Last;

    /// <summary>The running sum (mean) or maximum (max) of every row, <c>[batch, features]</c>, and a copy that <c>ReorderState</c> reorders through.</summary>
    protected override PoolingPlan AddStates(PoolingPlan layer, Planner.ArenaBuilder arena, int batch)
    {
        if (layer.Pool == PoolingKind.Last) return layer;
        arena.Add($"{layer.Property}_Running", (long)batch * layer.In, $"{layer.Property} streaming: the running {(layer.Pool == PoolingKind.Mean ? "sum" : "maximum")} of the steps since ResetState, [batch, {layer.In}]");
        arena.Add($"{layer.Property}_Reordered", (long)batch * layer.In, $"{layer.Property}: the running {(layer.Pool == PoolingKind.Mean ? "sum" : "maximum")}, as ReorderState reorders it");
        return layer;
    }

    protected override string Describe(PoolingPlan layer) => $"Pooling({layer.Pool.ToString().ToLowerInvariant()} over time)";

    protected override string ViewArguments(ModelPlan plan, PoolingPlan layer, int index) => $"global::Unroll.PoolingKind.{layer.Pool}, {layer.Out}";

    /// <summary>The running mean's step count, a field of the model.</summary>
    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        var layer = (PoolingPlan)plan.Layers[index];
        if (part != ModelPart.Constants || !plan.CanStep || layer.Pool == PoolingKind.Last) return;
        w.Line($"/// <summary>Streaming: the steps {layer.Property} has pooled since ResetState.</summary>");
        w.Line($"private int {layer.StepCount};");
        w.Line();
    }

    protected override void WriteResetState(SourceWriter w, ModelPlan plan, PoolingPlan layer, int index)
    {
        if (layer.Pool == PoolingKind.Last) return;
        string running = $"a.Slice(Layout.{layer.Property}_Running, {plan.BatchSize * layer.In})";
        w.Line(layer.Pool == PoolingKind.Mean ? $"{running}.Clear(); // {layer.Property}: a sum of no steps" : $"{running}.Fill(float.NegativeInfinity); // {layer.Property}: the maximum of no steps");
        w.Line($"{layer.StepCount} = 0;");
    }

    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, PoolingPlan layer, int index)
    {
        if (layer.Pool == PoolingKind.Last) return;
        int B = plan.BatchSize, C = layer.In;
        w.Line($"// {layer.Property}: row b's running {(layer.Pool == PoolingKind.Mean ? "sum" : "maximum")} takes row sources[b]'s");
        w.Line("{");
        w.Line($"    global::System.Span<float> running = a.Slice(Layout.{layer.Property}_Running, {B * C}), held = a.Slice(Layout.{layer.Property}_Reordered, {B * C});");
        w.Line("    running.CopyTo(held);");
        w.Line($"    for (int b = 0; b < {B}; b++) held.Slice(sources[b] * {C}, {C}).CopyTo(running.Slice(b * {C}, {C}));");
        w.Line("}");
    }

    /// <summary>What the layer computes, for the comments.</summary>
    private static string Equation(PoolingKind pool) => pool switch
    {
        PoolingKind.Mean => "y[b] = (x[0, b] + … + x[n − 1, b]) / n",
        PoolingKind.Max => "y[b] = max(x[0, b], …, x[n − 1, b])",
        _ => "y[b] = x[n − 1, b]",
    };

    protected override void WriteForward(LayerPass pass, PoolingPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize, C = layer.In;
        string kind = $"global::Unroll.PoolingKind.{layer.Pool}";
        if (pass.Streaming)
        {
            w.Line($"// {layer.Property}: {Describe(layer)} of the n steps since ResetState: {Equation(layer.Pool)}");
            string running = layer.Pool == PoolingKind.Last ? "default" : $"a.Slice(Layout.{layer.Property}_Running, {B * C})";
            string steps = layer.Pool == PoolingKind.Last ? "1" : layer.StepCount;
            if (layer.Pool != PoolingKind.Last) w.Line($"{layer.StepCount}++;");
            w.Line($"{Kernels}.Step({kind}, a.Slice(Layout.{pass.Input}, {B * C}), {running}, a.Slice(Layout.{buffers.Output}, {B * C}), {steps}, {B}, {C});");
            return;
        }
        w.Line($"// {layer.Property}: {Describe(layer)}, each row over its own n = {layer.RowLengths}[b] steps: {Equation(layer.Pool)}");
        w.Line($"{Kernels}.OverTime({kind}, a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * C}), a.Slice(Layout.{buffers.Output}, {B * C}), {B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {C});");
    }

    protected override void WriteBackward(LayerPass pass, PoolingPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        if (pass.InputGradient is not { } inputGradient) return;
        int B = plan.BatchSize, C = layer.In;
        string how = layer.Pool switch
        {
            PoolingKind.Mean => "∂y[b] / n to each of the row's steps",
            PoolingKind.Max => "∂y[b] to the first step holding each maximum",
            _ => "∂y[b] to the row's last step",
        };
        w.Line($"// {layer.Property}: ∂x = {how}, zeros elsewhere");
        w.Line($"{pass.Guard}{Kernels}.OverTimeBackward(global::Unroll.PoolingKind.{layer.Pool}, a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * C}), a.Slice(Layout.{buffers.Output}, {B * C}), "
             + $"a.Slice(Layout.{buffers.OutputGradient}, {B * C}), a.Slice(Layout.{inputGradient}, {layer.InputSteps * B * C}), {B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {C});");
    }
}
