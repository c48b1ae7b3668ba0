using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[TransformerDecoderLayer(dModel, outputSize, NumHeads, NumLayers, FeedForward, Dropout, Activation, NormFirst, LayerNormEps, Vocabulary, Positions)]</c> as written.</summary>
internal sealed record TransformerDecoderLayerSpec(int DModel, int OutputSize, int NumHeads, int NumLayers, int FeedForward, double Dropout, ActivationFunction Activation,
    bool NormFirst, double LayerNormEps, int Vocabulary, PositionalEncodingKind Positions) : LayerSpec
{
    public override string Kind => "TransformerDecoderLayer";

    /// <summary>The model's <c>TargetLength</c> (<see cref="TransformerDecoderLayerHandler.InModel"/>): the learned positions' rows.</summary>
    public int TargetLength { get; init; }
}

/// <summary>
/// A transformer decoder's plan: its sizes and options, and its parameters' <c>Layout</c> constants by role (from
/// <see cref="LayerPlan.ParameterNames"/>, in state-dict order). It attends over the output of the layer before it
/// (the memory, <see cref="LayerPlan.In"/> = d_model wide); its output (<see cref="LayerPlan.Out"/>) is the outputs per step.
/// </summary>
internal sealed record TransformerDecoderLayerPlan(int NumHeads, int NumLayers, int FeedForward, double Dropout, ActivationFunction Activation, bool NormFirst,
    double LayerNormEps, int Vocabulary, PositionalEncodingKind Positions, int Output) : LayerPlan, IDecoderPlan
{
    public override string Kind => "TransformerDecoderLayer";

    /// <summary>The state-dict tensors of one <c>nn.TransformerDecoderLayer</c>, in its order.</summary>
    public static readonly string[] LayerParameters =
    {
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias",
    };

    /// <summary>d_model: the memory's width (<see cref="LayerPlan.In"/>, checked against the attribute's) and the layers'.</summary>
    public int DModel => In;

    /// <summary>Features per target step: d_model (float targets), the embedding's width (token targets).</summary>
    public int Input => In;

    private int First => (Vocabulary > 0 ? 1 : 0) + (Positions == PositionalEncodingKind.Learned ? 1 : 0);

    /// <summary>Token targets: <c>embedding.weight</c>.</summary>
    public string? Embedding => Vocabulary > 0 ? ParameterNames[0] : null;

    /// <summary>Learned positions: <c>positions.weight</c>.</summary>
    public string? PositionWeight => Positions == PositionalEncodingKind.Learned ? ParameterNames[First - 1] : null;

    /// <summary>Layer <paramref name="layer"/>'s tensor <paramref name="k"/> of <see cref="LayerParameters"/>.</summary>
    public string Parameter(int layer, int k) => ParameterNames[First + LayerParameters.Length * layer + k];

    /// <summary>Norm first: the final <c>norm.weight</c> (then <c>norm.bias</c>).</summary>
    public string? FinalNorm => NormFirst ? ParameterNames[ParameterNames.Count - 4] : null;

    public string? FinalNormBias => NormFirst ? ParameterNames[ParameterNames.Count - 3] : null;

    public string OutWeight => ParameterNames[ParameterNames.Count - 2];

    public string OutBias => ParameterNames[ParameterNames.Count - 1];
}

/// <summary>
/// One decoder layer's regions in a pass (rows: the pass's target rows, <c>[time, batch]</c>, or one step's batch; E the
/// width, F the feed-forward's): the self-attention's projections, output and weights; the cross-attention's query, the
/// memory's keys and values (<c>[source time, batch, k | v]</c>; for <c>Step</c> filled by <c>Encode</c>), output and
/// weights; the three residual sums and norms (x̂ and 1/σ too); the feed-forward; the dropout masks (training with
/// dropout only); and the layer's output. <see cref="SelfCache"/>: <c>Step</c>'s keys and values of every earlier step.
/// </summary>
internal sealed record DecoderLayerRegions(
    string Qkv, string SelfContext, string SelfWeights,
    string Residual1, string Norm1, string Normalized1, string InverseDeviation1,
    string Query, string KeyValues, string CrossContext, string CrossWeights,
    string Residual2, string Norm2, string Normalized2, string InverseDeviation2,
    string Hidden, string Activated, string? Dropped,
    string Norm3, string Normalized3, string InverseDeviation3,
    string? Mask1, string? Mask2, string? HiddenMask, string? Mask3,
    string Output, string? SelfCache);

