using System.Collections.Generic;
using System.Linq;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

/// <summary>
/// The passes. Activations are time-major (<c>[time, batch, features]</c>), so one step of the whole
/// batch is a contiguous block and a whole sequence is one matrix. Recurrent layers write their
/// states into a <c>[time, batch, directions·H]</c> buffer, each direction in its own columns.
/// </summary>
internal static partial class Emitter
{
    /// <summary><c>expr * stride</c>, folded when the expression is the literal 0.</summary>
    private static string Times(string expression, int stride) => expression == "0" ? "0" : $"{expression} * {stride}";

    private static string SliceAt(string span, string index, int stride) => index == "0" ? span : $"{span}.Slice({Times(index, stride)})";

    private static string Rows(ModelPlan plan, LayerPlan layer, bool streaming) =>
        layer.SequenceInput && !streaming ? $"length * {plan.BatchSize}" : plan.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteForwardCore(SourceWriter w, ModelPlan plan, bool streaming)
    {
        ModeBuffers m = streaming ? plan.Step! : plan.Sequence;
        int B = plan.BatchSize;
        w.Line(streaming
            ? "/// <summary>One step of every layer, from and into the running states.</summary>"
            : "/// <summary>Every layer over <paramref name=\"length\"/> steps, from the initial states; the caches stay for <c>BackwardCore</c>.</summary>");
        w.Open(streaming ? "private void StepCore()" : "private void ForwardCore(int length)");
        var unrolled = new List<(int Layer, int StackedLayer, string Input)>();
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        if (!streaming && plan.PacksStepWeights) w.Line("if (!PackedWeightsCurrent()) PackSequenceWeights(); // the recurrent products read the packed W_hhᵀ");
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            LayerBuffers buffers = m.Layers[i];
            string input = i == 0 ? m.Input : m.Layers[i - 1].Output;
            string rows = Rows(plan, layer, streaming);
            w.Line();
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                    w.Line($"// {layer.Property}: {Describe(layer)}; each token id selects a row of the weight → [time, batch, {layer.Hidden}]");
                    w.Line($"global::Unroll.Kernels.Embeddings.Gather(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, {(streaming ? B.ToString() : $"length * {B}")})), "
                         + $"p.Slice(Layout.{layer.ParameterNames[0]}, {layer.In * layer.Hidden}), a.Slice(Layout.{buffers.Output}), {B}, {(streaming ? "1" : "length")}, {layer.Hidden});");
                    break;
                case LayerKind.Linear when streaming && layer.Bias && B < 16:
                    w.Line($"// {layer.Property}: y = x·Wᵀ + b   ([{rows} x {layer.In}] · [{layer.In} x {layer.Out}]), inlined with its sizes as literals");
                    w.Line($"{Blas}.Linear(a.Slice(Layout.{input}, {B * layer.In}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out * layer.In}), p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}), a.Slice(Layout.{buffers.Output}, {B * layer.Out}), {B}, {layer.Out}, {layer.In});");
                    break;
                case LayerKind.Linear:
                    w.Line($"// {layer.Property}: y = x·Wᵀ{(layer.Bias ? " + b" : "")} for every row   ([{rows} x {layer.In}] · [{layer.In} x {layer.Out}])");
                    w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{input}), {layer.In}, p.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, a.Slice(Layout.{buffers.Output}), {layer.Out}, {rows}, {layer.Out}, {layer.In}, accumulate: false);");
                    if (layer.Bias) w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{buffers.Output}), {layer.Out}, {rows}, {layer.Out}, p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}));");
                    break;
                case LayerKind.SelfAttention:
                    if (streaming) WriteSelfAttentionStep(w, plan, layer, buffers, input);
                    else WriteAttentionForward(w, plan, layer, buffers, input, rows);
                    break;
                case LayerKind.LayerNorm:
                    w.Line($"// {layer.Property}: {Describe(layer)}: y = (x − mean) / √(var + 1e-5) ⊙ weight + bias, every row");
                    w.Line($"global::Unroll.Kernels.Normalization.LayerNormForward(a.Slice(Layout.{input}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}), a.Slice(Layout.{buffers.Output}, {rows} * {layer.Out}),");
                    w.Line($"    a.Slice(Layout.{buffers.Normalization!.Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{buffers.Normalization.InverseDeviation}, {rows}), {rows}, {layer.Out}, 1e-5f);");
                    break;
                case LayerKind.Dropout:
                    string count = $"{rows} * {layer.Out}";
                    if (streaming || plan.InferenceOnly)
                    {
                        w.Line($"// {layer.Property}: {Describe(layer)} passes values through in {(streaming ? "streaming " : "")}inference");
                        w.Line($"a.Slice(Layout.{input}, {count}).CopyTo(a.Slice(Layout.{buffers.Output}, {count}));");
                    }
                    else
                    {
                        w.Line($"// {layer.Property}: {Describe(layer)}: in training, y = x ⊙ mask with a fresh mask of 0 and 1 / (1 − p); otherwise y = x");
                        w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{input}, {count}), a.Slice(Layout.{buffers.Mask}, {count}), a.Slice(Layout.{buffers.Output}, {count}), {F(layer.Dropout)}, DropoutGenerator);");
                        w.Line($"else a.Slice(Layout.{input}, {count}).CopyTo(a.Slice(Layout.{buffers.Output}, {count}));");
                    }
                    break;
                default:
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
                            string n = $"length * {B * layer.Directions * layer.Hidden}";
                            w.Line($"// dropout {F(layer.Dropout)} on the states of {layer.Property} layer {l} before layer {l + 1} reads them (training only)");
                            w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{buffers.Sequences[l]}, {n}), a.Slice(Layout.{buffers.DroppedMasks[l]}, {n}), a.Slice(Layout.{buffers.Dropped[l]}, {n}), {F(layer.Dropout)}, DropoutGenerator);");
                            w.Line($"else a.Slice(Layout.{buffers.Sequences[l]}, {n}).CopyTo(a.Slice(Layout.{buffers.Dropped[l]}, {n}));");
                        }
                    }
                    if (!layer.ReturnSequences)
                    {
                        int H = layer.Hidden, DH = layer.Directions * H;
                        string top = buffers.Sequences[buffers.Sequences.Count - 1];
                        string lastStep = streaming ? "" : $" + (length - 1) * {B * DH}";
                        w.Line($"// {layer.Property} returns only its last step: the forward state after the last step{(layer.Directions == 2 ? " and the reverse state after the first" : "")}");
                        w.Line($"{Blas}.CopyRows(a.Slice(Layout.{top}{lastStep}), {DH}, a.Slice(Layout.{buffers.Output}), {DH}, {B}, {H});");
                        if (layer.Directions == 2)
                            w.Line($"{Blas}.CopyRows(a.Slice(Layout.{top} + {H}), {DH}, a.Slice(Layout.{buffers.Output} + {H}), {DH}, {B}, {H});");
                    }
                    break;
            }
        }
        w.Close();
        w.Line();
        foreach (var (index, l, input) in unrolled)
        {
            LayerPlan layer = plan.Layers[index];
            w.Line($"/// <summary>");
            w.Line($"/// {layer.Property}, layer {l}: one unrolled step. A method of its own: the JIT inlines the whole step into it with its");
            w.Line("/// sizes as literals, and its budget for inlining is per method, so no other layer's step can use it up.");
            w.Line($"/// </summary>");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
            w.Open($"private void {UnrolledStepName(layer, l)}()");
            w.Line($"{Span} a = Arena;");
            WriteCellForward(w, plan, index, m.Layers[index], l, 0, input, streaming: true);
            w.Close();
            w.Line();
        }
    }

    /// <summary>The generated method that runs one unrolled step of stacked layer <paramref name="l"/>.</summary>
    private static string UnrolledStepName(LayerPlan layer, int l) => $"Step{layer.Property}Layer{l}";

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
        plan.PacksStepWeights ? plan.Step!.Layers[index].Cells[l * plan.Layers[index].Directions + d] : null;


    private static void WriteCellForward(SourceWriter w, ModelPlan plan, int index, LayerBuffers buffers, int l, int d, string input, bool streaming)
    {
        LayerPlan layer = plan.Layers[index];
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = Planner.Gates(layer.Kind);
        int inK = l == 0 ? layer.In : DH;
        int cacheWidth = layer.Kind == LayerKind.Rnn ? H : 4 * H;
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
            long size = Planner.FusedStepSize(layer.Kind, inK, H, plan.WeightPrecision);
            if (cell.Unrolled)
                w.Line($"// unrolled: {N((long)B * Planner.Gates(layer.Kind) * H * (inK + H))} multiply-adds, too few to share between the cores; the step is inlined here with its sizes as literals");
            w.Line($"{ReadOnlySpan} hPrev = a.Slice({hn}, {B * H}); // the running state");
            if (layer.Kind == LayerKind.Lstm)
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
        if (layer.Kind == LayerKind.Gru) w.Line($"{Span} gh = a.Slice(Layout.Scratch_Gh, {B * 3 * H});");

        // The input projection of every step at once.
        string biases = layer.Kind == LayerKind.Gru ? " + b_ih" : " + b_ih + b_hh";
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
            if (layer.Kind != LayerKind.Gru) w.Line($"{Blas}.AddRowVector(cache, {cacheWidth}, {rows}, {G * H}, p.Slice({bHh}, {G * H}));");
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
            w.Open("for (int s = 0; s < length; s++)");
            w.Line(reverse ? "int t = length - 1 - s;" : "int t = s;");
            w.Line("bool first = s == 0;");
            string prev = reverse ? "t + 1" : "t - 1";
            w.Line($"// h_{{t{(reverse ? "+" : "-")}1}}: the initial state h_0 at the first step");
            w.Line($"{ReadOnlySpan} hPrev = first ? a.Slice({State(plan, layer, 0, l, d)}, {B * H}) : h.Slice(({prev}) * {B * DH});");
            if (cell.Cells is not null) w.Line($"{ReadOnlySpan} cPrev = first ? a.Slice({State(plan, layer, 4, l, d)}, {B * H}) : c.Slice(({prev}) * {B * H});");
            w.Line(DH == H ? $"const int ldPrev = {H};" : $"int ldPrev = first ? {H} : {DH};");
        }

        switch (layer.Kind)
        {
            case LayerKind.Lstm:
                w.Line($"// gates_t += h_prev·W_hhᵀ   ([{B} x {H}] · [{H} x {4 * H}])");
                w.Line(RecurrentProduct(packed, wHh, SliceAt("cache", t, B * 4 * H), 4 * H, B, 4 * H, H, accumulate: true));
                w.Line("// i, f, g, o = σ, σ, tanh, σ;  c_t = f⊙c_prev + i⊙g;  h_t = o⊙tanh(c_t)");
                w.Line($"{Cells}.LstmForward(cache.Slice({Times(t, B * 4 * H)}, {B * 4 * H}), cPrev, c.Slice({Times(t, B * H)}, {B * H}), {SliceAt("h", t, B * DH)}, {DH}, {B}, {H});");
                break;
            case LayerKind.Gru:
                w.Line($"// gh = h_prev·W_hhᵀ + b_hh   ([{B} x {H}] · [{H} x {3 * H}])");
                w.Line(RecurrentProduct(packed, wHh, "gh", 3 * H, B, 3 * H, H, accumulate: false));
                w.Line($"{Blas}.AddRowVector(gh, {3 * H}, {B}, {3 * H}, p.Slice({bHh}, {3 * H}));");
                w.Line("// r, z = σ(x_rz + gh_rz);  n = tanh(x_n + r⊙gh_n);  h_t = (1 − z)⊙n + z⊙h_prev");
                w.Line($"{Cells}.GruForward(cache.Slice({Times(t, B * 4 * H)}, {B * 4 * H}), gh, hPrev, ldPrev, {SliceAt("h", t, B * DH)}, {DH}, {B}, {H});");
                break;
            default:
                string nl = layer.Nonlinearity == 1 ? "Relu" : "Tanh";
                w.Line($"// pre_t += h_prev·W_hhᵀ   ([{B} x {H}] · [{H} x {H}]);  h_t = {nl.ToLowerInvariant()}(pre_t)");
                w.Line(RecurrentProduct(packed, wHh, SliceAt("cache", t, B * H), H, B, H, H, accumulate: true));
                w.Line($"{Cells}.RnnForward(cache.Slice({Times(t, B * H)}, {B * H}), {SliceAt("h", t, B * DH)}, {DH}, {B}, {H}, global::Unroll.Nonlinearity.{nl});");
                break;
        }
        if (!streaming)
        {
            w.Line("// rows whose source has ended hold their state (packed sequences)");
            w.Line($"global::Unroll.Kernels.Packing.Hold(_rowLengths, t, hPrev, ldPrev, h.Slice(t * {B * DH}), {DH}, {(cell.Cells is null ? "default, default" : $"cPrev, c.Slice(t * {B * H}, {B * H})")}, {H});");
        }
        if (!streaming) w.Close();

        string lastT = streaming ? "0" : (reverse ? "0" : "(length - 1)");
        w.Line(streaming ? "// the running state moves on" : "// h_n (and c_n): the state after the last step");
        w.Line($"{Blas}.CopyRows({SliceAt("h", lastT, B * DH)}, {DH}, a.Slice({hn}, {B * H}), {H}, {B}, {H});");
        if (cell.Cells is not null) w.Line($"c.Slice({Times(lastT, B * H)}, {B * H}).CopyTo(a.Slice({cn}, {B * H}));");
        w.Close();
    }

    private static void WriteBackwardCore(SourceWriter w, ModelPlan plan)
    {
        ModeBuffers m = plan.Sequence;
        int B = plan.BatchSize;
        w.Line("/// <summary>Every layer backwards over the steps of the last <c>Forward</c>; parameter gradients accumulate.</summary>");
        w.Open("private void BackwardCore(int length, bool inputGradient)");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        w.Line($"{Span} g = a.Slice(Layout.Gradients, ParameterCount);");
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
        {
            LayerPlan layer = plan.Layers[i];
            LayerBuffers buffers = m.Layers[i];
            string input = i == 0 ? m.Input : m.Layers[i - 1].Output;
            string? inputGradient = i == 0 ? m.InputGradient : m.Layers[i - 1].OutputGradient;
            string guard = i == 0 ? "if (inputGradient) " : "";
            string rows = Rows(plan, layer, streaming: false);
            w.Line();
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                    w.Line($"// {layer.Property}: ∂W[token] += ∂y for every step");
                    w.Line($"global::Unroll.Kernels.Embeddings.ScatterAdd(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, length * {B})), "
                         + $"a.Slice(Layout.{buffers.OutputGradient}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.In * layer.Hidden}), {B}, length, {layer.Hidden});");
                    break;
                case LayerKind.SelfAttention:
                    WriteAttentionBackward(w, plan, layer, buffers, input, inputGradient, guard, rows);
                    break;
                case LayerKind.LayerNorm:
                    string normGradient = inputGradient is null ? "default" : $"a.Slice(Layout.{inputGradient}, {rows} * {layer.Out})";
                    if (inputGradient is not null && guard.Length > 0) normGradient = $"inputGradient ? {normGradient} : default";
                    w.Line($"// {layer.Property}: ∂weight += Σ ∂y ⊙ x̂, ∂bias += Σ ∂y, ∂x through the normalisation");
                    w.Line($"global::Unroll.Kernels.Normalization.LayerNormBackward(a.Slice(Layout.{buffers.OutputGradient}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}),");
                    w.Line($"    a.Slice(Layout.{buffers.Normalization!.Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{buffers.Normalization.InverseDeviation}, {rows}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}),");
                    w.Line($"    {normGradient}, a.Slice(Layout.{buffers.Normalization.Scratch}, {layer.Out}), {rows}, {layer.Out});");
                    break;
                case LayerKind.Dropout:
                    if (inputGradient is not null)
                    {
                        string count = $"{rows} * {layer.Out}";
                        w.Line($"// {layer.Property}: ∂x = ∂y ⊙ mask (∂y when the Forward did not train)");
                        w.Line($"{(guard.Length > 0 ? "if (inputGradient) " : "")}{{");
                        w.Line($"    if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{buffers.OutputGradient}, {count}), a.Slice(Layout.{buffers.Mask}, {count}), a.Slice(Layout.{inputGradient}, {count}));");
                        w.Line($"    else a.Slice(Layout.{buffers.OutputGradient}, {count}).CopyTo(a.Slice(Layout.{inputGradient}, {count}));");
                        w.Line("}");
                    }
                    break;
                case LayerKind.Linear:
                    w.Line($"// {layer.Property}: ∂W += ∂yᵀ·x{(layer.Bias ? ", ∂b += Σ ∂y" : "")}, over every row at once");
                    w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, a.Slice(Layout.{input}), {layer.In}, g.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, {rows}, {layer.Out}, {layer.In});");
                    if (layer.Bias) w.Line($"{Blas}.SumRowsAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, {rows}, {layer.Out}, g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}));");
                    if (inputGradient is not null)
                    {
                        w.Line($"// ∂x = ∂y·W   ([{rows} x {layer.Out}] · [{layer.Out} x {layer.In}])");
                        w.Line($"{guard}{Blas}.Multiply(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, p.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, a.Slice(Layout.{inputGradient}), {layer.In}, {rows}, {layer.In}, {layer.Out}, accumulate: false);");
                    }
                    break;
                default:
                    int H = layer.Hidden, DH = layer.Directions * H;
                    string topGradient = buffers.SequenceGradients[buffers.SequenceGradients.Count - 1];
                    if (!layer.ReturnSequences)
                    {
                        w.Line($"// {layer.Property} returned only its last step: its gradient enters there, every other step gets none from above");
                        w.Line($"a.Slice(Layout.{topGradient}, length * {B * DH}).Clear();");
                        w.Line($"{Blas}.CopyRows(a.Slice(Layout.{buffers.OutputGradient}), {DH}, a.Slice(Layout.{topGradient} + (length - 1) * {B * DH}), {DH}, {B}, {H});");
                        if (layer.Directions == 2)
                            w.Line($"{Blas}.CopyRows(a.Slice(Layout.{buffers.OutputGradient} + {H}), {DH}, a.Slice(Layout.{topGradient} + {H}), {DH}, {B}, {H});");
                    }
                    for (int l = layer.NumLayers - 1; l >= 0; l--)
                    {
                        if (l < buffers.Dropped.Count)
                        {
                            w.Line($"// ∂ of {layer.Property} layer {l}'s states through its dropout mask");
                            w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{buffers.SequenceGradients[l]}, length * {B * DH}), a.Slice(Layout.{buffers.DroppedMasks[l]}, length * {B * DH}), a.Slice(Layout.{buffers.SequenceGradients[l]}, length * {B * DH}));");
                        }
                        string x = LayerInput(buffers, input, l);
                        string? dx = l == 0 ? inputGradient : buffers.SequenceGradients[l - 1];
                        string dxGuard = l == 0 ? guard : "";
                        int inK = l == 0 ? layer.In : DH;
                        if (dx is not null)
                        {
                            w.Line($"// ∂ of the input of {layer.Property} layer {l}{(layer.Directions == 2 ? ": both directions add into it" : ", accumulated below")}");
                            w.Line($"{dxGuard}a.Slice(Layout.{dx}, length * {B * inK}).Clear();");
                        }
                        for (int d = 0; d < layer.Directions; d++)
                        {
                            WriteCellBackward(w, plan, layer, buffers, l, d, x, dx is null ? null : (dx, dxGuard));
                        }
                    }
                    break;
            }
        }
        w.Close();
        w.Line();
    }

    private static void WriteCellBackward(SourceWriter w, ModelPlan plan, LayerPlan layer, LayerBuffers buffers, int l, int d, string input, (string Name, string Guard)? inputGradient)
    {
        int B = plan.BatchSize, H = layer.Hidden, DH = layer.Directions * H, G = Planner.Gates(layer.Kind);
        int inK = l == 0 ? layer.In : DH;
        int cacheWidth = layer.Kind == LayerKind.Rnn ? H : 4 * H;
        bool reverse = d == 1;
        CellBuffers cell = buffers.Cells[l * layer.Directions + d];
        int first = (l * layer.Directions + d) * 4;
        string wIh = "Layout." + layer.ParameterNames[first], wHh = "Layout." + layer.ParameterNames[first + 1];
        string bIh = "Layout." + layer.ParameterNames[first + 2], bHh = "Layout." + layer.ParameterNames[first + 3];
        string rows = $"length * {B}";
        int gw = G * H; // width of the gate gradients
        bool lstm = layer.Kind == LayerKind.Lstm, gru = layer.Kind == LayerKind.Gru;

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
        if (plan.Decoder is { } decoder && plan.Layers[decoder.Bridge] == layer && l == layer.NumLayers - 1)
        {
            w.Line($"// the decoder started from this final state: ∂s_0{(decoder.Lstm && lstm ? " and ∂c_0" : "")} add in");
            w.Line($"{Blas}.AddRows(a.Slice({DecoderState(plan, 2)}{(reverse ? $" + {H}" : "")}), {decoder.Hidden}, dhNext, {H}, {B}, {H});");
            if (decoder.Lstm && lstm) w.Line($"{Blas}.AddRows(a.Slice({DecoderState(plan, 6)}{(reverse ? $" + {H}" : "")}), {decoder.Hidden}, dc, {H}, {B}, {H});");
        }

        w.Open("for (int s = 0; s < length; s++)");
        w.Line(reverse ? "int t = s;" : "int t = length - 1 - s;");
        string prev = reverse ? "t + 1" : "t - 1";
        if (lstm || gru) w.Line("bool first = s == length - 1; // the step that read the initial state");
        if (gru)
        {
            w.Line($"{ReadOnlySpan} hPrev = first ? a.Slice({State(plan, layer, 0, l, d)}, {B * H}) : h.Slice(({prev}) * {B * DH});");
            w.Line(DH == H ? $"const int ldPrev = {H};" : $"int ldPrev = first ? {H} : {DH};");
        }
        if (lstm) w.Line($"{ReadOnlySpan} cPrev = first ? a.Slice({State(plan, layer, 4, l, d)}, {B * H}) : c.Slice(({prev}) * {B * H});");
        string dHh = gru ? "dGh" : "dG";
        string savedDh = $"a.Slice(Layout.Scratch_HeldDh, {B * H})", savedDc = lstm ? $"a.Slice(Layout.Scratch_HeldDc, {B * H})" : "default";
        w.Line($"global::Unroll.Kernels.Packing.SaveCarried(_rowLengths, t, dhNext, {(lstm ? "dc" : "default")}, {savedDh}, {savedDc}, {H}); // held rows (packed sequences)");
        switch (layer.Kind)
        {
            case LayerKind.Lstm:
                w.Line($"{Cells}.LstmBackward(cache.Slice(t * {B * 4 * H}), cPrev, c.Slice(t * {B * H}), dh.Slice(t * {B * DH}), {DH}, dhNext, dc, dG.Slice(t * {B * gw}), {B}, {H});");
                break;
            case LayerKind.Gru:
                w.Line($"{Cells}.GruBackward(cache.Slice(t * {B * 4 * H}), hPrev, ldPrev, dh.Slice(t * {B * DH}), {DH}, dhNext, dG.Slice(t * {B * gw}), dGh.Slice(t * {B * gw}), {B}, {H});");
                break;
            default:
                string nl = layer.Nonlinearity == 1 ? "Relu" : "Tanh";
                w.Line($"{Cells}.RnnBackward(h.Slice(t * {B * DH}), {DH}, dh.Slice(t * {B * DH}), {DH}, dhNext, dG.Slice(t * {B * gw}), {B}, {H}, global::Unroll.Nonlinearity.{nl});");
                break;
        }
        w.Line($"global::Unroll.Kernels.Packing.PassHeld(_rowLengths, t, dh.Slice(t * {B * DH}), {DH}, {savedDh}, {savedDc}, dhNext, {(lstm ? "dc" : "default")}, dG.Slice(t * {B * gw}, {B * gw}), {(gru ? $"dGh.Slice(t * {B * gw}, {B * gw})" : "default")}, {gw}, {H});");
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
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}.Slice((length - 1) * {B * gw}), {gw}, {h0}, {H}, g.Slice({wHh}), {H}, {B}, {gw}, {H});");
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}, {gw}, h.Slice({B * DH}), {DH}, g.Slice({wHh}), {H}, (length - 1) * {B}, {gw}, {H});");
        }
        else
        {
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}, {gw}, {h0}, {H}, g.Slice({wHh}), {H}, {B}, {gw}, {H});");
            w.Line($"{Blas}.MultiplyTransposedAAdd({dHh}.Slice({B * gw}), {gw}, h, {DH}, g.Slice({wHh}), {H}, (length - 1) * {B}, {gw}, {H});");
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

    /// <summary>Self-attention over <c>length</c> steps: the projections over every row at once, then each sequence and head.</summary>
    private static void WriteAttentionForward(SourceWriter w, ModelPlan plan, LayerPlan layer, LayerBuffers buffers, string input, string rows)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads;
        AttentionBuffers at = buffers.Attention!;
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: {Describe(layer)}: qkv = x·W_inᵀ + b_in; per sequence and head, softmax(q kᵀ/√{d}) v; y = ctx·W_outᵀ + b_out{(layer.Residual ? " + x" : "")}");
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
        w.Line($"global::Unroll.Kernels.Attention.Forward(qkv.Slice(head), {B * 3 * E}, qkv.Slice(head + {E}), {B * 3 * E}, qkv.Slice(head + {2 * E}), {B * 3 * E},");
        w.Line($"    a.Slice(Layout.{at.Weights} + (b * {heads} + h) * length * length, length * length), context.Slice(b * {E} + h * {d}), {B * E}, length, length, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: {(layer.Causal ? "true" : "false")}, validKeys: _rowLengths[b]);");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{names[2]}), {E}, y, {E}, {rows}, {E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(y, {E}, {rows}, {E}, p.Slice(Layout.{names[3]}, {E}));");
        if (layer.Residual) w.Line($"{Blas}.AddRows(x, {E}, y, {E}, {rows}, {E}); // the residual connection");
        w.Close();
    }

    /// <summary>Causal self-attention, one step: the new keys and values join the cache, the new query attends over the cache.</summary>
    private static void WriteSelfAttentionStep(SourceWriter w, ModelPlan plan, LayerPlan layer, LayerBuffers buffers, string input)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads, T = plan.SequenceLength;
        AttentionBuffers at = buffers.Attention!;
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: {Describe(layer)}, one step: qkv = x·W_inᵀ + b_in; k, v join the cache at _stepPosition; q attends over positions 0 … _stepPosition");
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
        w.Line($"global::Unroll.Kernels.Attention.Forward(qkv.Slice(b * {3 * E} + h * {d}), {3 * E}, cache.Slice(head), {B * 2 * E}, cache.Slice(head + {E}), {B * 2 * E},");
        w.Line($"    a.Slice(Layout.{at.Weights} + (b * {heads} + h) * {T}, keys), context.Slice(b * {E} + h * {d}), {E}, 1, keys, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: false);");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{names[2]}), {E}, y, {E}, {B}, {E}, {E}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(y, {E}, {B}, {E}, p.Slice(Layout.{names[3]}, {E}));");
        if (layer.Residual) w.Line($"{Blas}.AddRows(x, {E}, y, {E}, {B}, {E}); // the residual connection");
        w.Close();
    }

    private static void WriteAttentionBackward(SourceWriter w, ModelPlan plan, LayerPlan layer, LayerBuffers buffers, string input, string? inputGradient, string guard, string rows)
    {
        int B = plan.BatchSize, E = layer.Out, heads = layer.NumHeads, d = E / heads;
        AttentionBuffers at = buffers.Attention!;
        string[] names = layer.ParameterNames.ToArray();
        w.Line($"// {layer.Property}: backwards through out_proj, each sequence's and head's attention, then in_proj");
        w.Open("");
        w.Line($"{Span} x = a.Slice(Layout.{input});");
        w.Line($"{Span} qkv = a.Slice(Layout.{at.Qkv});");
        w.Line($"{Span} context = a.Slice(Layout.{at.Context});");
        w.Line($"{Span} dy = a.Slice(Layout.{buffers.OutputGradient});");
        w.Line($"{Span} dContext = a.Slice(Layout.{at.ContextGradient});");
        w.Line($"{Span} dQkv = a.Slice(Layout.{at.QkvGradient});");
        w.Line($"// ∂W_out += ∂yᵀ·ctx, ∂b_out += Σ ∂y, ∂ctx = ∂y·W_out");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dy, {E}, context, {E}, g.Slice(Layout.{names[2]}), {E}, {rows}, {E}, {E});");
        w.Line($"{Blas}.SumRowsAdd(dy, {E}, {rows}, {E}, g.Slice(Layout.{names[3]}, {E}));");
        w.Line($"{Blas}.Multiply(dy, {E}, p.Slice(Layout.{names[2]}), {E}, dContext, {E}, {rows}, {E}, {E}, accumulate: false);");
        w.Line($"dQkv.Slice(0, {rows} * {3 * E}).Clear();");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line($"int head = b * {3 * E} + h * {d};");
        w.Line("int block = (b * " + heads + " + h) * length * length;");
        w.Line($"global::Unroll.Kernels.Attention.Backward(qkv.Slice(head), {B * 3 * E}, qkv.Slice(head + {E}), {B * 3 * E}, qkv.Slice(head + {2 * E}), {B * 3 * E},");
        w.Line($"    a.Slice(Layout.{at.Weights} + block, length * length), dContext.Slice(b * {E} + h * {d}), {B * E}, a.Slice(Layout.{at.WeightsGradient} + block, length * length),");
        w.Line($"    dQkv.Slice(head), dQkv.Slice(head + {E}), dQkv.Slice(head + {2 * E}), a.Slice(Layout.{at.Scratch}, length * length), length, length, {d}, {d}, {F(1 / System.Math.Sqrt(d))}, causal: {(layer.Causal ? "true" : "false")}, validKeys: _rowLengths[b]);");
        w.Close();
        w.Close();
        w.Line($"// ∂W_in += ∂qkvᵀ·x, ∂b_in += Σ ∂qkv");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dQkv, {3 * E}, x, {E}, g.Slice(Layout.{names[0]}), {E}, {rows}, {3 * E}, {E});");
        w.Line($"{Blas}.SumRowsAdd(dQkv, {3 * E}, {rows}, {3 * E}, g.Slice(Layout.{names[1]}, {3 * E}));");
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
