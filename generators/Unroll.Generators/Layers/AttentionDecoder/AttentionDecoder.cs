using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>An attention decoder's score function (the values of <c>Unroll.AttentionScore</c>).</summary>
internal enum AttentionScore
{
    Additive,
    Dot,
    General,
}

/// <summary>An attention decoder's cell (the values of <c>Unroll.DecoderCell</c>).</summary>
internal enum DecoderCell
{
    Lstm,
    Gru,
}

/// <summary><c>[AttentionDecoder(inputSize, hiddenSize, outputSize, Vocabulary, Attention, AttentionSize, Cell)]</c> as written.</summary>
internal sealed record AttentionDecoderSpec(int InputSize, int HiddenSize, int OutputSize, int Vocabulary, AttentionScore Score, int AttentionSize, DecoderCell Cell) : LayerSpec
{
    public override string Kind => "AttentionDecoder";
}

/// <summary>
/// An attention decoder's plan: its sizes, and its parameters' <c>Layout</c> constants by role (from
/// <see cref="LayerPlan.ParameterNames"/>, in state-dict order). It attends over the output of the layer before it
/// (<see cref="Memory"/> wide) and starts from the final state of the last recurrent layer before it.
/// </summary>
/// <param name="Input">The target step's features (token targets: the embedding width).</param>
/// <param name="Attention">The width of the projected keys: additive attention's size, or the hidden size for dot and general.</param>
/// <param name="Vocabulary">Token targets: the target vocabulary; float targets: 0.</param>
internal sealed record AttentionDecoderPlan(bool Lstm, int Input, int Hidden, int Output, int Attention, AttentionScore Score, int Vocabulary) : LayerPlan, IDecoderPlan
{
    public override string Kind => "AttentionDecoder";

    /// <summary>The <c>Layout</c> constant of its state block (s_0, s_n, their gradients; LSTM: and c's), each [batch, H].</summary>
    public string StateBlock { get; init; } = "";

    /// <summary>The encoder output's width: the keys and values of the attention.</summary>
    public int Memory => In;

    /// <summary>The cell's input: the target step, then the context.</summary>
    public int CellInput => Input + Memory;

    /// <summary>Gate rows: 4H (LSTM) or 3H (GRU).</summary>
    public int GateWidth => (Lstm ? 4 : 3) * Hidden;

    private int First => Vocabulary > 0 ? 1 : 0;

    /// <summary>Token targets: <c>embedding.weight</c>.</summary>
    public string? Embedding => Vocabulary > 0 ? ParameterNames[0] : null;

    public string WeightIh => ParameterNames[First];

    public string WeightHh => ParameterNames[First + 1];

    public string BiasIh => ParameterNames[First + 2];

    public string BiasHh => ParameterNames[First + 3];

    /// <summary>Additive attention: <c>W_s.weight</c>, <c>W_h.weight</c>, <c>W_h.bias</c>, <c>v.weight</c>.</summary>
    public string? Ws => Score == AttentionScore.Additive ? ParameterNames[First + 4] : null;

    public string? Wh => Score == AttentionScore.Additive ? ParameterNames[First + 5] : null;

    public string? Bh => Score == AttentionScore.Additive ? ParameterNames[First + 6] : null;

    public string? V => Score == AttentionScore.Additive ? ParameterNames[First + 7] : null;

    /// <summary>General attention: <c>W_a.weight</c>.</summary>
    public string? Wa => Score == AttentionScore.General ? ParameterNames[First + 4] : null;

    /// <summary><c>out.weight</c> over <c>[s ; ctx]</c>.</summary>
    public string OutWeight => ParameterNames[ParameterNames.Count - 2];

    public string OutBias => ParameterNames[ParameterNames.Count - 1];
}