/// <summary>
/// A transformer decoder's regions: the target, its embedding plus positions (the first layer's input), the sinusoidal
/// table, each layer's regions, the final norm, the outputs; the backward pass's shared gradients; and <c>Step</c>'s.
/// </summary>
internal sealed record TransformerDecoderBuffers(
    string Target, string? TargetGradient, string Embedded, string? PositionTable, EquatableArray<DecoderLayerRegions> Layers,
    string FinalNorm, string FinalNormalized, string FinalInverseDeviation, string Output, string? OutputGradient,
    string? StreamGradient, string? OtherStreamGradient, string? Gradient1, string? Gradient2, string? HiddenGradient,
    string? QkvGradient, string? ContextGradient, string? QueryGradient, string? KeyValuesGradient, string? Scratch, string? NormScratch,
    string StepTarget, string StepEmbedded, EquatableArray<DecoderLayerRegions> StepLayers, string StepFinalNorm, string StepFinalNormalized,
    string StepFinalInverseDeviation, string StepOutput) : LayerRegions, IDecoderRegions;

/// <summary>
/// <c>[TransformerDecoderLayer(dModel, outputSize)]</c>: <c>NumLayers</c> <c>nn.TransformerDecoderLayer</c>s stacked as
/// <c>nn.TransformerDecoder</c>, over the target's embedding (or features) plus positions, attending over the output of the
/// layers before it (the encoder), then <c>out</c>: the last layer of an encoder–decoder transformer. Its passes are
/// methods of their own (<c>DecodeCore</c>, <c>DecodeBackwardCore</c>, <c>DecodeStepCore</c>) and it writes the model's
/// entry points, as <c>[AttentionDecoder]</c> does: see the other files of this folder.
/// </summary>
internal sealed partial class TransformerDecoderLayerHandler : DecoderHandler<TransformerDecoderLayerSpec, TransformerDecoderLayerPlan>
{
    public override string Kind => "TransformerDecoderLayer";

    /// <summary>The view is <c>TransformerDecoderLayer</c>, as PyTorch's module (the attribute is <c>TransformerDecoderLayerAttribute</c>).</summary>
    public override string ViewType => "TransformerDecoderLayer";

    /// <summary>Two sizes, d_model and the outputs per step; the options named.</summary>
    protected override TransformerDecoderLayerSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(2) is { } sizes
            ? new TransformerDecoderLayerSpec(sizes[0], sizes[1], arguments.Named("NumHeads", 1), arguments.Named("NumLayers", 1), arguments.Named("FeedForward", 2048),
                arguments.Named("Dropout", 0.1), (ActivationFunction)arguments.Named("Activation", 0), arguments.Named("NormFirst", false), arguments.Named("LayerNormEps", 1e-5),
                arguments.Named("Vocabulary", 0), (PositionalEncodingKind)arguments.Named("Positions", 0))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(TransformerDecoderLayerSpec layer) =>
        new[] { ("dModel", layer.DModel), ("outputSize", layer.OutputSize), ("NumHeads", layer.NumHeads), ("NumLayers", layer.NumLayers), ("FeedForward", layer.FeedForward) };

    protected override int OutputWidth(TransformerDecoderLayerSpec layer, int inputWidth) => layer.OutputSize;

    protected override void CheckOptions(TransformerDecoderLayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        TransformerEncoderLayerHandler.CheckBlockOptions(layer, positive, layer.DModel, layer.NumHeads, layer.Dropout, layer.Activation, layer.LayerNormEps, diagnostics);
        if (layer.Vocabulary < 0) Invalid(layer, "Vocabulary", layer.Vocabulary, "0 (float targets) or the target vocabulary's size", diagnostics);
        if (layer.Positions is < PositionalEncodingKind.Sinusoidal or > PositionalEncodingKind.Learned)
            Invalid(layer, "Positions", (int)layer.Positions, "a PositionalEncodingKind value (Sinusoidal or Learned)", diagnostics);
    }

