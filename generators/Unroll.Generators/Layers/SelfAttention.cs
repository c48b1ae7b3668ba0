using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[SelfAttention(embedDim, NumHeads, Causal, Residual)]</c> as written.</summary>
internal sealed record SelfAttentionSpec(int EmbedDim, int NumHeads, bool Causal, bool Residual) : LayerSpec
{
    public override string Kind => "SelfAttention";
}

/// <summary>A self-attention layer's plan: heads, mask and residual connection (its width is <see cref="LayerPlan.Out"/>).</summary>
/// <summary>What a self-attention layer keeps: the projections, the attention output, the weights and (sequence pass) their gradients.</summary>
internal sealed record AttentionBuffers(
    string Qkv,
    string Context,
    string Weights,
    string? WeightsGradient,
    string? QkvGradient,
    string? ContextGradient,
    string? Scratch) : LayerRegions
{
    /// <summary>Streaming (causal attention only): the keys and values of every step so far, <c>[position, batch, k | v]</c>.</summary>
    public string? KeyValueCache { get; init; }
}
internal sealed record SelfAttentionPlan(int NumHeads, bool Causal, bool Residual) : LayerPlan
{
    public override string Kind => "SelfAttention";
}

/// <summary>
/// <c>[SelfAttention(embedDim, NumHeads, Causal, Residual)]</c> as <c>nn.MultiheadAttention</c> on the layer's own input
/// (query = key = value), with PyTorch's <c>in_proj</c>/<c>out_proj</c> parameters; a causal one streams with a cache of
/// keys and values.
/// </summary>
internal sealed class SelfAttentionHandler : LayerHandler<SelfAttentionSpec, SelfAttentionPlan>
{
    public override string Kind => "SelfAttention";

    /// <summary>One width: the input's, which is also the output's.</summary>
    protected override SelfAttentionSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(1) is { } sizes
            ? new SelfAttentionSpec(sizes[0], arguments.Named("NumHeads", 1), arguments.Named("Causal", false), arguments.Named("Residual", false))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(SelfAttentionSpec layer) => new[] { ("embedDim", layer.EmbedDim), ("NumHeads", layer.NumHeads) };

    protected override int? InputWidth(SelfAttentionSpec layer) => layer.EmbedDim;

    protected override int OutputWidth(SelfAttentionSpec layer, int inputWidth) => layer.EmbedDim;

