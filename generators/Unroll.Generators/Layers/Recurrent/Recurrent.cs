using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>The cell of a recurrent layer: PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c> or <c>nn.GRU</c>.</summary>
internal enum RecurrentCell
{
    Rnn,
    Lstm,
    Gru,
}

/// <summary>A simple RNN's nonlinearity (the values of <c>Unroll.Nonlinearity</c>; an attribute may hold another int, which the RNN's handler reports).</summary>
internal enum Nonlinearity
{
    Tanh,
    Relu,
}

/// <summary><c>[Rnn]</c>, <c>[Lstm]</c> or <c>[Gru]</c> as written.</summary>
internal sealed record RecurrentSpec(RecurrentCell Cell, int InputSize, int HiddenSize, int NumLayers, bool Bidirectional, bool ReturnSequences, Nonlinearity Nonlinearity, double Dropout)
    : LayerSpec
{
    public override string Kind => Cell.ToString();

    public int Directions => Bidirectional ? 2 : 1;
}

/// <summary>
/// A recurrent layer's plan: its cell, hidden size per direction, stacked layers and directions, what it returns, the
/// dropout between stacked layers, and (<see cref="StateBlock"/>) the <c>Layout</c> constant of its initial and final states.
/// </summary>
internal sealed record RecurrentPlan(RecurrentCell Cell, int Hidden, int NumLayers, int Directions, bool ReturnSequences, Nonlinearity Nonlinearity, double Dropout)
    : LayerPlan
{
    public override string Kind => Cell.ToString();

    /// <summary>The <c>Layout</c> constant of its state block (h_0, h_n, their gradients; LSTM: and c's).</summary>
    public string StateBlock { get; init; } = "";

    /// <summary>Gate rows per unit: 4 (LSTM), 3 (GRU) or 1 (RNN).</summary>
    public int Gates => RecurrentHandler.Gates(Cell);

    /// <summary>The input width of stacked layer <paramref name="l"/>: the layer's input, or the states of the layer below.</summary>
    public int InputOf(int l) => l == 0 ? In : Directions * Hidden;

    /// <summary>The index of the first of the four parameters (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>) of one stacked layer and direction.</summary>
    public int FirstParameter(int l, int d) => (l * Directions + d) * 4;

    /// <summary>Floats a cell keeps per row and step: the LSTM's activated gates, the GRU's r, z, n and W_hn·h + b_hn, the RNN's pre-activations.</summary>
    public int CacheWidth => Cell == RecurrentCell.Rnn ? Hidden : 4 * Hidden;
}

/// <summary>
/// A recurrent layer's regions in one pass: per stacked layer its states h_t <c>[time, batch, directions·H]</c> (and their
/// gradients), per stacked layer and direction what its cell keeps (<see cref="CellBuffers"/>), and with dropout between
/// stacked layers the masked states each next layer reads.
/// </summary>
internal sealed record RecurrentBuffers(EquatableArray<string> Sequences, EquatableArray<string> SequenceGradients, EquatableArray<CellBuffers> Cells) : LayerRegions
{
    /// <summary>Recurrent dropout: per stacked layer but the last, its masked states (the next layer's input), sequence pass only.</summary>
    public EquatableArray<string> Dropped { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Recurrent dropout: the masks that made <see cref="Dropped"/>.</summary>
    public EquatableArray<string> DroppedMasks { get; init; } = EquatableArray<string>.Empty;
}

/// <summary>
/// One stacked layer and direction of a recurrent layer: its parameter constants and cache buffers.
/// <c>Cache</c> is <c>[time, batch, 4H]</c> (LSTM: activated gates i, f, g, o; GRU: r, z, n, W_hn·h + b_hn)
/// or <c>[time, batch, H]</c> (RNN: pre-activations); a fused streaming step has none. <c>Cells</c> is the LSTM
/// cell state <c>[time, batch, H]</c>.
/// </summary>
internal sealed record CellBuffers(int Layer, int Direction, string? Cache, string? Cells)
{
    /// <summary>Streaming LSTM and GRU under four rows: the weights and biases packed for <c>Cells.LstmStep</c> / <c>Cells.GruStep</c>.</summary>
    public string? Fused { get; init; }