/// <summary>
/// An attention decoder's arena regions (<c>{Property}_{What}</c>): teacher-forced training over the target steps against
/// the source steps, then one streaming step (<c>Step*</c>). The ones only backpropagation reads are null in a model for
/// inference only; a region a configuration does not use has length 0 and is not in <c>Layout</c>.
/// </summary>
internal sealed record DecoderBuffers : LayerRegions, IDecoderRegions
{
    public string Target { get; init; } = "";

    public string? TargetGradient { get; init; }

    public string Embedded { get; init; } = "";

    public string? EmbeddedGradient { get; init; }

    public string Keys { get; init; } = "";

    public string? KeysGradient { get; init; }

    public string Hiddens { get; init; } = "";

    public string Cells { get; init; } = "";

    public string? HiddensGradient { get; init; }

    public string Cache { get; init; } = "";

    public string Gh { get; init; } = "";

    public string? GatesGradient { get; init; }

    public string? GhGradient { get; init; }

    public string? Carry { get; init; }

    public string? CellCarry { get; init; }

    public string Query { get; init; } = "";

    public string? QueryGradient { get; init; }

    public string Tanh { get; init; } = "";

    public string Scores { get; init; } = "";

    public string Weights { get; init; } = "";

    public string? WeightsGradient { get; init; }

    public string Context { get; init; } = "";

    public string? ContextGradient { get; init; }

    public string Output { get; init; } = "";

    public string? OutputGradient { get; init; }

    public string? Scratch { get; init; }

    public string StepTarget { get; init; } = "";

    public string StepEmbedded { get; init; } = "";

    public string StepMemory { get; init; } = "";

    public string StepKeys { get; init; } = "";

    public string StepQuery { get; init; } = "";

    public string StepTanh { get; init; } = "";

    public string StepWeights { get; init; } = "";

    public string StepContext { get; init; } = "";

    public string StepCache { get; init; } = "";

    public string StepNext { get; init; } = "";

    public string StepOutput { get; init; } = "";
}

/// <summary>
/// <c>[AttentionDecoder(inputSize, hiddenSize, outputSize)]</c>: an LSTM or GRU decoder attending over the output of
/// the layers before it (the encoder), the last layer of an encoder–decoder model. Its passes are methods of their own
/// (<c>DecodeCore</c>, <c>DecodeBackwardCore</c>, <c>DecodeStepCore</c>) and it writes the model's entry points
/// (<c>Forward(source, targetInput, …)</c>, <c>Encode</c>, <c>Step</c>, <c>Backward</c>): see the other files of this folder.
/// </summary>
internal sealed partial class AttentionDecoderHandler : DecoderHandler<AttentionDecoderSpec, AttentionDecoderPlan>
{
    public override string Kind => "AttentionDecoder";

    /// <summary>Three sizes: the target step's features, the hidden size and the outputs per step; the options named.</summary>
    protected override AttentionDecoderSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(3) is { } sizes
            ? new AttentionDecoderSpec(sizes[0], sizes[1], sizes[2], arguments.Named("Vocabulary", 0), (AttentionScore)arguments.Named("Attention", 0),
                arguments.Named("AttentionSize", 0), (DecoderCell)arguments.Named("Cell", 0))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(AttentionDecoderSpec layer) =>
        new[] { ("inputSize", layer.InputSize), ("hiddenSize", layer.HiddenSize), ("outputSize", layer.OutputSize) };

    protected override int OutputWidth(AttentionDecoderSpec layer, int inputWidth) => layer.OutputSize;

