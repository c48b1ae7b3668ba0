using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The attention decoder's passes, methods of the model of their own: <c>DecodeCore</c> (teacher-forced over the target
/// steps, after the encoder's <c>ForwardCore</c>), <c>DecodeBackwardCore</c> (before the encoder's <c>BackwardCore</c>) and
/// <c>DecodeStepCore</c> (one streaming step). Its buffers are time-major like the encoder's: <c>[time, batch, features]</c>.
/// </summary>
internal sealed partial class AttentionDecoderHandler
{
    /// <summary>keys = memory·W_hᵀ + b_h (additive) or memory·W_aᵀ (general), over every source row at once.</summary>
    internal static void WriteKeyProjection(SourceWriter w, AttentionDecoderPlan d, string memory, string keys, string rows)
    {
        string weight = d.Score == AttentionScore.Additive ? d.Wh! : d.Wa!;
        w.Line($"// keys: every encoder output projected once, {(d.Score == AttentionScore.Additive ? "W_h·h_j + b_h" : "W_a·h_j")}   ([{rows} x {d.Memory}] · [{d.Memory} x {d.Attention}])");
        w.Line($"{Blas}.MultiplyTransposed({memory}, {d.Memory}, p.Slice(Layout.{weight}), {d.Memory}, {keys}, {d.Attention}, {rows}, {d.Attention}, {d.Memory}, accumulate: false);");
        if (d.Score == AttentionScore.Additive) w.Line($"{Blas}.AddRowVector({keys}, {d.Attention}, {rows}, {d.Attention}, p.Slice(Layout.{d.Bh}, {d.Attention}));");
    }