    /// <summary>It needs an encoder before it whose output is d_model wide, over the source's own steps.</summary>
    public override void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
        var decoder = (TransformerDecoderLayerSpec)spec.Layers[index];
        string? problem = index == 0
            ? "it needs encoder layers before it"
            : Decoders.StridedBefore(spec, index) ?? (inputWidth != decoder.DModel ? $"its dModel {decoder.DModel} differs from {inputWidth}, the width of the encoder's output (its memory)" : null);
        if (problem is not null) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.DecoderDoesNotFitEncoder, decoder.Location, decoder.Property, problem));
    }

    /// <summary>PyTorch's state dict and initialisation (the attentions as <c>nn.MultiheadAttention</c>'s, the linear maps as <c>nn.Linear</c>'s, the norms 1 and 0).</summary>
    protected override void AddParameters(TransformerDecoderLayerSpec layer, int inputWidth, ParameterAdder add)
    {
        int e = layer.DModel, f = layer.FeedForward;
        if (layer.Vocabulary > 0) add("embedding.weight", new[] { layer.Vocabulary, e }, InitKind.Normal, 0);
        if (layer.Positions == PositionalEncodingKind.Learned) add("positions.weight", new[] { layer.TargetLength, e }, InitKind.Normal, 0);
        for (int i = 0; i < layer.NumLayers; i++)
        {
            string l = $"layers.{i}.";
            foreach (string attention in new[] { "self_attn", "multihead_attn" })
            {
                add($"{l}{attention}.in_proj_weight", new[] { 3 * e, e }, InitKind.Uniform, Math.Sqrt(6.0 / (e + 3 * e)));
                add($"{l}{attention}.in_proj_bias", new[] { 3 * e }, InitKind.Zero, 0);
                add($"{l}{attention}.out_proj.weight", new[] { e, e }, InitKind.Uniform, 1 / Math.Sqrt(e));
                add($"{l}{attention}.out_proj.bias", new[] { e }, InitKind.Zero, 0);
            }
            add($"{l}linear1.weight", new[] { f, e }, InitKind.Uniform, 1 / Math.Sqrt(e));
            add($"{l}linear1.bias", new[] { f }, InitKind.Uniform, 1 / Math.Sqrt(e));
            add($"{l}linear2.weight", new[] { e, f }, InitKind.Uniform, 1 / Math.Sqrt(f));
            add($"{l}linear2.bias", new[] { e }, InitKind.Uniform, 1 / Math.Sqrt(f));
            for (int n = 1; n <= 3; n++)
            {
                add($"{l}norm{n}.weight", new[] { e }, InitKind.One, 0);
                add($"{l}norm{n}.bias", new[] { e }, InitKind.Zero, 0);
            }
        }
        if (layer.NormFirst)
        {
            add("norm.weight", new[] { e }, InitKind.One, 0);
            add("norm.bias", new[] { e }, InitKind.Zero, 0);
        }
        add("out.weight", new[] { layer.OutputSize, e }, InitKind.Uniform, 1 / Math.Sqrt(e));
        add("out.bias", new[] { layer.OutputSize }, InitKind.Uniform, 1 / Math.Sqrt(e));
    }

    /// <summary>The learned positions cover the model's target steps.</summary>
    public override LayerSpec InModel(LayerSpec layer, ModelSpec model) => (TransformerDecoderLayerSpec)layer with { TargetLength = model.TargetLength ?? 0 };

    protected override TransformerDecoderLayerPlan Plan(TransformerDecoderLayerSpec layer) =>
        new(layer.NumHeads, layer.NumLayers, layer.FeedForward, layer.Dropout, layer.Activation, layer.NormFirst, layer.LayerNormEps, layer.Vocabulary, layer.Positions, layer.OutputSize);

    /// <summary>
    /// Teacher-forced training over <c>TargetLength</c> steps against <c>SequenceLength</c> encoder outputs, then one
    /// streaming step; without gradients (inference only) the regions only backpropagation reads are left out.
    /// </summary>
    protected override LayerBuffers AddBuffers(TransformerDecoderLayerPlan d, BufferContext c)
    {
        int B = c.B, e = d.DModel, Ts = c.Steps, Td = c.Spec.TargetLength!.Value, heads = d.NumHeads;
        long rows = (long)Td * B, sourceRows = (long)Ts * B;
        bool tokens = d.Vocabulary > 0, gradients = c.Gradients;
        string? Backward(string what, long length, string comment) => gradients ? c.Add(d, what, length, comment) : null;
        string target = c.Add(d, "Target", rows * (tokens ? 1 : e), tokens ? "target input ids, [batch, time] (int bits)" : $"target input, [time, batch, {e}]");
        string? targetGradient = Backward("TargetGradient", tokens ? 0 : rows * e, "float targets: ∂target input");
        string embedded = c.Add(d, "Embedded", rows * e, $"the target's {(tokens ? "embedding" : "features")} plus positions, the first layer's input, [time, batch, {e}]");
        string? table = d.Positions == PositionalEncodingKind.Sinusoidal ? c.Add(d, "PositionTable", (long)Td * e, $"sinusoidal positions of the target steps, [{Td}, {e}], filled by the constructor") : null;
        var layers = Enumerable.Range(0, d.NumLayers).Select(i => LayerRegions(d, c, i, "", rows, sourceRows, Td, Ts, gradients && d.Dropout > 0)).ToArray();
        string finalNorm = c.Add(d, "FinalNorm", d.NormFirst ? rows * e : 0, "norm first: the final norm of the last layer's output");
        string finalNormalized = c.Add(d, "FinalNormalized", d.NormFirst ? rows * e : 0, "its normalised rows x̂");
        string finalInverse = c.Add(d, "FinalInverseDeviation", d.NormFirst ? rows : 0, "its 1/√(var + eps) of each row");
        string output = c.Add(d, "Output", rows * d.Output, $"outputs, [time, batch, {d.Output}]");
        string? outputGradient = Backward("OutputGradient", rows * d.Output, "∂ outputs");
        string stepTarget = c.Add(d, "StepTarget", (long)B * (tokens ? 1 : e), "Step: the previous target step");
        string stepEmbedded = c.Add(d, "StepEmbedded", (long)B * e, "Step: its embedding plus position");
        var stepLayers = Enumerable.Range(0, d.NumLayers).Select(i => LayerRegions(d, c, i, "Step", B, sourceRows, 1, Ts, dropout: false)).ToArray();
        var regions = new TransformerDecoderBuffers(
            target, targetGradient, embedded, table, layers.ToEquatableArray(), finalNorm, finalNormalized, finalInverse, output, outputGradient,
            Backward("StreamGradient", rows * e, "∂ of a layer's output"),
            Backward("OtherStreamGradient", rows * e, "∂ of a layer's input (the layer before's output)"),
            Backward("Gradient1", rows * e, "∂ of a residual sum"),
            Backward("Gradient2", rows * e, "∂ of a norm's output"),
            Backward("HiddenGradient", rows * d.FeedForward, "∂ of the feed-forward's activations"),
            Backward("QkvGradient", rows * 3 * e, "∂ self-attention q | k | v"),
            Backward("ContextGradient", rows * e, "∂ an attention's output before out_proj"),
            Backward("QueryGradient", rows * e, "∂ cross-attention queries"),
            Backward("KeyValuesGradient", sourceRows * 2 * e, "∂ cross-attention keys and values"),
            Backward("Scratch", (long)Td * Math.Max(Td, Ts), "one sequence's and head's score gradients"),
            Backward("NormScratch", e, "one row"),
            stepTarget, stepEmbedded, stepLayers.ToEquatableArray(),
            c.Add(d, "StepFinalNorm", d.NormFirst ? (long)B * e : 0, "Step: the final norm"),
            c.Add(d, "StepFinalNormalized", d.NormFirst ? (long)B * e : 0, "Step: its x̂"),
            c.Add(d, "StepFinalInverseDeviation", d.NormFirst ? B : 0, "Step: its 1/σ"),
            c.Add(d, "StepOutput", (long)B * d.Output, "Step: outputs"));
        return new LayerBuffers(output, outputGradient) { Regions = regions };
    }

    /// <summary>
    /// Layer <paramref name="i"/>'s regions in the sequence pass (<paramref name="prefix"/> "") or <c>Step</c>'s ("Step"):
    /// <paramref name="rows"/> target rows, self-attention weights of <paramref name="selfKeys"/> per query row (a whole
    /// target's, or one step's over every cached position) and cross-attention weights of <paramref name="crossKeys"/>.
    /// </summary>
    private static DecoderLayerRegions LayerRegions(TransformerDecoderLayerPlan d, BufferContext c, int i, string prefix, long rows, long sourceRows, int selfQueries, int crossKeys, bool dropout)
    {
        int B = c.B, e = d.DModel, f = d.FeedForward, heads = d.NumHeads, Td = c.Spec.TargetLength!.Value;
        bool step = prefix.Length > 0;
        string shape(int width) => step ? $"[batch, {width}]" : $"[time, batch, {width}]";
        string Add(string what, long length, string comment) => c.Add(d, $"{prefix}L{i}_{what}", length, $"{(step ? "Step: " : "")}layer {i}: {comment}");
        return new DecoderLayerRegions(
            Add("Qkv", rows * 3 * e, $"self-attention q | k | v, {shape(3 * e)}"),
            Add("SelfContext", rows * e, "self-attention output before out_proj"),
            Add("SelfWeights", (long)B * heads * selfQueries * Td, step ? "self-attention weights, [batch, head, position]" : "self-attention weights, [batch, head, length, length]"),
            Add("Residual1", rows * e, d.NormFirst ? "x + self_attn(norm1(x))" : "x + self_attn(x)"),
            Add("Norm1", rows * e, d.NormFirst ? "norm1(x), the self-attention's input" : "norm1(x + self_attn(x))"),
            Add("Normalized1", rows * e, "norm1's x̂"),
            Add("InverseDeviation1", rows, "norm1's 1/√(var + eps)"),
            Add("Query", rows * e, "cross-attention queries"),
            Add("KeyValues", sourceRows * 2 * e, step ? "the encoded memory's keys and values (Encode), [source time, batch, k | v]" : "the memory's keys and values, [source time, batch, k | v]"),
            Add("CrossContext", rows * e, "cross-attention output before out_proj"),
            Add("CrossWeights", (long)B * heads * selfQueries * crossKeys, step ? "cross-attention weights, [batch, head, source position]" : "cross-attention weights, [batch, head, length, source length]"),
            Add("Residual2", rows * e, "s1 + multihead_attn(…)"),
            Add("Norm2", rows * e, d.NormFirst ? "norm2(s1), the cross-attention's query input" : "norm2(s1 + multihead_attn(s1))"),
            Add("Normalized2", rows * e, "norm2's x̂"),
            Add("InverseDeviation2", rows, "norm2's 1/√(var + eps)"),
            Add("Hidden", rows * f, $"linear1's output, {shape(f)}"),
            Add("Activated", rows * f, "its activation"),
            dropout ? Add("Dropped", rows * f, "the activation after dropout") : null,
            Add("Norm3", rows * e, d.NormFirst ? "norm3(s2), the feed-forward's input" : "s2 + linear2(…), which norm3 normalises"),
            Add("Normalized3", rows * e, "norm3's x̂"),
            Add("InverseDeviation3", rows, "norm3's 1/√(var + eps)"),
            dropout ? Add("Mask1", rows * e, "dropout mask of the self-attention's output") : null,
            dropout ? Add("Mask2", rows * e, "dropout mask of the cross-attention's output") : null,
            dropout ? Add("HiddenMask", rows * f, "dropout mask of the activation") : null,
            dropout ? Add("Mask3", rows * e, "dropout mask of linear2's output") : null,
            Add("Output", rows * e, $"the layer's output, {shape(e)}"),
            step ? Add("SelfCache", (long)(Td + 1) * B * 2 * e, $"the keys and values of every step so far, [position, batch, {2 * e}], and one position of scratch") : null);
    }

    protected override string Describe(TransformerDecoderLayerPlan d) => DescribeDecoder(d);

    private static string DescribeDecoder(TransformerDecoderLayerPlan d) =>
        $"TransformerDecoder({d.NumLayers} × {d.DModel}, {d.NumHeads} head{(d.NumHeads == 1 ? "" : "s")}, feed-forward {d.FeedForward}, {TransformerEncoderLayerHandler.ActivationName(d.Activation)}"
        + $"{(d.NormFirst ? ", norm first" : "")}{(d.Dropout > 0 ? $", dropout {d.Dropout.ToString("R", CultureInfo.InvariantCulture)}" : "")}; "
        + $"{(d.Vocabulary > 0 ? $"{d.Vocabulary} tokens" : "features")}{(d.Positions == PositionalEncodingKind.Learned ? ", learned positions" : "")})";

    /// <summary>The last layer's cross-attention weights of the sequence pass and of the last step, and the sizes.</summary>
    protected override string ViewArguments(ModelPlan plan, TransformerDecoderLayerPlan d, int index)
    {
        var r = Regions<TransformerDecoderBuffers>(plan.Sequence.Layers[index]);
        return $"_arena, {ArrayIndex("Layout." + r.Layers[d.NumLayers - 1].CrossWeights)}, {ArrayIndex("Layout." + r.StepLayers[d.NumLayers - 1].CrossWeights)}, "
            + $"BatchSize, {d.NumHeads}, {d.NumLayers}, TargetLength, SequenceLength";
    }

    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        switch (part)
        {
            case ModelPart.Constants:
                Decoders.WriteConstants(w, plan);
                w.Line("/// <summary>Steps since <c>Encode</c> or <c>ResetState</c>: the position of the next <c>Step</c>.</summary>");
                w.Line("private int _decodePosition;");
                w.Line();
                break;
            case ModelPart.EntryPoints:
                WriteEntryPoints(w, plan);
                break;
            case ModelPart.Passes:
                WriteDecodeCore(w, plan);
                if (!plan.InferenceOnly) WriteDecodeBackwardCore(w, plan);
                WriteDecodeStepCore(w, plan);
                break;
            case ModelPart.Checks:
                Decoders.WriteChecks(w, plan);
                break;
            case ModelPart.Construction:
                var (d, r) = Decoder(plan);
                if (r.PositionTable is { } positions)
                {
                    w.Line($"// {d.Property}: the target positions, PE[t, 2i] = sin(t·e^(−2i·ln 10000 / {d.DModel})), PE[t, 2i + 1] = cos(…), for t = 0 … {plan.TargetLength - 1}");
                    w.Line($"global::Unroll.Kernels.Positions.Sinusoidal(Arena.Slice(Layout.{positions}, {plan.TargetLength * d.DModel}), {plan.TargetLength}, {d.DModel});");
                }
                break;
            case ModelPart.StepPasses: // it has no StepCore
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(part), part, "Not a part of the model class.");
        }
    }

    /// <summary>The outputs over the target steps of the last <c>Forward</c>.</summary>
    public override void WriteNonFiniteScans(SourceWriter w, ModelPlan plan, int index)
    {
        var (d, r) = Decoder(plan);
        Scan(w, r.Layers[d.NumLayers - 1].Output, "_targetLength", d.DModel, $"{d.Property} last layer's output", plan.BatchSize);
        Scan(w, r.Output, "_targetLength", d.Output, $"{d.Property} output", plan.BatchSize);
    }

    /// <summary>The model's decoder (its last layer) and its regions of the arena.</summary>
    internal static (TransformerDecoderLayerPlan Plan, TransformerDecoderBuffers Regions) Decoder(ModelPlan plan) =>
        ((TransformerDecoderLayerPlan)plan.Layers[plan.Layers.Count - 1], Regions<TransformerDecoderBuffers>(plan.Sequence.Layers[plan.Layers.Count - 1]));
}