    /// <summary>
    /// The fused step is unrolled (<c>Cells.LstmStepUnrolled</c> / <c>GruStepUnrolled</c>, inlined with the sizes as
    /// literals into a method of its own): float32, and under <see cref="UnrolledStepMultiplyAdds"/> a step, too
    /// small to split across the cores, so the step's fixed work (calls, an argument block, prefetches, the check for a
    /// split) is what there is to save.
    /// </summary>
    public bool Unrolled { get; init; }

    /// <summary>
    /// Streaming without <see cref="Fused"/>: the input weights packed for the products, <c>W_ihᵀ [in, G·H]</c>, and (LSTM,
    /// RNN) the folded bias <c>b_ih + b_hh</c> (<see cref="PackedBias"/>); repacked when the parameters may have changed.
    /// </summary>
    public string? PackedIh { get; init; }

    /// <summary><c>W_hhᵀ [H, G·H]</c> in column panels: the recurrent products of the sequence passes (and of the streaming steps without <see cref="Fused"/>).</summary>
    public string? PackedHh { get; init; }

    /// <summary>Streaming LSTM and RNN without <see cref="Fused"/>: <c>b_ih + b_hh</c>.</summary>
    public string? PackedBias { get; init; }

    /// <summary>
    /// The sequence passes read the packed <c>W_hhᵀ</c> too: <c>W_hh</c> as it was packed, so that a sequence pass
    /// notices any change to the parameters (however they were written) and packs again.
    /// </summary>
    public string? PackedFrom { get; init; }
}

/// <summary>
/// <c>[Rnn]</c>, <c>[Lstm]</c> and <c>[Gru]</c> (<c>inputSize, hiddenSize, NumLayers, Bidirectional, Dropout,
/// ReturnSequences</c>; <c>Nonlinearity</c> for the RNN) as PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c>, <c>nn.GRU</c>:
/// stacked layers and directions, each a cell over the time steps, its states in the layer's state block; a
/// streaming step fused (LSTM, GRU) or unrolled where the planner chose it.
/// </summary>
internal abstract partial class RecurrentHandler : LayerHandler<RecurrentSpec, RecurrentPlan>
{
    private readonly RecurrentCell _cell;

    protected RecurrentHandler(RecurrentCell cell) => _cell = cell;

    public override string Kind => _cell.ToString();

    public override string? NeedsTimeAxis => "Recurrent layer";

    public override bool PacksStepWeights => true;

    /// <summary>Two sizes; <c>NumLayers</c>, <c>Bidirectional</c>, <c>Dropout</c>, <c>ReturnSequences</c>, and the RNN's <c>Nonlinearity</c>.</summary>
    protected override RecurrentSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(2) is { } sizes
            ? new RecurrentSpec(_cell, sizes[0], sizes[1], arguments.Named("NumLayers", 1), arguments.Named("Bidirectional", false),
                arguments.Named("ReturnSequences", true), _cell == RecurrentCell.Rnn ? (Nonlinearity)arguments.Named("Nonlinearity", 0) : Nonlinearity.Tanh,
                arguments.Named("Dropout", 0.0))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(RecurrentSpec layer) =>
        new[] { ("inputSize", layer.InputSize), ("hiddenSize", layer.HiddenSize), ("NumLayers", layer.NumLayers) };

    protected override int? InputWidth(RecurrentSpec layer) => layer.InputSize;

    /// <summary>Both directions' states side by side.</summary>
    protected override int OutputWidth(RecurrentSpec layer, int inputWidth) => layer.Directions * layer.HiddenSize;

    protected override long RecurrentPasses(RecurrentSpec layer) => layer.NumLayers > 0 ? (long)layer.NumLayers * layer.Directions : 0;

    /// <summary>Only the last step when it does not return sequences.</summary>
    protected override bool KeepsTimeAxis(RecurrentSpec layer) => layer.ReturnSequences;

