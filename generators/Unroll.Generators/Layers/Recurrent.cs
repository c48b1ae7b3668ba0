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
    public int Gates => Planner.Gates(Cell);

    /// <summary>The input width of stacked layer <paramref name="l"/>: the layer's input, or the states of the layer below.</summary>
    public int InputOf(int l) => l == 0 ? In : Directions * Hidden;

    /// <summary>The index of the first of the four parameters (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>) of one stacked layer and direction.</summary>
    public int FirstParameter(int l, int d) => (l * Directions + d) * 4;

    /// <summary>Floats a cell keeps per row and step: the LSTM's activated gates, the GRU's r, z, n and W_hn·h + b_hn, the RNN's pre-activations.</summary>
    public int CacheWidth => Cell == RecurrentCell.Rnn ? Hidden : 4 * Hidden;
}

/// <summary>
/// <c>[Rnn]</c>, <c>[Lstm]</c> and <c>[Gru]</c> (<c>inputSize, hiddenSize, NumLayers, Bidirectional, Dropout,
/// ReturnSequences</c>; <c>Nonlinearity</c> for the RNN) as PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c>, <c>nn.GRU</c>:
/// stacked layers and directions, each a cell over the time steps, its states in the layer's state block; a
/// streaming step fused (LSTM, GRU) or unrolled where the planner chose it.
/// </summary>
internal abstract class RecurrentHandler : LayerHandler<RecurrentSpec, RecurrentPlan>
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
        int directions = layer.Directions, gates = Planner.Gates(layer.Cell) * layer.HiddenSize;
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
        yield return ("Scratch_dGates", steps * B * Planner.Gates(layer.Cell) * H, "BPTT: gate pre-activation gradients of a whole sequence (GRU: input side)");
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
                int cacheWidth = layer.Cell == RecurrentCell.Rnn ? H : 4 * H;
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
                    int inK = l == 0 ? layer.In : D * H, G = Planner.Gates(layer.Cell) * H;
                    cellBuffers = cellBuffers with
                    {
                        Unrolled = fused && D == 1 && spec.WeightPrecision == StepPrecision.Float32 && (long)B * G * (inK + H) < Planner.UnrolledStepMultiplyAdds,
                        Fused = fused ? c.Arena.Add(tag + "_Fused", Planner.FusedStepSize(layer.Cell, inK, H, spec.WeightPrecision), Planner.FusedStepWhat(spec.WeightPrecision)) : null,
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
        return new LayerBuffers(outputName, outputGradientName, sequences.ToEquatableArray(), sequenceGradients.ToEquatableArray(), cells.ToEquatableArray())
        {
            Dropped = dropped.ToEquatableArray(),
            DroppedMasks = droppedMasks.ToEquatableArray(),
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

    protected override void WriteForward(LayerPass pass, RecurrentPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        string input = pass.Input;
        bool streaming = pass.Streaming;
        int B = plan.BatchSize, i = pass.Index;
        var unrolled = pass.Unrolled;
        for (int l = 0; l < layer.NumLayers; l++)
        {
            for (int d = 0; d < layer.Directions; d++)
            {
                if (streaming && buffers.Cells[l * layer.Directions + d].Unrolled)
                {
                    int inK = l == 0 ? layer.In : layer.Directions * layer.Hidden;
                    w.Line($"// {layer.Property}, layer {l}: {KindName(layer)} {inK} → {layer.Hidden}, one unrolled step (a method of its own, below)");
                    w.Line($"{UnrolledStepName(layer, l)}();");
                    unrolled.Add((i, l, LayerInput(buffers, input, l)));
                    continue;
                }
                WriteCellForward(w, plan, i, buffers, l, d, LayerInput(buffers, input, l), streaming);
            }
            if (l < buffers.Dropped.Count)
            {
                string n = $"{layer.Length} * {B * layer.Directions * layer.Hidden}";
                w.Line($"// dropout {F(layer.Dropout)} on the states of {layer.Property} layer {l} before layer {l + 1} reads them (training only)");
                w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{buffers.Sequences[l]}, {n}), a.Slice(Layout.{buffers.DroppedMasks[l]}, {n}), a.Slice(Layout.{buffers.Dropped[l]}, {n}), {F(layer.Dropout)}, DropoutGenerator);");
                w.Line($"else a.Slice(Layout.{buffers.Sequences[l]}, {n}).CopyTo(a.Slice(Layout.{buffers.Dropped[l]}, {n}));");
            }
        }
        if (!layer.ReturnSequences)
        {
            int H = layer.Hidden, DH = layer.Directions * H;
            string top = buffers.Sequences[buffers.Sequences.Count - 1];
            string lastStep = streaming ? "" : $" + ({layer.Length} - 1) * {B * DH}";
            w.Line($"// {layer.Property} returns only its last step: the forward state after the last step{(layer.Directions == 2 ? " and the reverse state after the first" : "")}");
            w.Line($"{Blas}.CopyRows(a.Slice(Layout.{top}{lastStep}), {DH}, a.Slice(Layout.{buffers.Output}), {DH}, {B}, {H});");
            if (layer.Directions == 2)
                w.Line($"{Blas}.CopyRows(a.Slice(Layout.{top} + {H}), {DH}, a.Slice(Layout.{buffers.Output} + {H}), {DH}, {B}, {H});");
        }
    }

    protected override void WriteBackward(LayerPass pass, RecurrentPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        string input = pass.Input, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        int B = plan.BatchSize;
        int H = layer.Hidden, DH = layer.Directions * H;
        string topGradient = buffers.SequenceGradients[buffers.SequenceGradients.Count - 1];
        if (!layer.ReturnSequences)
        {
            w.Line($"// {layer.Property} returned only its last step: its gradient enters there, every other step gets none from above");
            w.Line($"a.Slice(Layout.{topGradient}, {layer.Length} * {B * DH}).Clear();");
            w.Line($"{Blas}.CopyRows(a.Slice(Layout.{buffers.OutputGradient}), {DH}, a.Slice(Layout.{topGradient} + ({layer.Length} - 1) * {B * DH}), {DH}, {B}, {H});");
            if (layer.Directions == 2)
                w.Line($"{Blas}.CopyRows(a.Slice(Layout.{buffers.OutputGradient} + {H}), {DH}, a.Slice(Layout.{topGradient} + {H}), {DH}, {B}, {H});");
        }
        for (int l = layer.NumLayers - 1; l >= 0; l--)
        {
            if (l < buffers.Dropped.Count)
            {
                w.Line($"// ∂ of {layer.Property} layer {l}'s states through its dropout mask");
                w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{buffers.SequenceGradients[l]}, {layer.Length} * {B * DH}), a.Slice(Layout.{buffers.DroppedMasks[l]}, {layer.Length} * {B * DH}), a.Slice(Layout.{buffers.SequenceGradients[l]}, {layer.Length} * {B * DH}));");
            }
            string x = LayerInput(buffers, input, l);
            string? dx = l == 0 ? inputGradient : buffers.SequenceGradients[l - 1];
            string dxGuard = l == 0 ? guard : "";
            int inK = l == 0 ? layer.In : DH;
            if (dx is not null)
            {
                w.Line($"// ∂ of the input of {layer.Property} layer {l}{(layer.Directions == 2 ? ": both directions add into it" : ", accumulated below")}");
                w.Line($"{dxGuard}a.Slice(Layout.{dx}, {layer.Length} * {B * inK}).Clear();");
            }
            for (int d = 0; d < layer.Directions; d++)
            {
                WriteCellBackward(w, plan, layer, buffers, l, d, x, dx is null ? null : (dx, dxGuard));
            }
        }
    }

    /// <summary>Packs <c>W_hhᵀ</c> into column panels and notes what was packed (the sequence passes compare it).</summary>
    private static void WritePackRecurrent(SourceWriter w, CellBuffers cell, string wHh, int H, int G)
    {
        w.Line($"{Blas}.PackPanels(p.Slice(Layout.{wHh}, {G * H}), {H}, a.Slice(Layout.{cell.PackedHh}, {H * G}), {G}, {H});");
        w.Line($"p.Slice(Layout.{wHh}, {G * H}).CopyTo(a.Slice(Layout.{cell.PackedFrom}, {G * H}));");
    }

    /// <summary>
    /// <c>PackStepWeights</c>: an LSTM's or GRU's weights and biases in the blocks of its fused step
    /// (<see cref="Unroll.Kernels.Cells.PackLstmStep"/>, <see cref="Unroll.Kernels.Cells.PackGruStep"/>; batches under four
    /// rows), otherwise as transposed column panels (<see cref="Unroll.Kernels.Blas.PackPanels"/>) with the LSTM and RNN
    /// biases folded. Then
    /// <c>PackSequenceWeights</c> and <c>PackedWeightsCurrent</c>: the <c>W_hhᵀ</c> panels of the sequence passes.
    /// </summary>
    public static void WritePackStepWeights(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>Packs the recurrent weights for the streaming steps. Runs when the parameters may have changed.</summary>");
        w.Open("private void PackStepWeights()");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        foreach (var (layer, cell, inK, wIh, wHh, bIh, bHh) in PackedCells(plan))
        {
            int H = layer.Hidden, G = Planner.Gates(layer.Cell) * H;
            if (cell.Fused is not null)
            {
                string kind = layer.Cell == RecurrentCell.Lstm ? "Lstm" : "Gru";
                w.Line(plan.WeightPrecision == StepPrecision.Float32
                    ? $"// {layer.Property}, layer {cell.Layer}: [W_ih W_hh]ᵀ and the biases, in blocks of one vector of units"
                    : $"// {layer.Property}, layer {cell.Layer}: [W_ih W_hh]ᵀ rounded to {plan.WeightPrecision}{(plan.WeightPrecision == StepPrecision.Int8 ? " with a float32 scale per row" : "")}, and the biases (float32), in blocks of one vector of units");
                w.Line($"{Cells}.Pack{kind}Step(p.Slice(Layout.{wIh}, {G * inK}), p.Slice(Layout.{wHh}, {G * H}), p.Slice(Layout.{bIh}, {G}), p.Slice(Layout.{bHh}, {G}), a.Slice(Layout.{cell.Fused}, {Planner.FusedStepSize(layer.Cell, inK, H, plan.WeightPrecision)}), {inK}, {H}{PrecisionArgument(plan)});");
                continue;
            }
            w.Line($"// {layer.Property}, layer {cell.Layer}: W_ihᵀ [{inK}, {G}], W_hhᵀ [{H}, {G}]{(cell.PackedBias is null ? "" : ", b_ih + b_hh")}");
            w.Line($"{Blas}.PackPanels(p.Slice(Layout.{wIh}, {G * inK}), {inK}, a.Slice(Layout.{cell.PackedIh}, {inK * G}), {G}, {inK});");
            WritePackRecurrent(w, cell, wHh, H, G);
            if (cell.PackedBias is null) continue;
            w.Line($"p.Slice(Layout.{bIh}, {G}).CopyTo(a.Slice(Layout.{cell.PackedBias}, {G}));");
            w.Line($"{Blas}.AddRows(p.Slice(Layout.{bHh}, {G}), {G}, a.Slice(Layout.{cell.PackedBias}, {G}), {G}, 1, {G});");
        }
        w.Line("a[Layout.Step_WeightsStale] = 0f;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Packs every W_hhᵀ for the recurrent products of the sequence passes, and notes what it packed.</summary>");
        w.Open("private void PackSequenceWeights()");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        foreach (var (layer, cell, _, _, wHh, _, _) in PackedCells(plan))
        {
            int H = layer.Hidden, G = Planner.Gates(layer.Cell) * H;
            w.Line($"// {layer.Property}, layer {cell.Layer}{(cell.Direction == 1 ? ", reverse" : "")}: W_hhᵀ [{H}, {G}]");
            WritePackRecurrent(w, cell, wHh, H, G);
        }
        w.Close();
        w.Line();
        w.Line("/// <summary>Whether every W_hh is bit for bit what was last packed (a sequence pass checks, however the parameters were written).</summary>");
        w.Open("private bool PackedWeightsCurrent()");
        w.Line($"{Span} a = Arena;");
        foreach (var (layer, cell, _, _, wHh, _, _) in PackedCells(plan))
        {
            int n = Planner.Gates(layer.Cell) * layer.Hidden * layer.Hidden;
            // Compared as bytes: a NaN is a change, and so is −0 for 0.
            w.Line("if (!global::System.MemoryExtensions.SequenceEqual(");
            w.Line($"        global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.Slice(Layout.Parameters + Layout.{wHh}, {n})),");
            w.Line($"        global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.Slice(Layout.{cell.PackedFrom}, {n}))))");
            w.Line("    return false;");
        }
        w.Line("return true;");
        w.Close();
        w.Line();
    }

    /// <summary>Every recurrent layer's stacked layers and directions with packed weights: input width and parameter constants.</summary>
    private static IEnumerable<(RecurrentPlan Layer, CellBuffers Cell, int In, string WIh, string WHh, string BIh, string BHh)> PackedCells(ModelPlan plan)
    {
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            if (plan.Layers[i] is not RecurrentPlan layer) continue;
            foreach (CellBuffers cell in plan.Step!.Layers[i].Cells)
            {
                int first = (cell.Layer * layer.Directions + cell.Direction) * 4;
                yield return (layer, cell, cell.Layer == 0 ? layer.In : layer.Directions * layer.Hidden,
                    layer.ParameterNames[first], layer.ParameterNames[first + 1], layer.ParameterNames[first + 2], layer.ParameterNames[first + 3]);
            }
        }
    }

    /// <summary>The methods of the unrolled steps <c>StepCore</c> calls (see <see cref="LayerPass.Unrolled"/>).</summary>
    public static void WriteUnrolledSteps(SourceWriter w, ModelPlan plan, List<(int Layer, int StackedLayer, string Input)> unrolled)
    {
        foreach (var (index, l, input) in unrolled)
        {
            var layer = (RecurrentPlan)plan.Layers[index];
            w.Line($"/// <summary>");
            w.Line($"/// {layer.Property}, layer {l}: one unrolled step. A method of its own: the JIT inlines the whole step into it with its");
            w.Line("/// sizes as literals, and its budget for inlining is per method, so no other layer's step can use it up.");
            w.Line($"/// </summary>");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
            w.Open($"private void {UnrolledStepName(layer, l)}()");
            w.Line($"{Span} a = Arena;");
            WriteCellForward(w, plan, index, plan.Step!.Layers[index], l, 0, input, streaming: true);
            w.Close();
            w.Line();
        }
    }

    /// <summary>The generated method that runs one unrolled step of stacked layer <paramref name="l"/>.</summary>
    private static string UnrolledStepName(RecurrentPlan layer, int l) => $"Step{layer.Property}Layer{l}";

    /// <summary>
    /// <c>h_prev·W_hhᵀ</c> into <paramref name="target"/>: over the packed <c>W_hhᵀ</c> panels (each state element broadcast
    /// against a contiguous row of weights) when there are some, otherwise over the row-major weight (dot products).
    /// </summary>
    private static string RecurrentProduct(CellBuffers? packed, string wHh, string target, int ldc, int B, int n, int H, bool accumulate) => packed is not null
        ? $"{Blas}.MultiplyPacked(hPrev, ldPrev, a.Slice(Layout.{packed.PackedHh}), {target}, {ldc}, {B}, {n}, {H}, accumulate: {(accumulate ? "true" : "false")});"
        : $"{Blas}.MultiplyTransposed(hPrev, ldPrev, p.Slice({wHh}), {H}, {target}, {ldc}, {B}, {n}, {H}, accumulate: {(accumulate ? "true" : "false")});";

    /// <summary>What stacked layer <paramref name="l"/> reads: the layer's input, the previous layer's states, or their dropout copy.</summary>
    private static string LayerInput(LayerBuffers buffers, string input, int l) =>
        l == 0 ? input : l - 1 < buffers.Dropped.Count ? buffers.Dropped[l - 1] : buffers.Sequences[l - 1];

    /// <summary>
    /// The packed weights of a stacked layer and direction (see <c>PackStepWeights</c>), when the model has them. The
    /// sequence passes use them too: over <c>W_hhᵀ</c> panels a step's product needs no horizontal sums, and four
    /// rows of the batch share every weight load.
    /// </summary>
    private static CellBuffers? PackedCell(ModelPlan plan, int index, int l, int d) =>
        plan.PacksStepWeights ? plan.Step!.Layers[index].Cells[l * ((RecurrentPlan)plan.Layers[index]).Directions + d] : null;


    private static void WriteCellForward(SourceWriter w, ModelPlan plan, int index, LayerBuffers buffers, int l, int d, string input, bool streaming)
    {
        var layer = (RecurrentPlan)plan.Layers[index];
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = Planner.Gates(layer.Cell);
        int inK = l == 0 ? layer.In : DH;
        int cacheWidth = layer.Cell == RecurrentCell.Rnn ? H : 4 * H;
        bool reverse = d == 1;
        CellBuffers cell = buffers.Cells[l * layer.Directions + d];
        int first = (l * layer.Directions + d) * 4;
        string wIh = "Layout." + layer.ParameterNames[first], wHh = "Layout." + layer.ParameterNames[first + 1];
        string bIh = "Layout." + layer.ParameterNames[first + 2], bHh = "Layout." + layer.ParameterNames[first + 3];
        string rows = Rows(plan, layer, streaming);
        CellBuffers? packed = PackedCell(plan, index, l, d);

        w.Line($"// {layer.Property}, layer {l}, {(reverse ? "reverse" : "forward")} direction: {KindName(layer)} {inK} → {H}{(streaming ? ", one step" : "")}");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input}); // [time, {B}, {inK}]");
        w.Line($"{Span} h = a.Slice(Layout.{buffers.Sequences[l]}{(reverse ? $" + {H}" : "")}); // h_t in columns {d * H}..{d * H + H - 1} of [time, {B}, {DH}]");
        if (cell.Cache is not null) w.Line($"{Span} cache = a.Slice(Layout.{cell.Cache}); // [time, {B}, {cacheWidth}]");
        if (cell.Cells is not null) w.Line($"{Span} c = a.Slice(Layout.{cell.Cells}); // c_t, [time, {B}, {H}]");
        string hn = State(plan, layer, 1, l, d), cn = State(plan, layer, 5, l, d);
        if (streaming && cell.Fused is not null)
        {
            // One call: the products, the gates and the new state, one vector of units at a time.
            long size = Planner.FusedStepSize(layer.Cell, inK, H, plan.WeightPrecision);
            if (cell.Unrolled)
                w.Line($"// unrolled: {N((long)B * Planner.Gates(layer.Cell) * H * (inK + H))} multiply-adds, too few to share between the cores; the step is inlined here with its sizes as literals");
            w.Line($"{ReadOnlySpan} hPrev = a.Slice({hn}, {B * H}); // the running state");
            if (layer.Cell == RecurrentCell.Lstm)
            {
                w.Line($"{ReadOnlySpan} cPrev = a.Slice({cn}, {B * H});");
                w.Line("// [x ; h_prev]·[W_ih W_hh]ᵀ + b_ih + b_hh;  i, f, g, o = σ, σ, tanh, σ;  c_t = f⊙c_prev + i⊙g;  h_t = o⊙tanh(c_t)");
                w.Line(cell.Unrolled
                    ? $"{Cells}.LstmStepUnrolled(x.Slice(0, {B * inK}), hPrev, a.Slice(Layout.{cell.Fused}, {size}), cPrev, c.Slice(0, {B * H}), h.Slice(0, {B * H}), {B}, {inK}, {H});"
                    : $"{Cells}.LstmStep(x, {inK}, hPrev, {H}, a.Slice(Layout.{cell.Fused}), cPrev, c.Slice(0, {B * H}), h, {DH}, {B}, {inK}, {H}{PrecisionArgument(plan)});");
            }
            else
            {
                w.Line("// r, z = σ(W_i·x + b_i + W_h·h_prev + b_h);  n = tanh(W_in·x + b_in + r⊙(W_hn·h_prev + b_hn));  h_t = (1 − z)⊙n + z⊙h_prev");
                w.Line(cell.Unrolled
                    ? $"{Cells}.GruStepUnrolled(x.Slice(0, {B * inK}), hPrev, a.Slice(Layout.{cell.Fused}, {size}), h.Slice(0, {B * H}), {B}, {inK}, {H});"
                    : $"{Cells}.GruStep(x, {inK}, hPrev, {H}, a.Slice(Layout.{cell.Fused}), h, {DH}, {B}, {inK}, {H}{PrecisionArgument(plan)});");
            }
            w.Line("// the running state moves on");
            w.Line(cell.Unrolled
                ? $"h.Slice(0, {B * H}).CopyTo(a.Slice({hn}, {B * H}));"
                : $"{Blas}.CopyRows(h, {DH}, a.Slice({hn}, {B * H}), {H}, {B}, {H});");
            if (cell.Cells is not null) w.Line($"c.Slice(0, {B * H}).CopyTo(a.Slice({cn}, {B * H}));");
            w.Close();
            return;
        }
        if (layer.Cell == RecurrentCell.Gru) w.Line($"{Span} gh = a.Slice(Layout.Scratch_Gh, {B * 3 * H});");

        // The input projection of every step at once.
        string biases = layer.Cell == RecurrentCell.Gru ? " + b_ih" : " + b_ih + b_hh";
        w.Line($"// input side{(streaming ? ", over the packed W_ihᵀ" : " for every step at once")}: x·W_ihᵀ{biases}   ([{rows} x {inK}] · [{inK} x {G * H}])");
        if (streaming && cell.PackedBias is not null)
        {
            w.Line($"{Blas}.CopyRows(a.Slice(Layout.{cell.PackedBias}, {G * H}), 0, cache, {cacheWidth}, {B}, {G * H});");
            w.Line($"{Blas}.MultiplyPacked(x, {inK}, a.Slice(Layout.{cell.PackedIh}), cache, {cacheWidth}, {B}, {G * H}, {inK}, accumulate: true);");
        }
        else
        {
            w.Line(streaming
                ? $"{Blas}.MultiplyPacked(x, {inK}, a.Slice(Layout.{cell.PackedIh}), cache, {cacheWidth}, {B}, {G * H}, {inK}, accumulate: false);"
                : $"{Blas}.MultiplyTransposed(x, {inK}, p.Slice({wIh}), {inK}, cache, {cacheWidth}, {rows}, {G * H}, {inK}, accumulate: false);");
            w.Line($"{Blas}.AddRowVector(cache, {cacheWidth}, {rows}, {G * H}, p.Slice({bIh}, {G * H}));");
            if (layer.Cell != RecurrentCell.Gru) w.Line($"{Blas}.AddRowVector(cache, {cacheWidth}, {rows}, {G * H}, p.Slice({bHh}, {G * H}));");
        }

        string t;
        if (streaming)
        {
            t = "0";
            w.Line($"{ReadOnlySpan} hPrev = a.Slice({hn}, {B * H}); // the running state");
            if (cell.Cells is not null) w.Line($"{ReadOnlySpan} cPrev = a.Slice({cn}, {B * H});");
            w.Line($"const int ldPrev = {H};");
        }
        else
        {
            t = "t";
            w.Open($"for (int s = 0; s < {layer.Length}; s++)");
            w.Line(reverse ? $"int t = {layer.Length} - 1 - s;" : "int t = s;");
            w.Line("bool first = s == 0;");
            string prev = reverse ? "t + 1" : "t - 1";
            w.Line($"// h_{{t{(reverse ? "+" : "-")}1}}: the initial state h_0 at the first step");
            w.Line($"{ReadOnlySpan} hPrev = first ? a.Slice({State(plan, layer, 0, l, d)}, {B * H}) : h.Slice(({prev}) * {B * DH});");
            if (cell.Cells is not null) w.Line($"{ReadOnlySpan} cPrev = first ? a.Slice({State(plan, layer, 4, l, d)}, {B * H}) : c.Slice(({prev}) * {B * H});");
            w.Line(DH == H ? $"const int ldPrev = {H};" : $"int ldPrev = first ? {H} : {DH};");
        }

        switch (layer.Cell)
        {
            case RecurrentCell.Lstm:
                w.Line($"// gates_t += h_prev·W_hhᵀ   ([{B} x {H}] · [{H} x {4 * H}])");
                w.Line(RecurrentProduct(packed, wHh, SliceAt("cache", t, B * 4 * H), 4 * H, B, 4 * H, H, accumulate: true));
                w.Line("// i, f, g, o = σ, σ, tanh, σ;  c_t = f⊙c_prev + i⊙g;  h_t = o⊙tanh(c_t)");
                w.Line($"{Cells}.LstmForward(cache.Slice({Times(t, B * 4 * H)}, {B * 4 * H}), cPrev, c.Slice({Times(t, B * H)}, {B * H}), {SliceAt("h", t, B * DH)}, {DH}, {B}, {H});");
                break;
            case RecurrentCell.Gru:
                w.Line($"// gh = h_prev·W_hhᵀ + b_hh   ([{B} x {H}] · [{H} x {3 * H}])");
                w.Line(RecurrentProduct(packed, wHh, "gh", 3 * H, B, 3 * H, H, accumulate: false));
                w.Line($"{Blas}.AddRowVector(gh, {3 * H}, {B}, {3 * H}, p.Slice({bHh}, {3 * H}));");
                w.Line("// r, z = σ(x_rz + gh_rz);  n = tanh(x_n + r⊙gh_n);  h_t = (1 − z)⊙n + z⊙h_prev");
                w.Line($"{Cells}.GruForward(cache.Slice({Times(t, B * 4 * H)}, {B * 4 * H}), gh, hPrev, ldPrev, {SliceAt("h", t, B * DH)}, {DH}, {B}, {H});");
                break;
            default:
                string nl = layer.Nonlinearity.ToString();
                w.Line($"// pre_t += h_prev·W_hhᵀ   ([{B} x {H}] · [{H} x {H}]);  h_t = {nl.ToLowerInvariant()}(pre_t)");
                w.Line(RecurrentProduct(packed, wHh, SliceAt("cache", t, B * H), H, B, H, H, accumulate: true));
                w.Line($"{Cells}.RnnForward(cache.Slice({Times(t, B * H)}, {B * H}), {SliceAt("h", t, B * DH)}, {DH}, {B}, {H}, global::Unroll.Nonlinearity.{nl});");
                break;
        }
        if (!streaming)
        {
            w.Line("// rows whose source has ended hold their state (packed sequences)");
            w.Line($"global::Unroll.Kernels.Packing.Hold({layer.RowLengths}, t, hPrev, ldPrev, h.Slice(t * {B * DH}), {DH}, {(cell.Cells is null ? "default, default" : $"cPrev, c.Slice(t * {B * H}, {B * H})")}, {H});");
        }
        if (!streaming) w.Close();

        string lastT = streaming ? "0" : (reverse ? "0" : $"({layer.Length} - 1)");
        w.Line(streaming ? "// the running state moves on" : "// h_n (and c_n): the state after the last step");
        w.Line($"{Blas}.CopyRows({SliceAt("h", lastT, B * DH)}, {DH}, a.Slice({hn}, {B * H}), {H}, {B}, {H});");
        if (cell.Cells is not null) w.Line($"c.Slice({Times(lastT, B * H)}, {B * H}).CopyTo(a.Slice({cn}, {B * H}));");
        w.Close();
    }

    private static void WriteCellBackward(SourceWriter w, ModelPlan plan, RecurrentPlan layer, LayerBuffers buffers, int l, int d, string input, (string Name, string Guard)? inputGradient)
    {
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = Planner.Gates(layer.Cell);
        int inK = l == 0 ? layer.In : DH;
        int cacheWidth = layer.Cell == RecurrentCell.Rnn ? H : 4 * H;
        bool reverse = d == 1;
        CellBuffers cell = buffers.Cells[l * layer.Directions + d];
        int first = (l * layer.Directions + d) * 4;
        string wIh = "Layout." + layer.ParameterNames[first], wHh = "Layout." + layer.ParameterNames[first + 1];
        string bIh = "Layout." + layer.ParameterNames[first + 2], bHh = "Layout." + layer.ParameterNames[first + 3];
        string rows = $"{layer.Length} * {B}";
        int gw = G * H; // width of the gate gradients
        bool lstm = layer.Cell == RecurrentCell.Lstm, gru = layer.Cell == RecurrentCell.Gru;

        w.Line($"// {layer.Property}, layer {l}, {(reverse ? "reverse" : "forward")} direction, backwards through time");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} h = a.Slice(Layout.{buffers.Sequences[l]}{(reverse ? $" + {H}" : "")});");
        w.Line($"{Span} dh = a.Slice(Layout.{buffers.SequenceGradients[l]}{(reverse ? $" + {H}" : "")}); // ∂h_t from above");
        w.Line($"{Span} cache = a.Slice(Layout.{cell.Cache});");
        if (lstm) w.Line($"{Span} c = a.Slice(Layout.{cell.Cells});");
        w.Line($"{Span} dG = a.Slice(Layout.Scratch_dGates); // ∂ gate pre-activations{(gru ? " (input side)" : "")}, [time, {B}, {gw}]");
        if (gru) w.Line($"{Span} dGh = a.Slice(Layout.Scratch_dGh); // ∂ recurrent-side gates, [time, {B}, {gw}]");
        w.Line($"{Span} dhNext = a.Slice(Layout.Scratch_dh, {B * H});");
        if (lstm) w.Line($"{Span} dc = a.Slice(Layout.Scratch_dc, {B * H});");
        w.Line(lstm ? "// ∂h_n and ∂c_n enter after the last step" : "// ∂h_n enters after the last step");
        w.Line($"a.Slice({State(plan, layer, 3, l, d)}, {B * H}).CopyTo(dhNext);");
        if (lstm) w.Line($"a.Slice({State(plan, layer, 7, l, d)}, {B * H}).CopyTo(dc);");
        if (AttentionDecoderHandler.StartedFrom(plan, layer) is { Decoder: var decoder } && l == layer.NumLayers - 1)
        {
            w.Line($"// the decoder started from this final state: ∂s_0{(decoder.Lstm && lstm ? " and ∂c_0" : "")} add in");
            w.Line($"{Blas}.AddRows(a.Slice({AttentionDecoderHandler.DecoderState(plan, decoder, 2)}{(reverse ? $" + {H}" : "")}), {decoder.Hidden}, dhNext, {H}, {B}, {H});");
            if (decoder.Lstm && lstm) w.Line($"{Blas}.AddRows(a.Slice({AttentionDecoderHandler.DecoderState(plan, decoder, 6)}{(reverse ? $" + {H}" : "")}), {decoder.Hidden}, dc, {H}, {B}, {H});");
        }

        w.Open($"for (int s = 0; s < {layer.Length}; s++)");
        w.Line(reverse ? "int t = s;" : $"int t = {layer.Length} - 1 - s;");
        string prev = reverse ? "t + 1" : "t - 1";
        if (lstm || gru) w.Line($"bool first = s == {layer.Length} - 1; // the step that read the initial state");
        if (gru)
        {
            w.Line($"{ReadOnlySpan} hPrev = first ? a.Slice({State(plan, layer, 0, l, d)}, {B * H}) : h.Slice(({prev}) * {B * DH});");
            w.Line(DH == H ? $"const int ldPrev = {H};" : $"int ldPrev = first ? {H} : {DH};");
        }
        if (lstm) w.Line($"{ReadOnlySpan} cPrev = first ? a.Slice({State(plan, layer, 4, l, d)}, {B * H}) : c.Slice(({prev}) * {B * H});");
        string dHh = gru ? "dGh" : "dG";
        string savedDh = $"a.Slice(Layout.Scratch_HeldDh, {B * H})", savedDc = lstm ? $"a.Slice(Layout.Scratch_HeldDc, {B * H})" : "default";
        w.Line($"global::Unroll.Kernels.Packing.SaveCarried({layer.RowLengths}, t, dhNext, {(lstm ? "dc" : "default")}, {savedDh}, {savedDc}, {H}); // held rows (packed sequences)");
        switch (layer.Cell)
        {
            case RecurrentCell.Lstm:
                w.Line($"{Cells}.LstmBackward(cache.Slice(t * {B * 4 * H}), cPrev, c.Slice(t * {B * H}), dh.Slice(t * {B * DH}), {DH}, dhNext, dc, dG.Slice(t * {B * gw}), {B}, {H});");
                break;
            case RecurrentCell.Gru:
                w.Line($"{Cells}.GruBackward(cache.Slice(t * {B * 4 * H}), hPrev, ldPrev, dh.Slice(t * {B * DH}), {DH}, dhNext, dG.Slice(t * {B * gw}), dGh.Slice(t * {B * gw}), {B}, {H});");
                break;
            default:
                string nl = layer.Nonlinearity.ToString();
                w.Line($"{Cells}.RnnBackward(h.Slice(t * {B * DH}), {DH}, dh.Slice(t * {B * DH}), {DH}, dhNext, dG.Slice(t * {B * gw}), {B}, {H}, global::Unroll.Nonlinearity.{nl});");
                break;
        }
        w.Line($"global::Unroll.Kernels.Packing.PassHeld({layer.RowLengths}, t, dh.Slice(t * {B * DH}), {DH}, {savedDh}, {savedDc}, dhNext, {(lstm ? "dc" : "default")}, dG.Slice(t * {B * gw}, {B * gw}), {(gru ? $"dGh.Slice(t * {B * gw}, {B * gw})" : "default")}, {gw}, {H});");
        w.Line($"// ∂h_prev += ∂gates_t·W_hh   ([{B} x {gw}] · [{gw} x {H}])");
        w.Line($"{Blas}.Multiply({dHh}.Slice(t * {B * gw}), {gw}, p.Slice({wHh}), {H}, dhNext, {H}, {B}, {H}, {gw}, accumulate: true);");
        w.Close();

        w.Line(lstm ? "// ∂h_0, ∂c_0" : "// ∂h_0");
        w.Line($"dhNext.CopyTo(a.Slice({State(plan, layer, 2, l, d)}, {B * H}));");
        if (lstm) w.Line($"dc.CopyTo(a.Slice({State(plan, layer, 6, l, d)}, {B * H}));");

        string h0 = $"a.Slice({State(plan, layer, 0, l, d)}, {B * H})";
        w.Line($"// ∂W_hh += Σ_t ∂gates_tᵀ·h_prev: the step that read h_0, then every other step in one product; ∂b_hh += Σ ∂gates");
        if (reverse)
        {
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}.Slice(({layer.Length} - 1) * {B * gw}), {gw}, {h0}, {H}, g.Slice({wHh}), {H}, {B}, {gw}, {H});");
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}, {gw}, h.Slice({B * DH}), {DH}, g.Slice({wHh}), {H}, ({layer.Length} - 1) * {B}, {gw}, {H});");
        }
        else
        {
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}, {gw}, {h0}, {H}, g.Slice({wHh}), {H}, {B}, {gw}, {H});");
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}.Slice({B * gw}), {gw}, h, {DH}, g.Slice({wHh}), {H}, ({layer.Length} - 1) * {B}, {gw}, {H});");
        }
        w.Line($"{Blas}.SumRowsAdd({dHh}, {gw}, {rows}, {gw}, g.Slice({bHh}, {gw}));");
        w.Line($"// ∂W_ih += ∂gatesᵀ·x, ∂b_ih += Σ ∂gates, over every step at once   ([{gw} x {rows}] · [{rows} x {inK}])");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dG, {gw}, x, {inK}, g.Slice({wIh}), {inK}, {rows}, {gw}, {inK});");
        w.Line($"{Blas}.SumRowsAdd(dG, {gw}, {rows}, {gw}, g.Slice({bIh}, {gw}));");
        if (inputGradient is { } dx)
        {
            w.Line($"// ∂x += ∂gates·W_ih   ([{rows} x {gw}] · [{gw} x {inK}])");
            w.Line($"{dx.Guard}{Blas}.Multiply(dG, {gw}, p.Slice({wIh}), {inK}, a.Slice(Layout.{dx.Name}), {inK}, {rows}, {inK}, {gw}, accumulate: true);");
        }
        w.Close();
    }
}

/// <summary><c>[Rnn(inputSize, hiddenSize)]</c> as <c>nn.RNN</c>.</summary>
internal sealed class RnnHandler() : RecurrentHandler(RecurrentCell.Rnn);

/// <summary><c>[Lstm(inputSize, hiddenSize)]</c> as <c>nn.LSTM</c>.</summary>
internal sealed class LstmHandler() : RecurrentHandler(RecurrentCell.Lstm);

/// <summary><c>[Gru(inputSize, hiddenSize)]</c> as <c>nn.GRU</c>.</summary>
internal sealed class GruHandler() : RecurrentHandler(RecurrentCell.Gru);