    protected override void CheckOptions(SelfAttentionSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (positive && layer.EmbedDim % layer.NumHeads != 0)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.HeadsDoNotDivide, layer.Location, layer.NumHeads, layer.Property, layer.EmbedDim));
    }

    protected override void AddParameters(SelfAttentionSpec layer, int inputWidth, ParameterAdder add)
    {
        // nn.MultiheadAttention: xavier_uniform_ in_proj (fan_in E, fan_out 3E), zero biases, out_proj as nn.Linear.
        int e = layer.EmbedDim;
        add("in_proj_weight", new[] { 3 * e, e }, InitKind.Uniform, System.Math.Sqrt(6.0 / (e + 3 * e)));
        add("in_proj_bias", new[] { 3 * e }, InitKind.Zero, 0);
        add("out_proj.weight", new[] { e, e }, InitKind.Uniform, 1 / System.Math.Sqrt(e));
        add("out_proj.bias", new[] { e }, InitKind.Zero, 0);
    }

    protected override SelfAttentionPlan Plan(SelfAttentionSpec layer) => new(layer.NumHeads, layer.Causal, layer.Residual);

    /// <summary>The projections, the attention output and weights, their gradients; streaming (causal only), a cache of every earlier step's keys and values.</summary>
    protected override LayerBuffers AddBuffers(SelfAttentionPlan layer, BufferContext c) => OutputBuffers(layer, c) with { Regions = AddAttention(layer, layer.NumHeads, c) };

    /// <summary>
    /// A self-attention's regions in one pass (its own, or a transformer block's): the projections, the attention output
    /// and weights, their gradients; streaming, a cache of every earlier step's keys and values (filled when causal).
    /// </summary>
    internal static AttentionBuffers AddAttention(LayerPlan layer, int heads, BufferContext c)
    {
        int e = layer.Out, T = c.Spec.SequenceLength!.Value, B = c.B;
        long rows = c.RowsOf(layer), weights = c.Streaming ? (long)B * heads * T : (long)B * heads * c.Steps * c.Steps;
        bool gradients = c.Gradients;
        return new AttentionBuffers(
            c.Add(layer, "Qkv", rows * 3 * e, $"{layer.Property} q | k | v, {c.Rows(3 * e)}"),
            c.Add(layer, "Context", rows * e, $"{layer.Property} attention output before out_proj, {c.Rows(e)}"),
            c.Add(layer, "Weights", weights, c.Streaming ? $"{layer.Property} attention weights of one step, [batch, head, position]" : $"{layer.Property} attention weights, [batch, head, length, length]"),
            gradients ? c.Add(layer, "WeightsGradient", weights, $"∂ of {layer.Property}'s attention weights (read by Backward)") : null,
            gradients ? c.Add(layer, "QkvGradient", rows * 3 * e, $"∂ of {layer.Property} q | k | v") : null,
            gradients ? c.Add(layer, "ContextGradient", rows * e, $"∂ of {layer.Property}'s attention output") : null,
            gradients ? c.Add(layer, "Scratch", (long)c.Steps * c.Steps, "one sequence's and head's score gradients, [length, length]") : null)
        {
            KeyValueCache = c.Streaming ? c.Add(layer, "Cache", (long)(T + 1) * B * 2 * e, $"{layer.Property} keys and values of every step so far, [position, batch, {2 * e}], and one position of scratch") : null,
        };
    }

    public override string? NeedsTimeAxis => "Attention layer";

    /// <summary>Causal attention streams over a cache of the earlier steps' keys and values; the other kind needs the whole sequence.</summary>
    protected override bool CanStream(SelfAttentionPlan layer) => layer.Causal;

    protected override string Describe(SelfAttentionPlan layer) =>
        $"SelfAttention({layer.In}, {layer.NumHeads} head{(layer.NumHeads == 1 ? "" : "s")}{(layer.Causal ? ", causal" : "")}{(layer.Residual ? ", residual" : "")})";

    protected override string ViewArguments(ModelPlan plan, SelfAttentionPlan layer, int index)
    {
        AttentionBuffers attention = Regions<AttentionBuffers>(plan.Sequence.Layers[index]);
        string gradient = attention.WeightsGradient is null ? "-1" : ArrayIndex("Layout." + attention.WeightsGradient);
        return $"_arena, {ArrayIndex("Layout." + attention.Weights)}, {gradient}, BatchSize, {layer.NumHeads}, SequenceLength";
    }

    /// <summary>Streaming causal attention caches the keys and values of every step since <c>ResetState</c>.</summary>
    public override bool CachesSteps(ModelPlan plan, int index) => (plan.Step?.Layers[index].Regions as AttentionBuffers)?.KeyValueCache is not null;

    public override string StepHolder => "the attention caches";

    /// <summary>Its cache is a running state that <c>ReorderState</c> reorders.</summary>
    public override bool HasRunningState(ModelPlan plan, int index) => CachesSteps(plan, index);

    /// <summary>The keys and values of every cached step, gathered by row.</summary>
    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, SelfAttentionPlan layer, int index)
    {
        if ((plan.Step!.Layers[index].Regions as AttentionBuffers)?.KeyValueCache is not { } cache) return;
        int block = plan.BatchSize * 2 * layer.Out;
        w.Line($"// {layer.Property}: the keys and values of every cached step");
        w.Line($"for (int s = 0; s < _stepPosition; s++) {Blas}.GatherRows(a.Slice(Layout.{cache} + s * {block}, {block}), sources, {2 * layer.Out}, a.Slice(Layout.{cache} + {plan.SequenceLength} * {block}, {block}));");
    }

    protected override void WriteForward(LayerPass pass, SelfAttentionPlan layer)
    {
        if (pass.Streaming) WriteSelfAttentionStep(pass.W, pass.Plan, layer, pass.Buffers, pass.Input);
        else WriteAttentionForward(pass.W, pass.Plan, layer, pass.Buffers, pass.Input, pass.Rows);
    }

    protected override void WriteBackward(LayerPass pass, SelfAttentionPlan layer) =>
        WriteAttentionBackward(pass.W, pass.Plan, layer, pass.Buffers, pass.Input, pass.InputGradient, pass.Guard, pass.Rows);

    /// <summary>Self-attention over <c>length</c> steps: the projections over every row at once, then each sequence and head.</summary>
    internal static void WriteAttentionForward(SourceWriter w, ModelPlan plan, SelfAttentionPlan layer, LayerBuffers buffers, string input, string rows)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads;
        AttentionBuffers at = Regions<AttentionBuffers>(buffers);
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: {Emitter.Describe(layer)}:");
        w.Line($"//   qkv = x·W_inᵀ + b_in; per sequence and head, softmax(q kᵀ/√{d}) v; y = ctx·W_outᵀ + b_out{(layer.Residual ? " + x" : "")}");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} qkv = a.Slice(Layout.{at.Qkv}); // [time, {B}, {3 * E}]: q | k | v");
        w.Line($"{Span} context = a.Slice(Layout.{at.Context}); // [time, {B}, {E}]");
        w.Line($"{Span} y = a.Slice(Layout.{buffers.Output});");
        w.Line($"{Blas}.MultiplyTransposed(x, {E}, p.Slice(Layout.{names[0]}), {E}, qkv, {3 * E}, {rows}, {3 * E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(qkv, {3 * E}, {rows}, {3 * E}, p.Slice(Layout.{names[1]}, {3 * E}));");
        w.Line($"// each sequence b and head h: rows t of its q, k, v are {B * 3 * E} floats apart; the weights are [length, length] blocks");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line($"int head = b * {3 * E} + h * {d};");
        w.Line($"global::Unroll.Kernels.Attention.Forward(qkv.Slice(head), {B * 3 * E}, qkv.Slice(head + {E}), {B * 3 * E}, qkv.Slice(head + {2 * E}), {B * 3 * E}, a.Slice(Layout.{at.Weights} + (b * {heads} + h) * {layer.Length} * {layer.Length}, {layer.Length} * {layer.Length}), context.Slice(b * {E} + h * {d}), {B * E}, {layer.Length}, {layer.Length}, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: {(layer.Causal ? "true" : "false")}, validKeys: {layer.RowLengths}[b]);");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{names[2]}), {E}, y, {E}, {rows}, {E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(y, {E}, {rows}, {E}, p.Slice(Layout.{names[3]}, {E}));");
        if (layer.Residual) w.Line($"{Blas}.AddRows(x, {E}, y, {E}, {rows}, {E}); // the residual connection");
        w.Close();
    }

    /// <summary>Causal self-attention, one step: the new keys and values join the cache, the new query attends over the cache.</summary>
    internal static void WriteSelfAttentionStep(SourceWriter w, ModelPlan plan, SelfAttentionPlan layer, LayerBuffers buffers, string input)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads, T = plan.SequenceLength;
        AttentionBuffers at = Regions<AttentionBuffers>(buffers);
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: {Emitter.Describe(layer)}, one step: qkv = x·W_inᵀ + b_in; k, v join the cache at _stepPosition; q attends over positions 0 … _stepPosition");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} qkv = a.Slice(Layout.{at.Qkv}, {B * 3 * E}); // [{B}, {3 * E}]: q | k | v");
        w.Line($"{Span} context = a.Slice(Layout.{at.Context}, {B * E});");
        w.Line($"{Span} cache = a.Slice(Layout.{at.KeyValueCache}); // [position, {B}, {2 * E}]: k | v");
        w.Line($"{Span} y = a.Slice(Layout.{buffers.Output}, {B * E});");
        w.Line("int keys = _stepPosition + 1;");
        w.Line($"{Blas}.MultiplyTransposed(x, {E}, p.Slice(Layout.{names[0]}), {E}, qkv, {3 * E}, {B}, {3 * E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(qkv, {3 * E}, {B}, {3 * E}, p.Slice(Layout.{names[1]}, {3 * E}));");
        w.Line($"{Blas}.CopyRows(qkv.Slice({E}), {3 * E}, cache.Slice(_stepPosition * {B * 2 * E}), {2 * E}, {B}, {2 * E});");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line($"int head = b * {2 * E} + h * {d};");
        w.Line($"global::Unroll.Kernels.Attention.Forward(qkv.Slice(b * {3 * E} + h * {d}), {3 * E}, cache.Slice(head), {B * 2 * E}, cache.Slice(head + {E}), {B * 2 * E}, a.Slice(Layout.{at.Weights} + (b * {heads} + h) * {T}, keys), context.Slice(b * {E} + h * {d}), {E}, 1, keys, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: false);");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{names[2]}), {E}, y, {E}, {B}, {E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(y, {E}, {B}, {E}, p.Slice(Layout.{names[3]}, {E}));");
        if (layer.Residual) w.Line($"{Blas}.AddRows(x, {E}, y, {E}, {B}, {E}); // the residual connection");
        w.Close();
    }

    internal static void WriteAttentionBackward(SourceWriter w, ModelPlan plan, SelfAttentionPlan layer, LayerBuffers buffers, string input, string? inputGradient, string guard, string rows)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads;
        AttentionBuffers at = Regions<AttentionBuffers>(buffers);
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: backwards through out_proj, each sequence's and head's attention, then in_proj");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} qkv = a.Slice(Layout.{at.Qkv});");
        w.Line($"{Span} context = a.Slice(Layout.{at.Context});");
        w.Line($"{Span} dy = a.Slice(Layout.{buffers.OutputGradient});");
        w.Line($"{Span} dContext = a.Slice(Layout.{at.ContextGradient});");
        w.Line($"{Span} dQkv = a.Slice(Layout.{at.QkvGradient});");
        if (layer.Trainable)
        {
            w.Line($"// ∂W_out += ∂yᵀ·ctx, ∂b_out += Σ ∂y, ∂ctx = ∂y·W_out");
            w.Line($"{Blas}.MultiplyTransposedAAdd(dy, {E}, context, {E}, g.Slice(Layout.{names[2]}), {E}, {rows}, {E}, {E});");
            w.Line($"{Blas}.SumRowsAdd(dy, {E}, {rows}, {E}, g.Slice(Layout.{names[3]}, {E}));");
        }
        else
        {
            w.Line("// frozen (Trainable = false): no weight or bias gradient; ∂ctx = ∂y·W_out");
        }
        w.Line($"{Blas}.Multiply(dy, {E}, p.Slice(Layout.{names[2]}), {E}, dContext, {E}, {rows}, {E}, {E}, accumulate: false);");
        w.Line($"dQkv.Slice(0, {rows} * {3 * E}).Clear();");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line($"int head = b * {3 * E} + h * {d};");
        w.Line($"int block = (b * {heads} + h) * {layer.Length} * {layer.Length};");
        w.Line($"global::Unroll.Kernels.Attention.Backward(qkv.Slice(head), {B * 3 * E}, qkv.Slice(head + {E}), {B * 3 * E}, qkv.Slice(head + {2 * E}), {B * 3 * E}, a.Slice(Layout.{at.Weights} + block, {layer.Length} * {layer.Length}), dContext.Slice(b * {E} + h * {d}), {B * E}, a.Slice(Layout.{at.WeightsGradient} + block, {layer.Length} * {layer.Length}), dQkv.Slice(head), dQkv.Slice(head + {E}), dQkv.Slice(head + {2 * E}), a.Slice(Layout.{at.Scratch}, {layer.Length} * {layer.Length}), {layer.Length}, {layer.Length}, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: {(layer.Causal ? "true" : "false")}, validKeys: {layer.RowLengths}[b]);");
        w.Close();
        w.Close();
        if (layer.Trainable)
        {
            w.Line($"// ∂W_in += ∂qkvᵀ·x, ∂b_in += Σ ∂qkv");
            w.Line($"{Blas}.MultiplyTransposedAAdd(dQkv, {3 * E}, x, {E}, g.Slice(Layout.{names[0]}), {E}, {rows}, {3 * E}, {E});");
            w.Line($"{Blas}.SumRowsAdd(dQkv, {3 * E}, {rows}, {3 * E}, g.Slice(Layout.{names[1]}, {3 * E}));");
        }
        if (inputGradient is not null)
        {
            w.Line($"// ∂x = ∂qkv·W_in{(layer.Residual ? " + ∂y (the residual path)" : "")}");
            w.Line($"{guard}{{");
            w.Line($"    {Blas}.Multiply(dQkv, {3 * E}, p.Slice(Layout.{names[0]}), {E}, a.Slice(Layout.{inputGradient}), {E}, {rows}, {E}, {3 * E}, accumulate: false);");
            if (layer.Residual) w.Line($"    {Blas}.AddRows(dy, {E}, a.Slice(Layout.{inputGradient}), {E}, {rows}, {E});");
            w.Line("}");
        }
        w.Close();
    }
}
