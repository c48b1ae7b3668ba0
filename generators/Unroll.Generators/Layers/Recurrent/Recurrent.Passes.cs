using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The recurrent layers' passes: per stacked layer and direction, the cell over the time steps forward (the input's share of
/// the gates for every step at once, then the recurrent products step by step) and backwards through time; the fused,
/// shared or unrolled streaming step.
/// </summary>
internal abstract partial class RecurrentHandler
{
    protected override void WriteForward(LayerPass pass, RecurrentPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        string input = pass.Input;
        bool streaming = pass.Streaming;
        int B = plan.BatchSize, i = pass.Index;
        for (int l = 0; l < layer.NumLayers; l++)
        {
            for (int d = 0; d < layer.Directions; d++)
            {
                if (streaming && R(buffers).Cells[l * layer.Directions + d].Unrolled)
                {
                    int inK = layer.InputOf(l);
                    w.Line($"// {layer.Property}, layer {l}: {KindName(layer)} {inK} → {layer.Hidden}, one unrolled step (a method of its own, below)");
                    w.Line($"{UnrolledStepName(layer, l)}();");
                    continue;
                }
                WriteCellForward(w, plan, i, buffers, l, d, LayerInput(buffers, input, l), streaming);
            }
            if (l < R(buffers).Dropped.Count)
            {
                string n = $"{layer.Length} * {B * layer.Directions * layer.Hidden}";
                w.Line($"// dropout {F(layer.Dropout)} on the states of {layer.Property} layer {l} before layer {l + 1} reads them (training only)");
                w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{R(buffers).Sequences[l]}, {n}), a.Slice(Layout.{R(buffers).DroppedMasks[l]}, {n}), a.Slice(Layout.{R(buffers).Dropped[l]}, {n}), {F(layer.Dropout)}, DropoutGenerator);");
                w.Line($"else a.Slice(Layout.{R(buffers).Sequences[l]}, {n}).CopyTo(a.Slice(Layout.{R(buffers).Dropped[l]}, {n}));");
            }
        }
        if (!layer.ReturnSequences)
        {
            int H = layer.Hidden, DH = layer.Directions * H;
            string top = R(buffers).Sequences[R(buffers).Sequences.Count - 1];
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
        string topGradient = R(buffers).SequenceGradients[R(buffers).SequenceGradients.Count - 1];
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
            if (l < R(buffers).Dropped.Count)
            {
                w.Line($"// ∂ of {layer.Property} layer {l}'s states through its dropout mask");
                w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{R(buffers).SequenceGradients[l]}, {layer.Length} * {B * DH}), a.Slice(Layout.{R(buffers).DroppedMasks[l]}, {layer.Length} * {B * DH}), a.Slice(Layout.{R(buffers).SequenceGradients[l]}, {layer.Length} * {B * DH}));");
            }
            string x = LayerInput(buffers, input, l);
            string? dx = l == 0 ? inputGradient : R(buffers).SequenceGradients[l - 1];
            string dxGuard = l == 0 ? guard : "";
            int inK = layer.InputOf(l);
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

    /// <summary>
    /// <c>h_prev·W_hhᵀ</c> into <paramref name="target"/>: over the packed <c>W_hhᵀ</c> panels (each state element broadcast
    /// against a contiguous row of weights) when there are some, otherwise over the row-major weight (dot products).
    /// </summary>
    private static string RecurrentProduct(CellBuffers? packed, string wHh, string target, int ldc, int B, int n, int H, bool accumulate) => packed is not null
        ? $"{Blas}.MultiplyPacked(hPrev, ldPrev, a.Slice(Layout.{packed.PackedHh}), {target}, {ldc}, {B}, {n}, {H}, accumulate: {(accumulate ? "true" : "false")});"
        : $"{Blas}.MultiplyTransposed(hPrev, ldPrev, p.Slice({wHh}), {H}, {target}, {ldc}, {B}, {n}, {H}, accumulate: {(accumulate ? "true" : "false")});";

    /// <summary>What stacked layer <paramref name="l"/> reads: the layer's input, the previous layer's states, or their dropout copy.</summary>
    private static string LayerInput(LayerBuffers buffers, string input, int l) =>
        l == 0 ? input : l - 1 < R(buffers).Dropped.Count ? R(buffers).Dropped[l - 1] : R(buffers).Sequences[l - 1];

    /// <summary>
    /// The packed weights of a stacked layer and direction (see <c>PackStepWeights</c>), when the model has them. The
    /// sequence passes use them too: over <c>W_hhᵀ</c> panels a step's product needs no horizontal sums, and four
    /// rows of the batch share every weight load.
    /// </summary>
    private static CellBuffers? PackedCell(ModelPlan plan, int index, int l, int d) =>
        plan.PacksStepWeights ? R(plan.Step!.Layers[index]).Cells[l * ((RecurrentPlan)plan.Layers[index]).Directions + d] : null;


    /// <summary>One stacked layer and direction: what its cell keeps, and its weight_ih, weight_hh, bias_ih, bias_hh as <c>Layout.*</c>.</summary>
    private static (CellBuffers Cell, string WIh, string WHh, string BIh, string BHh) Cell(RecurrentPlan layer, LayerBuffers buffers, int l, int d)
    {
        int first = layer.FirstParameter(l, d);
        return (R(buffers).Cells[l * layer.Directions + d], "Layout." + layer.ParameterNames[first], "Layout." + layer.ParameterNames[first + 1],
            "Layout." + layer.ParameterNames[first + 2], "Layout." + layer.ParameterNames[first + 3]);
    }

    private static void WriteCellForward(SourceWriter w, ModelPlan plan, int index, LayerBuffers buffers, int l, int d, string input, bool streaming)
    {
        var layer = (RecurrentPlan)plan.Layers[index];
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = layer.Gates;
        int inK = layer.InputOf(l);
        int cacheWidth = layer.CacheWidth;
        bool reverse = d == 1;
        var (cell, wIh, wHh, bIh, bHh) = Cell(layer, buffers, l, d);
        string rows = Rows(plan, layer, streaming);
        CellBuffers? packed = PackedCell(plan, index, l, d);

        w.Line($"// {layer.Property}, layer {l}, {(reverse ? "reverse" : "forward")} direction: {KindName(layer)} {inK} → {H}{(streaming ? ", one step" : "")}");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input}); // [time, {B}, {inK}]");
        w.Line($"{Span} h = a.Slice(Layout.{R(buffers).Sequences[l]}{(reverse ? $" + {H}" : "")}); // h_t in columns {d * H}..{d * H + H - 1} of [time, {B}, {DH}]");
        if (cell.Cache is not null) w.Line($"{Span} cache = a.Slice(Layout.{cell.Cache}); // [time, {B}, {cacheWidth}]");
        if (cell.Cells is not null) w.Line($"{Span} c = a.Slice(Layout.{cell.Cells}); // c_t, [time, {B}, {H}]");
        string hn = State(plan, layer, 1, l, d), cn = State(plan, layer, 5, l, d);
        if (streaming && cell.Fused is not null)
        {
            // One call: the products, the gates and the new state, one vector of units at a time.
            long size = FusedStepSize(layer.Cell, inK, H, plan.WeightPrecision);
            if (cell.Unrolled)
                w.Line($"// unrolled: {N((long)B * layer.Gates * H * (inK + H))} multiply-adds, too few to share between the cores; the step is inlined here with its sizes as literals");
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
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = layer.Gates;
        int inK = layer.InputOf(l);
        int cacheWidth = layer.CacheWidth;
        bool reverse = d == 1;
        var (cell, wIh, wHh, bIh, bHh) = Cell(layer, buffers, l, d);
        string rows = $"{layer.Length} * {B}";
        int gw = G * H; // width of the gate gradients
        bool lstm = layer.Cell == RecurrentCell.Lstm, gru = layer.Cell == RecurrentCell.Gru;

        w.Line($"// {layer.Property}, layer {l}, {(reverse ? "reverse" : "forward")} direction, backwards through time");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} h = a.Slice(Layout.{R(buffers).Sequences[l]}{(reverse ? $" + {H}" : "")});");
        w.Line($"{Span} dh = a.Slice(Layout.{R(buffers).SequenceGradients[l]}{(reverse ? $" + {H}" : "")}); // ∂h_t from above");
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
        if (!layer.Trainable) w.Line("// frozen (Trainable = false): no weight or bias gradient");
        else WriteWeightGradients();
        if (inputGradient is { } dx)
        {
            w.Line($"// ∂x += ∂gates·W_ih   ([{rows} x {gw}] · [{gw} x {inK}])");
            w.Line($"{dx.Guard}{Blas}.Multiply(dG, {gw}, p.Slice({wIh}), {inK}, a.Slice(Layout.{dx.Name}), {inK}, {rows}, {inK}, {gw}, accumulate: true);");
        }
        w.Close();

        void WriteWeightGradients()
        {
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
        }
    }
}