    /// <summary>The enums' values, and widths that may be 0 but not negative.</summary>
    protected override void CheckOptions(AttentionDecoderSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Score is not (AttentionScore.Additive or AttentionScore.Dot or AttentionScore.General))
            Invalid(layer, "Attention", (int)layer.Score, "AttentionScore.Additive, AttentionScore.Dot or AttentionScore.General", diagnostics);
        if (layer.Cell is not (DecoderCell.Lstm or DecoderCell.Gru)) Invalid(layer, "Cell", (int)layer.Cell, "DecoderCell.Lstm or DecoderCell.Gru", diagnostics);
        if (layer.Vocabulary < 0) Invalid(layer, "Vocabulary", layer.Vocabulary, "0 (float targets) or the target vocabulary's size", diagnostics);
        if (layer.AttentionSize < 0) Invalid(layer, "AttentionSize", layer.AttentionSize, "0 (the hidden size) or a positive width", diagnostics);
    }

    /// <summary>
    /// It needs an encoder before it, whose last recurrent layer's final state (both directions side by side) is as wide
    /// as its hidden state; dot attention also needs the encoder's output as wide.
    /// </summary>
    public override void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
        var decoder = (AttentionDecoderSpec)spec.Layers[index];
        if (index == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.DecoderDoesNotFitEncoder, decoder.Location, decoder.Property, "it needs encoder layers before it, ending in a recurrent layer"));
            return;
        }
        if (Decoders.StridedBefore(spec, index) is { } strided)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.DecoderDoesNotFitEncoder, decoder.Location, decoder.Property, strided));
            return;
        }
        RecurrentSpec? bridge = spec.Layers.Take(index).OfType<RecurrentSpec>().LastOrDefault();
        int bridgeWidth = bridge is null ? 0 : bridge.Directions * bridge.HiddenSize;
        int H = decoder.HiddenSize;
        string? problem = bridge is null
            ? "no recurrent layer before it gives its initial state"
            : H != bridgeWidth
                ? $"its hidden size {H} differs from {bridgeWidth}, the width of '{bridge.Property}''s final state{(bridge.Bidirectional ? " (both directions concatenated)" : "")}"
                : decoder.Score == AttentionScore.Dot && H != inputWidth
                    ? $"dot attention needs its hidden size {H} to equal the width {inputWidth} of the encoder's output"
                    : null;
        if (problem is not null) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.DecoderDoesNotFitEncoder, decoder.Location, decoder.Property, problem));
    }

    /// <summary>PyTorch's default initialisation of each module; <paramref name="inputWidth"/> is the encoder output's (the memory).</summary>
    protected override void AddParameters(AttentionDecoderSpec layer, int inputWidth, ParameterAdder add)
    {
        int H = layer.HiddenSize, G = (layer.Cell == DecoderCell.Lstm ? 4 : 3) * H, memory = inputWidth, attention = AttentionWidth(layer);
        if (layer.Vocabulary > 0) add("embedding.weight", new[] { layer.Vocabulary, layer.InputSize }, InitKind.Normal, 0);
        double k = 1 / Math.Sqrt(H);
        add("cell.weight_ih", new[] { G, layer.InputSize + memory }, InitKind.Uniform, k);
        add("cell.weight_hh", new[] { G, H }, InitKind.Uniform, k);
        add("cell.bias_ih", new[] { G }, InitKind.Uniform, k);
        add("cell.bias_hh", new[] { G }, InitKind.Uniform, k);
        if (layer.Score == AttentionScore.Additive)
        {
            add("W_s.weight", new[] { attention, H }, InitKind.Uniform, 1 / Math.Sqrt(H));
            add("W_h.weight", new[] { attention, memory }, InitKind.Uniform, 1 / Math.Sqrt(memory));
            add("W_h.bias", new[] { attention }, InitKind.Uniform, 1 / Math.Sqrt(memory));
            add("v.weight", new[] { 1, attention }, InitKind.Uniform, 1 / Math.Sqrt(attention));
        }
        else if (layer.Score == AttentionScore.General)
        {
            add("W_a.weight", new[] { H, memory }, InitKind.Uniform, 1 / Math.Sqrt(memory));
        }
        add("out.weight", new[] { layer.OutputSize, H + memory }, InitKind.Uniform, 1 / Math.Sqrt(H + memory));
        add("out.bias", new[] { layer.OutputSize }, InitKind.Uniform, 1 / Math.Sqrt(H + memory));
    }

    /// <summary>Additive attention's width as written, or the hidden size (0, and for dot and general attention).</summary>
    private static int AttentionWidth(AttentionDecoderSpec layer) =>
        layer.Score == AttentionScore.Additive && layer.AttentionSize > 0 ? layer.AttentionSize : layer.HiddenSize;

    protected override AttentionDecoderPlan Plan(AttentionDecoderSpec layer) =>
        new(layer.Cell == DecoderCell.Lstm, layer.InputSize, layer.HiddenSize, layer.OutputSize, AttentionWidth(layer), layer.Score, layer.Vocabulary);

    /// <summary>s_0, s_n, ∂s_0, ∂s_n (LSTM: and c's), each [batch, H].</summary>
    protected override AttentionDecoderPlan AddStates(AttentionDecoderPlan layer, Planner.ArenaBuilder arena, int batch) => layer with
    {
        StateBlock = arena.Add(layer.Property + "_States", (long)batch * layer.Hidden * (layer.Lstm ? 8 : 4),
            $"s_0, s_n, ∂s_0, ∂s_n{(layer.Lstm ? ", c_0, c_n, ∂c_0, ∂c_n" : "")}, each [{batch}, {layer.Hidden}]"),
    };

    /// <summary>
    /// Teacher-forced training over <c>TargetLength</c> steps against <c>SequenceLength</c> encoder outputs, then one
    /// streaming step; without gradients (inference only) the regions only backpropagation reads are left out.
    /// </summary>
    protected override LayerBuffers AddBuffers(AttentionDecoderPlan layer, BufferContext c)
    {
        AttentionDecoderPlan d = layer;
        int B = c.B, H = d.Hidden, A = d.Attention, E = d.Memory, Ts = c.Steps, Td = c.Spec.TargetLength!.Value;
        long rows = (long)Td * B;
        string? Backward(string what, long length, string comment) => c.Gradients ? c.Add(layer, what, length, comment) : null;
        bool tokens = d.Vocabulary > 0, additive = d.Score == AttentionScore.Additive, keys = d.Score != AttentionScore.Dot;
        var regions = new DecoderBuffers
        {
            Target = c.Add(layer, "Target", rows * (tokens ? 1 : d.Input), tokens ? "target input ids, [batch, time] (int bits)" : $"target input, [time, batch, {d.Input}]"),
            TargetGradient = Backward("TargetGradient", tokens ? 0 : rows * d.Input, "float targets: ∂target input"),
            Embedded = c.Add(layer, "Embedded", tokens ? rows * d.Input : 0, $"token targets: embedded target input, [time, batch, {d.Input}]"),
            EmbeddedGradient = Backward("EmbeddedGradient", tokens ? rows * d.Input : 0, "token targets: ∂embedded target input"),
            Keys = c.Add(layer, "Keys", keys ? (long)Ts * B * A : 0, $"projected encoder outputs ({(additive ? "W_h·h_j + b_h" : "W_a·h_j")}), [source time, batch, {A}]"),
            KeysGradient = Backward("KeysGradient", keys ? (long)Ts * B * A : 0, "∂ projected encoder outputs"),
            Hiddens = c.Add(layer, "Hiddens", (rows + B) * H, $"s_0, s_1, … s_Td, [time + 1, batch, {H}]"),
            Cells = c.Add(layer, "Cells", d.Lstm ? (rows + B) * H : 0, $"LSTM: c_0, c_1, … c_Td, [time + 1, batch, {H}]"),
            HiddensGradient = Backward("HiddensGradient", rows * H, "∂s_t from the output head"),
            Cache = c.Add(layer, "Cache", rows * 4 * H, d.Lstm ? "activated gates i, f, g, o, [time, batch, 4H]" : "r, z, n, W_hn·s + b_hn, [time, batch, 4H]"),
            Gh = c.Add(layer, "Gh", d.Lstm ? 0 : (long)B * 3 * H, "GRU: W_hh·s_{t-1} + b_hh of one step"),
            GatesGradient = Backward("GatesGradient", rows * d.GateWidth, "∂ gate pre-activations (GRU: input side), [time, batch, G·H]"),
            GhGradient = Backward("GhGradient", d.Lstm ? 0 : rows * d.GateWidth, "GRU: ∂ recurrent-side gates"),
            Carry = Backward("Carry", (long)B * H, "∂s carried to the previous step"),
            CellCarry = Backward("CellCarry", d.Lstm ? (long)B * H : 0, "∂c carried to the previous step"),
            Query = c.Add(layer, "Query", additive ? (long)B * A : 0, "additive: W_s·s_{t-1} of one step"),
            QueryGradient = Backward("QueryGradient", additive ? rows * A : 0, "additive: ∂(W_s·s_{t-1}) of every step"),
            Tanh = c.Add(layer, "Tanh", additive ? rows * Ts * A : 0, "additive: tanh(W_s·s_{t-1} + W_h·h_j + b_h), [time, batch, source time, A]"),
            Scores = c.Add(layer, "Scores", Ts, "one row of scores"),
            Weights = c.Add(layer, "Weights", rows * Ts, "attention weights, [batch, time, source time] for the run's lengths"),
            WeightsGradient = Backward("WeightsGradient", rows * Ts, "∂ attention weights (read by Backward)"),
            Context = c.Add(layer, "Context", rows * E, $"contexts, [time, batch, {E}]"),
            ContextGradient = Backward("ContextGradient", rows * E, "∂ contexts"),
            Output = c.Add(layer, "Output", rows * d.Output, $"outputs, [time, batch, {d.Output}]"),
            OutputGradient = Backward("OutputGradient", rows * d.Output, "∂ outputs"),
            Scratch = Backward("Scratch", Ts + A, "backward scratch of one attention row"),
            StepTarget = c.Add(layer, "StepTarget", (long)B * (tokens ? 1 : d.Input), "Step: the previous target step"),
            StepEmbedded = c.Add(layer, "StepEmbedded", tokens ? (long)B * d.Input : 0, "Step: its embedding"),
            StepMemory = c.Add(layer, "StepMemory", (long)Ts * B * E, "Step: the encoder outputs of the last Encode, [source time, batch, E]"),
            StepKeys = c.Add(layer, "StepKeys", keys ? (long)Ts * B * A : 0, "Step: their projection"),
            StepQuery = c.Add(layer, "StepQuery", additive ? (long)B * A : 0, "Step: W_s·s"),
            StepTanh = c.Add(layer, "StepTanh", additive ? (long)Ts * A : 0, "Step: one row's tanh(W_s·s + W_h·h_j + b_h)"),
            StepWeights = c.Add(layer, "StepWeights", (long)B * Ts, "Step: attention weights, [batch, source time]"),
            StepContext = c.Add(layer, "StepContext", (long)B * E, "Step: contexts"),
            StepCache = c.Add(layer, "StepCache", (long)B * 4 * H, "Step: gates"),
            StepNext = c.Add(layer, "StepNext", (long)B * H, "Step: the new state"),
            StepOutput = c.Add(layer, "StepOutput", (long)B * d.Output, "Step: outputs"),
        };
        return new LayerBuffers(regions.Output, regions.OutputGradient) { Regions = regions };
    }

    protected override string Describe(AttentionDecoderPlan d) => DescribeDecoder(d);

    internal static string DescribeDecoder(AttentionDecoderPlan d) =>
        $"{(d.Lstm ? "LSTM" : "GRU")} decoder({(d.Vocabulary > 0 ? $"tokens {d.Vocabulary} → {d.Input}" : d.Input.ToString(System.Globalization.CultureInfo.InvariantCulture))} + context {d.Memory} → {d.Hidden}, "
        + $"{ScoreName(d)} attention{(d.Score == AttentionScore.Additive ? " " + d.Attention : "")}, out {d.Hidden + d.Memory} → {d.Output})";

    /// <summary>The state block, the attention weights of the sequence pass and of the last step, and the sizes.</summary>
    protected override string ViewArguments(ModelPlan plan, AttentionDecoderPlan d, int index)
    {
        DecoderBuffers r = Regions<DecoderBuffers>(plan.Sequence.Layers[index]);
        return $"_arena, {ArrayIndex("Layout." + d.StateBlock)}, {ArrayIndex("Layout." + r.Weights)}, {(r.WeightsGradient is null ? "-1" : ArrayIndex("Layout." + r.WeightsGradient))}, "
            + $"{ArrayIndex("Layout." + r.StepWeights)}, BatchSize, {d.Hidden}, TargetLength, SequenceLength, {(d.Lstm ? "true" : "false")}";
    }

    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        switch (part)
        {
            case ModelPart.Constants:
                Decoders.WriteConstants(w, plan);
                break;
            case ModelPart.EntryPoints:
                WriteDecoderEntryPoints(w, plan);
                break;
            case ModelPart.Passes:
                WriteDecodeCore(w, plan);
                if (!plan.InferenceOnly) WriteDecodeBackwardCore(w, plan);
                WriteDecodeStepCore(w, plan);
                break;
            case ModelPart.Checks:
                Decoders.WriteChecks(w, plan);
                break;
            case ModelPart.StepPasses: // it has no StepCore
            case ModelPart.Construction: // it computes nothing once
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(part), part, "Not a part of the model class.");
        }
    }

    /// <summary>The states and the outputs over the target steps of the last <c>Forward</c>.</summary>
    public override void WriteNonFiniteScans(SourceWriter w, ModelPlan plan, int index)
    {
        var (d, r) = Decoder(plan);
        Scan(w, $"{r.Hiddens} + {plan.BatchSize * d.Hidden}", "_targetLength", d.Hidden, $"{d.Property} states", plan.BatchSize);
        Scan(w, r.Output, "_targetLength", d.Output, $"{d.Property} output", plan.BatchSize);
    }

    internal static string ScoreName(AttentionDecoderPlan d) => d.Score switch
    {
        AttentionScore.Additive => "additive",
        AttentionScore.Dot => "dot",
        AttentionScore.General => "general",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d.Score, "Not an attention score (the planner refuses it)."),
    };

    /// <summary>
    /// The index of the recurrent layer whose final state starts the decoder at <paramref name="index"/>: the last one
    /// before it (the planner checks there is one).
    /// </summary>
    internal static int Bridge(ModelPlan plan, int index)
    {
        for (int i = index - 1; i >= 0; i--)
        {
            if (plan.Layers[i] is RecurrentPlan) return i;
        }
        throw new InvalidOperationException("An attention decoder needs a recurrent layer before it (the planner checks this).");
    }

    /// <summary>The decoder that starts from the final state of <paramref name="layer"/>, if one does: its ∂s_0 goes back into that state.</summary>
    internal static (AttentionDecoderPlan Decoder, int Index)? StartedFrom(ModelPlan plan, RecurrentPlan layer)
    {
        int last = plan.Layers.Count - 1;
        return plan.Layers[last] is AttentionDecoderPlan decoder && plan.Layers[Bridge(plan, last)] == layer ? (decoder, last) : null;
    }

    /// <summary>Offset of decoder state <paramref name="k"/> (0 s_0, 1 s_n, 2 ∂s_0, 3 ∂s_n, 4 c_0, 5 c_n, 6 ∂c_0, 7 ∂c_n).</summary>
    internal static string DecoderState(ModelPlan plan, AttentionDecoderPlan d, int k) => Offset("Layout." + d.StateBlock, k * plan.BatchSize * d.Hidden);
}