    /// <summary>A bidirectional layer's reverse direction starts from the sequence's end: it does not stream.</summary>
    protected override bool CanStream(RecurrentPlan layer) => layer.Directions == 1;

    protected override RecurrentPlan Plan(RecurrentSpec layer) =>
        new(_cell, layer.HiddenSize, layer.NumLayers, layer.Directions, layer.ReturnSequences, layer.Nonlinearity, layer.Dropout);

    protected override void CheckOptions(RecurrentSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Cell == RecurrentCell.Rnn && layer.Nonlinearity is not (Nonlinearity.Tanh or Nonlinearity.Relu))
            Invalid(layer, "Nonlinearity", (int)layer.Nonlinearity, "Nonlinearity.Tanh or Nonlinearity.Relu", diagnostics);
        CheckProbability(layer, "Dropout", layer.Dropout, diagnostics);
    }

    protected override void AddParameters(RecurrentSpec layer, int inputWidth, ParameterAdder add)
    {
        int directions = layer.Directions, gates = Gates(layer.Cell) * layer.HiddenSize;
        double k = 1 / System.Math.Sqrt(layer.HiddenSize);
        for (int l = 0; l < layer.NumLayers; l++)
        {
            for (int d = 0; d < directions; d++)
            {
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                int inK = l == 0 ? layer.InputSize : directions * layer.HiddenSize;
                add("weight_ih" + suffix, new[] { gates, inK }, InitKind.Uniform, k);
                add("weight_hh" + suffix, new[] { gates, layer.HiddenSize }, InitKind.Uniform, k);
                add("bias_ih" + suffix, new[] { gates }, InitKind.Uniform, k);
                add("bias_hh" + suffix, new[] { gates }, InitKind.Uniform, k);
            }
        }
    }

    /// <summary>A recurrent layer's regions in a pass.</summary>
    private static RecurrentBuffers R(LayerBuffers buffers) => Regions<RecurrentBuffers>(buffers);

    /// <summary>Initial and final states with their gradients (see the runtime's layer views): one block per layer.</summary>
    protected override RecurrentPlan AddStates(RecurrentPlan layer, Planner.ArenaBuilder arena, int batch)
    {
        long stateLength = (long)layer.NumLayers * layer.Directions * batch * layer.Hidden;
        int blocks = layer.Cell == RecurrentCell.Lstm ? 8 : 4;
        string name = arena.Add(layer.Property + "_States", stateLength * blocks,
            $"h_0, h_n, ∂h_0, ∂h_n{(blocks == 8 ? ", c_0, c_n, ∂c_0, ∂c_n" : "")}, each [{layer.NumLayers * layer.Directions}, {batch}, {layer.Hidden}]");
        return layer with { StateBlock = name };
    }

    /// <summary>
    /// The recurrent product of one GRU step, and backpropagation through time's gradients (of the whole sequence's gates,
    /// and of one step's states); a model for inference keeps one state block for <c>ReorderState</c>.
    /// </summary>
    protected override IEnumerable<(string Name, long Length, string Comment)> Scratch(RecurrentPlan layer, int steps, int batch, bool training)
    {
        long H = layer.Hidden, B = batch;
        bool gru = layer.Cell == RecurrentCell.Gru, lstm = layer.Cell == RecurrentCell.Lstm;
        yield return ("Scratch_Gh", gru ? B * 3 * H : 0, "GRU: W_hh·h_{t-1} + b_hh of one step, [batch, 3H]");
        if (!training)
        {
            yield return ("Scratch_dh", B * H, "ReorderState's scratch: one state block, [batch, H]");
            yield break;
        }
        yield return ("Scratch_dGates", steps * B * layer.Gates * H, "BPTT: gate pre-activation gradients of a whole sequence (GRU: input side)");
        yield return ("Scratch_dGh", gru ? steps * B * 3 * H : 0, "BPTT, GRU: recurrent-side gate gradients of a whole sequence");
        yield return ("Scratch_dh", B * H, "BPTT: ∂h carried to the previous step, [batch, H] (and ReorderState's scratch)");
        yield return ("Scratch_dc", lstm ? B * H : 0, "BPTT, LSTM: ∂c carried to the previous step, [batch, H]");
        yield return ("Scratch_HeldDh", B * H, "BPTT, rows past their length: the carried ∂h they pass on");
        yield return ("Scratch_HeldDc", lstm ? B * H : 0, "BPTT, rows past their length: the carried ∂c they pass on");
    }