    /// <summary>One attention step of row <c>b</c>: from the query state <c>sPrev</c> to the weights and the context.</summary>
    internal static void WriteAttentionStep(SourceWriter w, ModelPlan plan, string memory, string keys, string query, string tanh, string weights, string context, string sourceLength, string valid)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize, A = d.Attention, E = d.Memory, H = d.Hidden;
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"{Additive}.Forward({query}.Slice(b * {A}), {keys}.Slice(b * {A}), {B * A}, p.Slice(Layout.{d.V}, {A}), {memory}.Slice(b * {E}), {B * E}, {tanh}, a.Slice(Layout.{r.Scores}, {sourceLength}), {weights}, {context}, {sourceLength}, {valid}, {A}, {E});");
        }
        else
        {
            string k = d.Score == AttentionScore.Dot ? memory : keys;
            int ldk = d.Score == AttentionScore.Dot ? B * E : B * A;
            w.Line($"{Attention}.Forward(sPrev.Slice(b * {H}), {H}, {k}.Slice(b * {(d.Score == AttentionScore.Dot ? E : A)}), {ldk}, {memory}.Slice(b * {E}), {B * E}, {weights}, {context}, {E}, 1, {valid}, {H}, {E}, 1f, causal: false);");
            w.Line($"{weights}.Slice({valid}).Clear(); // padding: exactly 0");
        }
    }

    internal static void WriteDecodeCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H;
        bool tokens = d.Vocabulary > 0;
        w.Line($"/// <summary>{P}: {DescribeDecoder(d)}, teacher-forced over <paramref name=\"targetLength\"/> steps{(plan.InferenceOnly ? "" : "; the caches stay for <c>DecodeBackwardCore</c>")}.</summary>");
        w.Open("private void DecodeCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} memory = a.Slice(Layout.{Decoders.EncoderOutput(plan).Output}); // the encoder's outputs h_j, [source time, {B}, {E}]");
        if (d.Score != AttentionScore.Dot) w.Line($"{Span} keys = a.Slice(Layout.{r.Keys}); // [source time, {B}, {A}]");
        w.Line($"{Span} x = a.Slice(Layout.{(tokens ? r.Embedded : r.Target)}); // target inputs, [time, {B}, {I}]");
        w.Line($"{Span} hiddens = a.Slice(Layout.{r.Hiddens}); // s_0 … s_T, [time + 1, {B}, {H}]");
        if (d.Lstm) w.Line($"{Span} cells = a.Slice(Layout.{r.Cells}); // c_0 … c_T");
        w.Line($"{Span} cache = a.Slice(Layout.{r.Cache}); // [time, {B}, {4 * H}]");
        w.Line($"{Span} context = a.Slice(Layout.{r.Context}); // [time, {B}, {E}]");
        if (d.Score == AttentionScore.Additive) w.Line($"{Span} query = a.Slice(Layout.{r.Query}, {B * A});");
        w.Line("int rows = targetLength * " + B + ";");
        if (tokens)
        {
            w.Line($"// each target token id selects a row of the embedding");
            w.Line($"global::Unroll.Kernels.Embeddings.Gather({IntCast}(a.Slice(Layout.{r.Target}, rows)), p.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), x, {B}, targetLength, {I});");
        }
        w.Line($"a.Slice({DecoderState(plan, d, 0)}, {BH}).CopyTo(hiddens); // s_0");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, d, 4)}, {BH}).CopyTo(cells); // c_0");
        if (d.Score != AttentionScore.Dot) WriteKeyProjection(w, d, "memory", "keys", $"sourceLength * {B}");
        string biases = d.Lstm ? " + b_ih + b_hh" : " + b_ih";
        w.Line($"// the target inputs' share of the gates, every step at once: x·W_ih[:, :{I}]ᵀ{biases}   ([rows x {I}] · [{I} x {G}])");
        w.Line($"{Blas}.MultiplyTransposed(x, {I}, p.Slice(Layout.{d.WeightIh}), {I + E}, cache, {4 * H}, rows, {G}, {I}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(cache, {4 * H}, rows, {G}, p.Slice(Layout.{d.BiasIh}, {G}));");
        if (d.Lstm) w.Line($"{Blas}.AddRowVector(cache, {4 * H}, rows, {G}, p.Slice(Layout.{d.BiasHh}, {G}));");

        w.Open("for (int t = 0; t < targetLength; t++)");
        w.Line($"{ReadOnlySpan} sPrev = hiddens.Slice(t * {BH}, {BH});");
        w.Line($"{Span} gates = cache.Slice(t * {B * 4 * H}, {B * 4 * H});");
        w.Line($"{Span} ctx = context.Slice(t * {B * E}, {B * E});");
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"// the query W_s·s_{{t-1}}   ([{B} x {H}] · [{H} x {A}])");
            w.Line($"{Blas}.MultiplyTransposed(sPrev, {H}, p.Slice(Layout.{d.Ws}), {H}, query, {A}, {B}, {A}, {H}, accumulate: false);");
        }
        w.Line(d.Score switch
        {
            AttentionScore.Additive => "// per row: e_j = v·tanh(W_s·s + W_h·h_j + b_h) over its real source steps, a = softmax(e), ctx = Σ a_j h_j",
            AttentionScore.Dot => "// per row: e_j = s·h_j over its real source steps, a = softmax(e), ctx = Σ a_j h_j",
            _ => "// per row: e_j = s·(W_a·h_j) over its real source steps, a = softmax(e), ctx = Σ a_j h_j",
        });
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Line($"{Span} weights = a.Slice(Layout.{r.Weights} + (b * targetLength + t) * sourceLength, sourceLength);");
        WriteAttentionStep(w, plan, "memory", "keys", "query", $"a.Slice(Layout.{r.Tanh} + (t * {B} + b) * sourceLength * {A})", "weights", $"ctx.Slice(b * {E}, {E})", "sourceLength", "_rowLengths[b]");
        w.Close();
        w.Line($"// the context's share of the gates: ctx·W_ih[:, {I}:]ᵀ   ([{B} x {E}] · [{E} x {G}])");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.WeightIh} + {I}), {I + E}, gates, {4 * H}, {B}, {G}, {E}, accumulate: true);");
        WriteDecoderCell(w, d, r, B, "sPrev", "gates", d.Lstm ? "cells.Slice(t * " + BH + ", " + BH + ")" : "", d.Lstm ? $"cells.Slice((t + 1) * {BH}, {BH})" : "", $"hiddens.Slice((t + 1) * {BH}, {BH})");
        w.Close();

        w.Line("// s_n (and c_n): the state after the last step");
        w.Line($"hiddens.Slice(targetLength * {BH}, {BH}).CopyTo(a.Slice({DecoderState(plan, d, 1)}, {BH}));");
        if (d.Lstm) w.Line($"cells.Slice(targetLength * {BH}, {BH}).CopyTo(a.Slice({DecoderState(plan, d, 5)}, {BH}));");
        w.Line($"// outputs y_t = out.weight·[s_t ; ctx_t] + out.bias, every step at once   ([rows x {H + E}] · [{H + E} x {d.Output}])");
        w.Line($"{Span} y = a.Slice(Layout.{r.Output});");
        w.Line($"{Blas}.MultiplyTransposed(hiddens.Slice({BH}), {H}, p.Slice(Layout.{d.OutWeight}), {H + E}, y, {d.Output}, rows, {d.Output}, {H}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, y, {d.Output}, rows, {d.Output}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(y, {d.Output}, rows, {d.Output}, p.Slice(Layout.{d.OutBias}, {d.Output}));");
        w.Close();
        w.Line();
    }

    /// <summary>The cell update from the gates' input and context shares: adds the recurrent share and activates.</summary>
    internal static void WriteDecoderCell(SourceWriter w, AttentionDecoderPlan d, DecoderBuffers r, int B, string sPrev, string gates, string cPrev, string c, string s)
    {
        int H = d.Hidden;
        if (d.Lstm)
        {
            w.Line($"// gates += s_{{t-1}}·W_hhᵀ; i, f, g, o = σ, σ, tanh, σ; c_t = f⊙c_{{t-1}} + i⊙g; s_t = o⊙tanh(c_t)");
            w.Line($"{Blas}.MultiplyTransposed({sPrev}, {H}, p.Slice(Layout.{d.WeightHh}), {H}, {gates}, {4 * H}, {B}, {4 * H}, {H}, accumulate: true);");
            w.Line($"{Cells}.LstmForward({gates}, {cPrev}, {c}, {s}, {H}, {B}, {H});");
        }
        else
        {
            w.Line($"// gh = s_{{t-1}}·W_hhᵀ + b_hh; r, z = σ(x_rz + gh_rz); n = tanh(x_n + r⊙gh_n); s_t = (1 − z)⊙n + z⊙s_{{t-1}}");
            w.Line($"{Span} gh = a.Slice(Layout.{r.Gh}, {B * 3 * H});");
            w.Line($"{Blas}.MultiplyTransposed({sPrev}, {H}, p.Slice(Layout.{d.WeightHh}), {H}, gh, {3 * H}, {B}, {3 * H}, {H}, accumulate: false);");
            w.Line($"{Blas}.AddRowVector(gh, {3 * H}, {B}, {3 * H}, p.Slice(Layout.{d.BiasHh}, {3 * H}));");
            w.Line($"{Cells}.GruForward({gates}, gh, {sPrev}, {H}, {s}, {H}, {B}, {H});");
        }
    }

    internal static void WriteDecodeBackwardCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H, O = d.Output;
        bool tokens = d.Vocabulary > 0;
        w.Line($"/// <summary>{P} backwards over the steps of the last <c>Forward</c>: parameter gradients accumulate; ∂ encoder outputs and ∂s_0 go to the encoder.</summary>");
        w.Open("private void DecodeBackwardCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} g = a.Slice(Layout.Gradients, ParameterCount);");
        w.Line($"{Span} memory = a.Slice(Layout.{Decoders.EncoderOutput(plan).Output});");
        w.Line($"{Span} dMemory = a.Slice(Layout.{Decoders.EncoderOutput(plan).OutputGradient}); // ∂ encoder outputs, written here for the encoder's backward");
        if (d.Score != AttentionScore.Dot)
        {
            w.Line($"{Span} keys = a.Slice(Layout.{r.Keys});");
            w.Line($"{Span} dKeys = a.Slice(Layout.{r.KeysGradient});");
        }
        w.Line($"{Span} x = a.Slice(Layout.{(tokens ? r.Embedded : r.Target)});");
        w.Line($"{Span} hiddens = a.Slice(Layout.{r.Hiddens});");
        if (d.Lstm) w.Line($"{Span} cells = a.Slice(Layout.{r.Cells});");
        w.Line($"{Span} cache = a.Slice(Layout.{r.Cache});");
        w.Line($"{Span} context = a.Slice(Layout.{r.Context});");
        w.Line($"{Span} dHiddens = a.Slice(Layout.{r.HiddensGradient}); // ∂s_t from the outputs, [time, {B}, {H}]");
        w.Line($"{Span} dContext = a.Slice(Layout.{r.ContextGradient});");
        w.Line($"{Span} dG = a.Slice(Layout.{r.GatesGradient});");
        if (!d.Lstm) w.Line($"{Span} dGh = a.Slice(Layout.{r.GhGradient});");
        w.Line($"{Span} carry = a.Slice(Layout.{r.Carry}, {BH}); // ∂s carried to the previous step");
        if (d.Lstm) w.Line($"{Span} cellCarry = a.Slice(Layout.{r.CellCarry}, {BH});");
        w.Line($"{Span} dy = a.Slice(Layout.{r.OutputGradient});");
        w.Line($"int rows = targetLength * {B}, sourceRows = sourceLength * {B};");
        if (!d.Trainable) w.Line("// frozen (Trainable = false): the gradients below pass through, and no parameter's accumulates");
        w.Line();
        w.Line("// the output head: ∂out.weight += ∂yᵀ·[s ; ctx], ∂out.bias += Σ ∂y; ∂s_t = ∂y·out.weight[:, :H], ∂ctx_t = ∂y·out.weight[:, H:]");
        Gradient($"{Blas}.MultiplyTransposedAAdd(dy, {O}, hiddens.Slice({BH}), {H}, g.Slice(Layout.{d.OutWeight}), {H + E}, rows, {O}, {H});");
        Gradient($"{Blas}.MultiplyTransposedAAdd(dy, {O}, context, {E}, g.Slice(Layout.{d.OutWeight} + {H}), {H + E}, rows, {O}, {E});");
        Gradient($"{Blas}.SumRowsAdd(dy, {O}, rows, {O}, g.Slice(Layout.{d.OutBias}, {O}));");
        w.Line($"{Blas}.Multiply(dy, {O}, p.Slice(Layout.{d.OutWeight}), {H + E}, dHiddens, {H}, rows, {H}, {O}, accumulate: false);");
        w.Line($"{Blas}.Multiply(dy, {O}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, dContext, {E}, rows, {E}, {O}, accumulate: false);");
        w.Line();
        w.Line("// ∂s_n and ∂c_n enter after the last step; the attention adds into ∂ encoder outputs and ∂ keys");
        w.Line($"a.Slice({DecoderState(plan, d, 3)}, {BH}).CopyTo(carry);");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, d, 7)}, {BH}).CopyTo(cellCarry);");
        w.Line($"dMemory.Slice(0, sourceRows * {E}).Clear();");
        if (d.Score != AttentionScore.Dot) w.Line($"dKeys.Slice(0, sourceRows * {A}).Clear();");
        w.Open("for (int t = targetLength - 1; t >= 0; t--)");
        w.Line($"{ReadOnlySpan} sPrev = hiddens.Slice(t * {BH}, {BH});");
        w.Line($"{Span} dGates = dG.Slice(t * {B * G}, {B * G});");
        if (d.Lstm)
        {
            w.Line("// through the cell: ∂gates_t, ∂c_{t-1}; then ∂s_{t-1} = ∂gates_t·W_hh");
            w.Line($"{Cells}.LstmBackward(cache.Slice(t * {B * 4 * H}), cells.Slice(t * {BH}, {BH}), cells.Slice((t + 1) * {BH}, {BH}), dHiddens.Slice(t * {BH}), {H}, carry, cellCarry, dGates, {B}, {H});");
            w.Line($"{Blas}.Multiply(dGates, {G}, p.Slice(Layout.{d.WeightHh}), {H}, carry, {H}, {B}, {H}, {G}, accumulate: true);");
        }
        else
        {
            w.Line("// through the cell: ∂ of both gate sides; then ∂s_{t-1} = ∂s_t⊙z + ∂gh_t·W_hh");
            w.Line($"{Cells}.GruBackward(cache.Slice(t * {B * 4 * H}), sPrev, {H}, dHiddens.Slice(t * {BH}), {H}, carry, dGates, dGh.Slice(t * {B * G}), {B}, {H});");
            w.Line($"{Blas}.Multiply(dGh.Slice(t * {B * G}), {G}, p.Slice(Layout.{d.WeightHh}), {H}, carry, {H}, {B}, {H}, {G}, accumulate: true);");
        }
        w.Line($"// ∂ctx_t += ∂gates_t·W_ih[:, {I}:]");
        w.Line($"{Span} dCtx = dContext.Slice(t * {B * E}, {B * E});");
        w.Line($"{Blas}.Multiply(dGates, {G}, p.Slice(Layout.{d.WeightIh} + {I}), {I + E}, dCtx, {E}, {B}, {E}, {G}, accumulate: true);");
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"{Span} dQuery = a.Slice(Layout.{r.QueryGradient} + t * {B * A}, {B * A});");
            w.Line("dQuery.Clear();");
        }
        w.Line("// through each row's attention: ∂ encoder outputs, ∂ keys, ∂ query");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Line("int valid = _rowLengths[b];");
        w.Line($"int row = (b * targetLength + t) * sourceLength;");
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"{Additive}.Backward(p.Slice(Layout.{d.V}, {A}), memory.Slice(b * {E}), {B * E}, a.Slice(Layout.{r.Tanh} + (t * {B} + b) * sourceLength * {A}), a.Slice(Layout.{r.Weights} + row, sourceLength), dCtx.Slice(b * {E}, {E}), a.Slice(Layout.{r.WeightsGradient} + row, sourceLength), default, dMemory.Slice(b * {E}), dKeys.Slice(b * {A}), {B * A}, dQuery.Slice(b * {A}), {(d.Trainable ? $"g.Slice(Layout.{d.V}, {A})" : "default")}, a.Slice(Layout.{r.Scratch}), valid, {A}, {E});");
        }
        else
        {
            string k = d.Score == AttentionScore.Dot ? "memory" : "keys", dk = d.Score == AttentionScore.Dot ? "dMemory" : "dKeys";
            int width = d.Score == AttentionScore.Dot ? E : A, ldk = d.Score == AttentionScore.Dot ? B * E : B * A;
            w.Line($"{Attention}.Backward(sPrev.Slice(b * {H}), {H}, {k}.Slice(b * {width}), {ldk}, memory.Slice(b * {E}), {B * E}, a.Slice(Layout.{r.Weights} + row, valid), dCtx.Slice(b * {E}), {E}, a.Slice(Layout.{r.WeightsGradient} + row, valid), carry.Slice(b * {H}), {dk}.Slice(b * {width}), dMemory.Slice(b * {E}), a.Slice(Layout.{r.Scratch}), 1, valid, {H}, {E}, 1f, causal: false);");
        }
        w.Close();
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"// ∂s_{{t-1}} += ∂query·W_s");
            w.Line($"{Blas}.Multiply(dQuery, {A}, p.Slice(Layout.{d.Ws}), {H}, carry, {H}, {B}, {H}, {A}, accumulate: true);");
        }
        w.Close();
        w.Line();
        w.Line(d.Lstm ? "// ∂s_0 and ∂c_0, for the encoder's final states" : "// ∂s_0, for the encoder's final state");
        w.Line($"carry.CopyTo(a.Slice({DecoderState(plan, d, 2)}, {BH}));");
        if (d.Lstm) w.Line($"cellCarry.CopyTo(a.Slice({DecoderState(plan, d, 6)}, {BH}));");
        string dRecurrent = d.Lstm ? "dG" : "dGh";
        w.Line("// the cell's weights over every step at once: ∂W_hh += ∂gatesᵀ·s_{t-1}, ∂W_ih += ∂gatesᵀ·[x ; ctx], and the biases");
        Gradient($"{Blas}.MultiplyTransposedAAdd({dRecurrent}, {G}, hiddens, {H}, g.Slice(Layout.{d.WeightHh}), {H}, rows, {G}, {H});");
        Gradient($"{Blas}.SumRowsAdd({dRecurrent}, {G}, rows, {G}, g.Slice(Layout.{d.BiasHh}, {G}));");
        Gradient($"{Blas}.MultiplyTransposedAAdd(dG, {G}, x, {I}, g.Slice(Layout.{d.WeightIh}), {I + E}, rows, {G}, {I});");
        Gradient($"{Blas}.MultiplyTransposedAAdd(dG, {G}, context, {E}, g.Slice(Layout.{d.WeightIh} + {I}), {I + E}, rows, {G}, {E});");
        Gradient($"{Blas}.SumRowsAdd(dG, {G}, rows, {G}, g.Slice(Layout.{d.BiasIh}, {G}));");
        string dx = (tokens ? r.EmbeddedGradient : r.TargetGradient)!;
        w.Line($"// ∂ target inputs = ∂gates·W_ih[:, :{I}]{(tokens ? ", scattered into the embedding's rows" : "")}");
        w.Line($"{Blas}.Multiply(dG, {G}, p.Slice(Layout.{d.WeightIh}), {I + E}, a.Slice(Layout.{dx}), {I}, rows, {I}, {G}, accumulate: false);");
        if (tokens)
        {
            Gradient($"global::Unroll.Kernels.Embeddings.ScatterAdd({IntCast}(a.Slice(Layout.{r.Target}, rows)), a.Slice(Layout.{dx}), g.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), {B}, targetLength, {I});");
        }
        if (d.Score == AttentionScore.Additive)
        {
            w.Line("// ∂W_s += ∂queryᵀ·s_{t-1}; ∂W_h += ∂keysᵀ·h, ∂b_h += Σ ∂keys; ∂h += ∂keys·W_h");
            Gradient($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{r.QueryGradient}), {A}, hiddens, {H}, g.Slice(Layout.{d.Ws}), {H}, rows, {A}, {H});");
            Gradient($"{Blas}.MultiplyTransposedAAdd(dKeys, {A}, memory, {E}, g.Slice(Layout.{d.Wh}), {E}, sourceRows, {A}, {E});");
            Gradient($"{Blas}.SumRowsAdd(dKeys, {A}, sourceRows, {A}, g.Slice(Layout.{d.Bh}, {A}));");
            w.Line($"{Blas}.Multiply(dKeys, {A}, p.Slice(Layout.{d.Wh}), {E}, dMemory, {E}, sourceRows, {E}, {A}, accumulate: true);");
        }
        else if (d.Score == AttentionScore.General)
        {
            w.Line("// ∂W_a += ∂keysᵀ·h; ∂h += ∂keys·W_a");
            Gradient($"{Blas}.MultiplyTransposedAAdd(dKeys, {A}, memory, {E}, g.Slice(Layout.{d.Wa}), {E}, sourceRows, {A}, {E});");
            w.Line($"{Blas}.Multiply(dKeys, {A}, p.Slice(Layout.{d.Wa}), {E}, dMemory, {E}, sourceRows, {E}, {A}, accumulate: true);");
        }
        w.Close();
        w.Line();

        // A parameter gradient's line, left out when the decoder is frozen.
        void Gradient(string line)
        {
            if (d.Trainable) w.Line(line);
        }
    }

    internal static void WriteDecodeStepCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H;
        bool tokens = d.Vocabulary > 0;
        w.Line("/// <summary>One decoder step of every row from the running state, attending over the memory of the last <c>Encode</c>.</summary>");
        w.Open("private void DecodeStepCore(int sourceLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} memory = a.Slice(Layout.{r.StepMemory});");
        if (d.Score != AttentionScore.Dot) w.Line($"{Span} keys = a.Slice(Layout.{r.StepKeys});");
        if (d.Score == AttentionScore.Additive) w.Line($"{Span} query = a.Slice(Layout.{r.StepQuery}, {B * A});");
        w.Line($"{Span} x = a.Slice(Layout.{(tokens ? r.StepEmbedded : r.StepTarget)}, {B * I});");
        w.Line($"{Span} ctx = a.Slice(Layout.{r.StepContext}, {B * E});");
        w.Line($"{Span} gates = a.Slice(Layout.{r.StepCache}, {B * 4 * H});");
        w.Line($"{Span} sPrev = a.Slice({DecoderState(plan, d, 1)}, {BH}); // the running state");
        if (tokens) w.Line($"global::Unroll.Kernels.Embeddings.Gather({IntCast}(a.Slice(Layout.{r.StepTarget}, {B})), p.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), x, {B}, 1, {I});");
        if (d.Score == AttentionScore.Additive) w.Line($"{Blas}.MultiplyTransposed(sPrev, {H}, p.Slice(Layout.{d.Ws}), {H}, query, {A}, {B}, {A}, {H}, accumulate: false);");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Line($"{Span} weights = a.Slice(Layout.{r.StepWeights} + b * sourceLength, sourceLength);");
        WriteAttentionStep(w, plan, "memory", "keys", "query", $"a.Slice(Layout.{r.StepTanh})", "weights", $"ctx.Slice(b * {E}, {E})", "sourceLength", "_stepSourceLengths[b]");
        w.Close();
        string biases = d.Lstm ? " + b_ih + b_hh" : " + b_ih";
        w.Line($"// gates = x·W_ih[:, :{I}]ᵀ + ctx·W_ih[:, {I}:]ᵀ{biases}");
        w.Line($"{Blas}.MultiplyTransposed(x, {I}, p.Slice(Layout.{d.WeightIh}), {I + E}, gates, {4 * H}, {B}, {G}, {I}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.WeightIh} + {I}), {I + E}, gates, {4 * H}, {B}, {G}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(gates, {4 * H}, {B}, {G}, p.Slice(Layout.{d.BiasIh}, {G}));");
        if (d.Lstm) w.Line($"{Blas}.AddRowVector(gates, {4 * H}, {B}, {G}, p.Slice(Layout.{d.BiasHh}, {G}));");
        w.Line($"{Span} next = a.Slice(Layout.{r.StepNext}, {BH});");
        string c = $"a.Slice({DecoderState(plan, d, 5)}, {BH})";
        WriteDecoderCell(w, d, r, B, "sPrev", "gates", d.Lstm ? c : "", d.Lstm ? c : "", "next");
        w.Line("next.CopyTo(sPrev); // the running state moves on");
        w.Line($"{Span} y = a.Slice(Layout.{r.StepOutput}, {B * d.Output});");
        w.Line($"{Blas}.MultiplyTransposed(sPrev, {H}, p.Slice(Layout.{d.OutWeight}), {H + E}, y, {d.Output}, {B}, {d.Output}, {H}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, y, {d.Output}, {B}, {d.Output}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(y, {d.Output}, {B}, {d.Output}, p.Slice(Layout.{d.OutBias}, {d.Output}));");
        w.Close();
        w.Line();
    }
}