    /// <summary>
    /// Per stacked layer its states h_t (and their gradients); per layer and direction what the cell keeps (the gate cache,
    /// LSTM cell states) and, streaming, its packed weights (a fused step's, or the products' panels); dropout copies
    /// between stacked layers; and the last step's states when the layer returns only those.
    /// </summary>
    protected override LayerBuffers AddBuffers(RecurrentPlan layer, BufferContext c)
    {
        ModelSpec spec = c.Spec;
        int B = c.B;
        bool gradients = c.Gradients, streaming = c.Streaming;
        long rows = c.RowsOf(layer);
        int H = layer.Hidden, D = layer.Directions;
        var sequences = new List<string>();
        var sequenceGradients = new List<string>();
        var cells = new List<CellBuffers>();
        for (int l = 0; l < layer.NumLayers; l++)
        {
            sequences.Add(c.Add(layer, $"L{l}_Sequence", rows * D * H, $"{layer.Property} layer {l} states h_t, {c.Rows(D * H)}"));
            if (gradients) sequenceGradients.Add(c.Add(layer, $"L{l}_SequenceGradient", rows * D * H, $"∂ of {layer.Property} layer {l} states"));
            for (int d = 0; d < D; d++)
            {
                string tag = $"{c.Prefix}{layer.Property}_L{l}{(d == 1 ? "R" : "")}";
                int cacheWidth = layer.CacheWidth;
                string cacheWhat = layer.Cell switch
                {
                    RecurrentCell.Lstm => "activated gates i, f, g, o",
                    RecurrentCell.Gru => "r, z, n, W_hn·h + b_hn",
                    _ => "pre-activations",
                };
                // A streaming LSTM or GRU step over fewer than four rows is one fused call that keeps its gates in registers:
                // no cache. Four rows and more share each weight load in the products' register blocks instead.
                bool fused = streaming && layer.Cell != RecurrentCell.Rnn && B < 4;
                string? cache = fused ? null : c.Arena.Add(tag + "_Cache", rows * cacheWidth, $"{cacheWhat}, {c.Rows(cacheWidth)}");
                string? cellState = layer.Cell == RecurrentCell.Lstm ? c.Arena.Add(tag + "_Cells", rows * H, $"cell states c_t, {c.Rows(H)}") : null;
                var cellBuffers = new CellBuffers(l, d, cache, cellState);
                if (streaming)
                {
                    int inK = layer.InputOf(l), G = layer.Gates * H;
                    cellBuffers = cellBuffers with
                    {
                        Unrolled = fused && D == 1 && spec.WeightPrecision == StepPrecision.Float32 && (long)B * G * (inK + H) < UnrolledStepMultiplyAdds,
                        Fused = fused ? c.Arena.Add(tag + "_Fused", FusedStepSize(layer.Cell, inK, H, spec.WeightPrecision), FusedStepWhat(spec.WeightPrecision)) : null,
                        PackedIh = fused ? null : c.Arena.Add(tag + "_WihT", (long)inK * G, $"W_ihᵀ in column panels for the matrix-vector products, {inK} x {G}"),
                        PackedHh = c.Arena.Add(tag + "_WhhT", (long)H * G, $"W_hhᵀ in column panels{(fused ? " (the sequence passes' recurrent products)" : "")}, {H} x {G}"),
                        PackedBias = fused || layer.Cell == RecurrentCell.Gru ? null : c.Arena.Add(tag + "_Bias", G, "b_ih + b_hh"),
                        PackedFrom = c.Arena.Add(tag + "_PackedFrom", (long)G * H, "W_hh as last packed (the sequence passes compare it)"),
                    };
                }
                cells.Add(cellBuffers);
            }
        }
        // Dropout between stacked layers (training only, so not in the streaming buffers): layer l + 1 reads a masked copy of layer l.
        var dropped = new List<string>();
        var droppedMasks = new List<string>();
        if (gradients && layer.Dropout > 0)
        {
            for (int l = 0; l < layer.NumLayers - 1; l++)
            {
                dropped.Add(c.Add(layer, $"L{l}_Dropped", rows * D * H, $"{layer.Property} layer {l} states after dropout, the input of layer {l + 1}"));
                droppedMasks.Add(c.Add(layer, $"L{l}_Mask", rows * D * H, $"{layer.Property} layer {l} dropout mask"));
            }
        }
        string outputName = sequences[sequences.Count - 1];
        string? outputGradientName = gradients ? sequenceGradients[sequenceGradients.Count - 1] : null;
        if (!layer.ReturnSequences)
        {
            outputName = c.Add(layer, $"Last", (long)B * D * H, $"{layer.Property} states after the last step, [batch, {D * H}]");
            outputGradientName = gradients ? c.Add(layer, $"LastGradient", (long)B * D * H, $"∂{layer.Property} last states") : null;
        }
        return new LayerBuffers(outputName, outputGradientName)
        {
            Regions = new RecurrentBuffers(sequences.ToEquatableArray(), sequenceGradients.ToEquatableArray(), cells.ToEquatableArray())
            {
                Dropped = dropped.ToEquatableArray(),
                DroppedMasks = droppedMasks.ToEquatableArray(),
            },
        };
    }

    public override bool HasRunningState(ModelPlan plan, int index) => true;

    /// <summary>Frozen or not, its backward pass writes the initial states' gradients (<c>∂h_0</c>, <c>∂c_0</c>), which callers read.</summary>
    public override bool WantsOutputGradient(LayerPlan layer) => true;

    /// <summary>Its streaming steps read packed weights in the model's precision when they are fused.</summary>
    public override bool UsesWeightPrecision(ModelPlan plan, int index) => plan.Step?.Layers[index].Regions is RecurrentBuffers step && step.Cells.Any(c => c.Fused is not null);

    /// <summary>Each stacked layer's states, then its output when it is not the last of them (the last step's states).</summary>
    public override void WriteNonFiniteScans(SourceWriter w, ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        LayerBuffers buffers = plan.Sequence.Layers[index];
        int B = plan.BatchSize;
        EquatableArray<string> sequences = R(buffers).Sequences;
        for (int l = 0; l < sequences.Count; l++)
        {
            string label = sequences.Count > 1 ? $"{layer.Property} layer {l} states" : $"{layer.Property} states";
            Scan(w, sequences[l], LengthAt(plan, index, "_length"), layer.Out, label, B);
        }
        if (sequences.Contains(buffers.Output)) return;
        // After a layer that returns only its last step, outputs are [batch, features]: one step.
        bool sequence = layer.SequenceOutput;
        Scan(w, buffers.Output, sequence ? LengthAt(plan, index + 1, "_length") : "1", layer.Out, sequence ? $"{layer.Property} output" : $"{layer.Property} output (last step)", B);
    }

    /// <summary>The remark on the unrolled steps, written by the first layer that has some, for all of them.</summary>
    public override IEnumerable<string> StepNotes(ModelPlan plan, int index)
    {
        if (plan.Step is null) return Array.Empty<string>();
        var unrolled = plan.Layers.Select((layer, i) => (layer, regions: plan.Step.Layers[i].Regions as RecurrentBuffers))
            .Where(x => x.regions is not null && x.regions.Cells.Any(c => c.Unrolled)).Select(x => (x.layer, text: $"{x.layer.Property}'s {KindName((RecurrentPlan)x.layer)}")).ToList();
        if (unrolled.Count == 0 || unrolled[0].layer != plan.Layers[index]) return Array.Empty<string>();
        return new[]
        {
            $"<para>Step unrolls {string.Join(" and ", unrolled.Select(u => u.text))}: float32 steps of fewer than {N(UnrolledStepMultiplyAdds)} multiply-adds, too few to share",
            "between the cores, each inlined into a method of its own with its sizes as literals (the shared fused step's sums, bit for bit).</para>",
        };
    }

    /// <summary>h_n ← h_0 (and c_n ← c_0) for every stacked layer and direction at once.</summary>
    protected override void WriteResetState(SourceWriter w, ModelPlan plan, RecurrentPlan layer, int index)
    {
        int n = layer.NumLayers * layer.Directions * plan.BatchSize * layer.Hidden;
        w.Line($"a.Slice({State(plan, layer, 0, 0, 0)}, {n}).CopyTo(a.Slice({State(plan, layer, 1, 0, 0)}, {n})); // {layer.Property}: h_n ← h_0");
        if (layer.Cell == RecurrentCell.Lstm)
            w.Line($"a.Slice({State(plan, layer, 4, 0, 0)}, {n}).CopyTo(a.Slice({State(plan, layer, 5, 0, 0)}, {n})); // {layer.Property}: c_n ← c_0");
    }

    /// <summary>h_n (and c_n) of every stacked layer and direction, gathered by row through a block of scratch.</summary>
    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, RecurrentPlan layer, int index)
    {
        int slices = layer.NumLayers * layer.Directions, bh = plan.BatchSize * layer.Hidden;
        foreach (int k in layer.Cell == RecurrentCell.Lstm ? new[] { 1, 5 } : new[] { 1 })
        {
            w.Line($"// {layer.Property}: {(k == 1 ? "h_n" : "c_n")}, {slices} × [{plan.BatchSize}, {layer.Hidden}]");
            w.Line($"for (int s = 0; s < {slices}; s++) {Blas}.GatherRows(a.Slice({State(plan, layer, k, 0, 0)} + s * {bh}, {bh}), sources, {layer.Hidden}, a.Slice(Layout.Scratch_dh, {bh}));");
        }
    }

    protected override string Describe(RecurrentPlan layer) =>
        $"{KindName(layer)}({layer.In} → {layer.Hidden}"
        + (layer.NumLayers > 1 ? $", {layer.NumLayers} layers" : "")
        + (layer.Directions == 2 ? ", bidirectional" : "")
        + (layer.Dropout > 0 && layer.NumLayers > 1 ? $", dropout {layer.Dropout.ToString("R", CultureInfo.InvariantCulture)} between layers" : "")
        + (layer.ReturnSequences ? "" : ", last step only") + ")";

    /// <summary>The cell's name in comments: LSTM, GRU, RNN-tanh or RNN-ReLU.</summary>
    public static string KindName(RecurrentPlan layer) => layer.Cell switch
    {
        RecurrentCell.Lstm => "LSTM",
        RecurrentCell.Gru => "GRU",
        _ => layer.Nonlinearity == Nonlinearity.Relu ? "RNN-ReLU" : "RNN-tanh",
    };

    protected override string ViewArguments(ModelPlan plan, RecurrentPlan layer, int index)
    {
        return $"_arena, {ArrayIndex("Layout." + layer.StateBlock)}, {layer.NumLayers}, {layer.Directions}, BatchSize, {layer.Hidden}";
    }
}

/// <summary><c>[Rnn(inputSize, hiddenSize)]</c> as <c>nn.RNN</c>.</summary>
internal sealed class RnnHandler() : RecurrentHandler(RecurrentCell.Rnn);

/// <summary><c>[Lstm(inputSize, hiddenSize)]</c> as <c>nn.LSTM</c>.</summary>
internal sealed class LstmHandler() : RecurrentHandler(RecurrentCell.Lstm);

/// <summary><c>[Gru(inputSize, hiddenSize)]</c> as <c>nn.GRU</c>.</summary>
internal sealed class GruHandler() : RecurrentHandler(RecurrentCell.Gru);
