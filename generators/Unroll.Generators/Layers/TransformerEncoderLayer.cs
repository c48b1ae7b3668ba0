using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[TransformerEncoderLayer(dModel, NumHeads, FeedForward, Dropout, Activation, NormFirst, Causal, LayerNormEps)]</c> as written.</summary>
internal sealed record TransformerEncoderLayerSpec(int DModel, int NumHeads, int FeedForward, double Dropout, ActivationFunction Activation, bool NormFirst, bool Causal, double LayerNormEps) : LayerSpec
{
    public override string Kind => "TransformerEncoderLayer";
}

/// <summary>An encoder layer's plan: its heads, feed-forward width, dropout, activation and norm placement (its width is <see cref="LayerPlan.Out"/>).</summary>
internal sealed record TransformerEncoderLayerPlan(int NumHeads, int FeedForward, double Dropout, ActivationFunction Activation, bool NormFirst, bool Causal, double LayerNormEps) : LayerPlan
{
    public override string Kind => "TransformerEncoderLayer";
}

/// <summary>
/// What an encoder layer keeps (rows are the pass's <c>[time, batch]</c> rows; E the width, F the feed-forward width):
/// the attention's own regions (<see cref="Attention"/>); <see cref="Residual"/>, the attention block's output plus its
/// input (E); the first norm's output, normalised rows and 1/σ; the feed-forward's pre-activation and activation (F), the
/// activation after dropout (F, training with dropout only); the second norm's (post-norm: the sum it normalises, E); the
/// three dropout masks; and (sequence pass) the gradients BPTT runs through.
/// </summary>
internal sealed record TransformerBuffers(
    AttentionBuffers Attention,
    string Residual,
    string Norm1,
    string Normalized1,
    string InverseDeviation1,
    string Hidden,
    string Activated,
    string? Dropped,
    string Norm2,
    string Normalized2,
    string InverseDeviation2,
    string? Mask1,
    string? HiddenMask,
    string? Mask2,
    string? ResidualGradient,
    string? NormGradient,
    string? HiddenGradient,
    string? Scratch) : LayerRegions;

/// <summary>
/// <c>[TransformerEncoderLayer(dModel)]</c> as <c>nn.TransformerEncoderLayer(dModel, nhead, dim_feedforward, dropout,
/// activation, layer_norm_eps, batch_first=True, norm_first)</c>, with its state-dict names (<c>self_attn.*</c>,
/// <c>linear1</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>); each row's keys end at its length (a key padding mask),
/// and a causal one streams with a cache of keys and values.
/// Post-norm: <c>y = norm2(s + ff(s))</c>, <c>s = norm1(x + sa(x))</c>; pre-norm: <c>y = s + ff(norm2(s))</c>, <c>s = x + sa(norm1(x))</c>.
/// </summary>
internal sealed class TransformerEncoderLayerHandler : LayerHandler<TransformerEncoderLayerSpec, TransformerEncoderLayerPlan>
{
    public override string Kind => "TransformerEncoderLayer";

    /// <summary>The view is <c>TransformerEncoderLayer</c>, as PyTorch's module (the attribute is <c>TransformerEncoderLayerAttribute</c>).</summary>
    public override string ViewType => "TransformerEncoderLayer";

    public override string? NeedsTimeAxis => "Attention layer";

    protected override TransformerEncoderLayerSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(1) is { } sizes
            ? new TransformerEncoderLayerSpec(sizes[0], arguments.Named("NumHeads", 1), arguments.Named("FeedForward", 2048), arguments.Named("Dropout", 0.1),
                (ActivationFunction)arguments.Named("Activation", 0), arguments.Named("NormFirst", false), arguments.Named("Causal", false), arguments.Named("LayerNormEps", 1e-5))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(TransformerEncoderLayerSpec layer) =>
        new[] { ("dModel", layer.DModel), ("NumHeads", layer.NumHeads), ("FeedForward", layer.FeedForward) };

    protected override int? InputWidth(TransformerEncoderLayerSpec layer) => layer.DModel;

    protected override int OutputWidth(TransformerEncoderLayerSpec layer, int inputWidth) => layer.DModel;

    protected override void CheckOptions(TransformerEncoderLayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics) =>
        CheckBlockOptions(layer, positive, layer.DModel, layer.NumHeads, layer.Dropout, layer.Activation, layer.LayerNormEps, diagnostics);

    /// <summary>A transformer block's options (an encoder or a decoder layer's): heads that divide d_model, the dropout, the activation, the norms' eps.</summary>
    internal static void CheckBlockOptions(LayerSpec layer, bool positive, int dModel, int heads, double dropout, ActivationFunction activation, double eps, List<DiagnosticInfo> diagnostics)
    {
        if (positive && dModel % heads != 0)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.HeadsDoNotDivide, layer.Location, heads, layer.Property, dModel));
        CheckProbability(layer, "Dropout", dropout, diagnostics);
        if (activation is < ActivationFunction.Relu or > ActivationFunction.LeakyRelu)
            Invalid(layer, "Activation", (int)activation, "an ActivationFunction value (Relu or Gelu, as PyTorch's; or Tanh, Sigmoid, Silu, LeakyRelu)", diagnostics);
        if (!(eps > 0 && eps < 1))
            Invalid(layer, "LayerNormEps", eps.ToString("R", CultureInfo.InvariantCulture), "above 0 and below 1", diagnostics);
    }

    /// <summary>PyTorch's state dict and initialisation: the attention as <c>nn.MultiheadAttention</c>'s, the linear maps as <c>nn.Linear</c>'s, the norms 1 and 0.</summary>
    protected override void AddParameters(TransformerEncoderLayerSpec layer, int inputWidth, ParameterAdder add)
    {
        int e = layer.DModel, f = layer.FeedForward;
        add("self_attn.in_proj_weight", new[] { 3 * e, e }, InitKind.Uniform, System.Math.Sqrt(6.0 / (e + 3 * e)));
        add("self_attn.in_proj_bias", new[] { 3 * e }, InitKind.Zero, 0);
        add("self_attn.out_proj.weight", new[] { e, e }, InitKind.Uniform, 1 / System.Math.Sqrt(e));
        add("self_attn.out_proj.bias", new[] { e }, InitKind.Zero, 0);
        add("linear1.weight", new[] { f, e }, InitKind.Uniform, 1 / System.Math.Sqrt(e));
        add("linear1.bias", new[] { f }, InitKind.Uniform, 1 / System.Math.Sqrt(e));
        add("linear2.weight", new[] { e, f }, InitKind.Uniform, 1 / System.Math.Sqrt(f));
        add("linear2.bias", new[] { e }, InitKind.Uniform, 1 / System.Math.Sqrt(f));
        add("norm1.weight", new[] { e }, InitKind.One, 0);
        add("norm1.bias", new[] { e }, InitKind.Zero, 0);
        add("norm2.weight", new[] { e }, InitKind.One, 0);
        add("norm2.bias", new[] { e }, InitKind.Zero, 0);
    }

    protected override TransformerEncoderLayerPlan Plan(TransformerEncoderLayerSpec layer) =>
        new(layer.NumHeads, layer.FeedForward, layer.Dropout, layer.Activation, layer.NormFirst, layer.Causal, layer.LayerNormEps);

    /// <summary>A causal layer streams over a cache of the earlier steps' keys and values; the other kind needs the whole sequence.</summary>
    protected override bool CanStream(TransformerEncoderLayerPlan layer) => layer.Causal;

    protected override LayerBuffers AddBuffers(TransformerEncoderLayerPlan layer, BufferContext c)
    {
        LayerBuffers buffers = OutputBuffers(layer, c);
        int e = layer.Out, f = layer.FeedForward;
        long rows = c.RowsOf(layer);
        bool gradients = c.Gradients, dropout = gradients && layer.Dropout > 0;
        string P = layer.Property;
        AttentionBuffers attention = SelfAttentionHandler.AddAttention(layer, layer.NumHeads, c);
        return buffers with
        {
            Regions = new TransformerBuffers(
                attention,
                c.Add(layer, "Residual", rows * e, $"{P} x + dropout(self_attn(…)), {c.Rows(e)}"),
                c.Add(layer, "Norm1", rows * e, layer.NormFirst ? $"{P} norm1(x), the attention's input, {c.Rows(e)}" : $"{P} norm1(x + self_attn(x)), {c.Rows(e)}"),
                c.Add(layer, "Normalized1", rows * e, $"{P} norm1's normalised rows x̂"),
                c.Add(layer, "InverseDeviation1", rows, $"{P} norm1's 1/√(var + eps) of each row"),
                c.Add(layer, "Hidden", rows * f, $"{P} linear1's output, {c.Rows(f)}"),
                c.Add(layer, "Activated", rows * f, $"{P} the activation of linear1's output, {c.Rows(f)}"),
                dropout ? c.Add(layer, "Dropped", rows * f, $"{P} the activation after dropout, {c.Rows(f)}") : null,
                c.Add(layer, "Norm2", rows * e, layer.NormFirst ? $"{P} norm2(s), the feed-forward's input, {c.Rows(e)}" : $"{P} s + linear2(…), which norm2 normalises, {c.Rows(e)}"),
                c.Add(layer, "Normalized2", rows * e, $"{P} norm2's normalised rows x̂"),
                c.Add(layer, "InverseDeviation2", rows, $"{P} norm2's 1/√(var + eps) of each row"),
                dropout ? c.Add(layer, "Mask1", rows * e, $"{P} dropout mask of the attention's output (0 or 1 / (1 − p))") : null,
                dropout ? c.Add(layer, "HiddenMask", rows * f, $"{P} dropout mask of the activation") : null,
                dropout ? c.Add(layer, "Mask2", rows * e, $"{P} dropout mask of linear2's output") : null,
                gradients ? c.Add(layer, "ResidualGradient", rows * e, $"∂ of {P}'s residual stream") : null,
                gradients ? c.Add(layer, "NormGradient", rows * e, $"∂ of {P}'s norm outputs") : null,
                gradients ? c.Add(layer, "HiddenGradient", rows * f, $"∂ of {P}'s feed-forward activations") : null,
                gradients ? c.Add(layer, "NormScratch", e, "one row") : null),
        };
    }

    protected override string Describe(TransformerEncoderLayerPlan layer) =>
        $"TransformerEncoderLayer({layer.Out}, {layer.NumHeads} head{(layer.NumHeads == 1 ? "" : "s")}, feed-forward {layer.FeedForward}, {Activation(layer)}"
        + $"{(layer.NormFirst ? ", norm first" : "")}{(layer.Causal ? ", causal" : "")}{(layer.Dropout > 0 ? $", dropout {layer.Dropout.ToString("R", CultureInfo.InvariantCulture)}" : "")})";

    protected override string ViewArguments(ModelPlan plan, TransformerEncoderLayerPlan layer, int index)
    {
        AttentionBuffers attention = Regions<TransformerBuffers>(plan.Sequence.Layers[index]).Attention;
        string gradient = attention.WeightsGradient is null ? "-1" : ArrayIndex("Layout." + attention.WeightsGradient);
        return $"_arena, {ArrayIndex("Layout." + attention.Weights)}, {gradient}, BatchSize, {layer.NumHeads}, SequenceLength, {layer.FeedForward}";
    }

    /// <summary>Streaming (causal) caches the keys and values of every step since <c>ResetState</c>.</summary>
    public override bool CachesSteps(ModelPlan plan, int index) => (plan.Step?.Layers[index].Regions as TransformerBuffers)?.Attention.KeyValueCache is not null;

    /// <summary>Its cache is a running state that <c>ReorderState</c> reorders.</summary>
    public override bool HasRunningState(ModelPlan plan, int index) => CachesSteps(plan, index);

    public override string StepHolder => "the attention caches";

    /// <summary>The keys and values of every cached step, gathered by row.</summary>
    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, TransformerEncoderLayerPlan layer, int index)
    {
        if ((plan.Step!.Layers[index].Regions as TransformerBuffers)?.Attention.KeyValueCache is not { } cache) return;
        int block = plan.BatchSize * 2 * layer.Out;
        w.Line($"// {layer.Property}: the keys and values of every cached step");
        w.Line($"for (int s = 0; s < _stepPosition; s++) {Blas}.GatherRows(a.Slice(Layout.{cache} + s * {block}, {block}), sources, {2 * layer.Out}, a.Slice(Layout.{cache} + {plan.SequenceLength} * {block}, {block}));");
    }

    protected override void WriteForward(LayerPass pass, TransformerEncoderLayerPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        var r = Regions<TransformerBuffers>(buffers);
        string rows = pass.Rows, x = pass.Input, P = layer.Property;
        int e = layer.Out, f = layer.FeedForward;
        string[] n = layer.ParameterNames.ToArray();
        bool dropout = r.Mask1 is not null;
        string E(string region) => $"a.Slice(Layout.{region}, {rows} * {e})";
        string Ff(string region) => $"a.Slice(Layout.{region}, {rows} * {f})";
        w.Line($"// {P}: {Describe(layer)}");
        w.Line(layer.NormFirst
            ? $"//   s = x + dropout(self_attn(norm1(x))); y = s + dropout(linear2(dropout({Activation(layer)}(linear1(norm2(s))))))"
            : $"//   s = norm1(x + dropout(self_attn(x))); y = norm2(s + dropout(linear2(dropout({Activation(layer)}(linear1(s))))))");
        w.Open("");
        string attentionInput = x;
        if (layer.NormFirst)
        {
            w.Line("// norm1(x), the attention's input");
            WriteNorm(w, layer.Out, layer.LayerNormEps, x, n[8], n[9], r.Norm1, r.Normalized1, r.InverseDeviation1, rows);
            attentionInput = r.Norm1;
        }
        var (attention, attentionBuffers) = SelfAttention(layer, r, null);
        if (pass.Streaming) SelfAttentionHandler.WriteSelfAttentionStep(w, plan, attention, attentionBuffers, attentionInput);
        else SelfAttentionHandler.WriteAttentionForward(w, plan, attention, attentionBuffers, attentionInput, rows);
        if (dropout) w.Line($"if (_forwardTraining) {Dropout}.Forward({E(r.Residual)}, {E(r.Mask1!)}, {E(r.Residual)}, {F(layer.Dropout)}, DropoutGenerator); // dropout1");
        w.Line($"{Blas}.AddRows(a.Slice(Layout.{x}), {e}, a.Slice(Layout.{r.Residual}), {e}, {rows}, {e}); // the residual connection: x + attention");
        string feedInput;
        if (layer.NormFirst)
        {
            w.Line("// norm2(s), the feed-forward's input");
            WriteNorm(w, layer.Out, layer.LayerNormEps, r.Residual, n[10], n[11], r.Norm2, r.Normalized2, r.InverseDeviation2, rows);
            feedInput = r.Norm2;
        }
        else
        {
            w.Line("// norm1(x + attention)");
            WriteNorm(w, layer.Out, layer.LayerNormEps, r.Residual, n[8], n[9], r.Norm1, r.Normalized1, r.InverseDeviation1, rows);
            feedInput = r.Norm1;
        }
        w.Line($"// the feed-forward: linear1 ({e} → {f}), {Activation(layer)}, dropout, linear2 ({f} → {e})");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{feedInput}), {e}, p.Slice(Layout.{n[4]}), {e}, a.Slice(Layout.{r.Hidden}), {f}, {rows}, {f}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{r.Hidden}), {f}, {rows}, {f}, p.Slice(Layout.{n[5]}, {f}));");
        w.Line($"{Pointwise}.Activate({Ff(r.Hidden)}, {Ff(r.Activated)}, {ActivationArguments(layer)});");
        if (dropout) w.Line($"if (_forwardTraining) {Dropout}.Forward({Ff(r.Activated)}, {Ff(r.HiddenMask!)}, {Ff(r.Dropped!)}, {F(layer.Dropout)}, DropoutGenerator);");
        string sum = layer.NormFirst ? buffers.Output : r.Norm2; // where s + feed-forward goes
        w.Line($"{Blas}.MultiplyTransposed({LinearTwoInput(r)}, {f}, p.Slice(Layout.{n[6]}), {f}, a.Slice(Layout.{sum}), {e}, {rows}, {e}, {f}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{sum}), {e}, {rows}, {e}, p.Slice(Layout.{n[7]}, {e}));");
        if (dropout) w.Line($"if (_forwardTraining) {Dropout}.Forward({E(sum)}, {E(r.Mask2!)}, {E(sum)}, {F(layer.Dropout)}, DropoutGenerator); // dropout2");
        w.Line($"{Blas}.AddRows(a.Slice(Layout.{(layer.NormFirst ? r.Residual : r.Norm1)}), {e}, a.Slice(Layout.{sum}), {e}, {rows}, {e}); // the residual connection: s + feed-forward");
        if (!layer.NormFirst)
        {
            w.Line("// norm2(s + feed-forward), the output");
            WriteNorm(w, layer.Out, layer.LayerNormEps, r.Norm2, n[10], n[11], buffers.Output, r.Normalized2, r.InverseDeviation2, rows);
        }
        w.Close();
    }

    protected override void WriteBackward(LayerPass pass, TransformerEncoderLayerPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        var r = Regions<TransformerBuffers>(buffers);
        string rows = pass.Rows, x = pass.Input, P = layer.Property, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        int e = layer.Out, f = layer.FeedForward;
        string[] n = layer.ParameterNames.ToArray();
        bool dropout = r.Mask1 is not null, trains = layer.Trainable;
        string E(string region) => $"a.Slice(Layout.{region}, {rows} * {e})";
        string Ff(string region) => $"a.Slice(Layout.{region}, {rows} * {f})";
        string feedInput = layer.NormFirst ? r.Norm2 : r.Norm1;
        string dy = buffers.OutputGradient!, dSum = r.NormGradient!, dResidual = r.ResidualGradient!, dHidden = r.HiddenGradient!;
        w.Line($"// {P}: backwards through the feed-forward, {(layer.NormFirst ? "norm2, the attention and norm1" : "the norms and the attention")}{(trains ? "" : " (frozen: no parameter gradient)")}");
        w.Open("");
        string dFeed; // ∂ of linear2's output: a dropout's gradient region, or (without dropout) the one it came from
        if (layer.NormFirst)
        {
            w.Line(dropout ? "// y = s + dropout(ff): ∂ff = ∂y ⊙ mask2" : "// y = s + ff: ∂ff = ∂y");
            dFeed = DropoutBackward(dy, r.Mask2, dSum);
        }
        else
        {
            w.Line(dropout ? "// y = norm2(s + dropout(ff)): ∂(s + ff) through norm2, then ∂ff = that ⊙ mask2" : "// y = norm2(s + ff): ∂ff = ∂(s + ff), through norm2");
            WriteNormBackward(w, layer.Out, layer.Trainable, E(dy), n[10], n[11], r.Normalized2, r.InverseDeviation2, E(dResidual), r.Scratch!, rows);
            dFeed = DropoutBackward(dResidual, r.Mask2, dSum);
        }
        w.Line($"// linear2: ∂W2 += ∂ffᵀ·h, ∂b2 += Σ ∂ff; ∂h = ∂ff·W2, then through dropout and {Activation(layer)}");
        if (trains)
        {
            w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{dFeed}), {e}, {LinearTwoInput(r)}, {f}, g.Slice(Layout.{n[6]}), {f}, {rows}, {e}, {f});");
            w.Line($"{Blas}.SumRowsAdd(a.Slice(Layout.{dFeed}), {e}, {rows}, {e}, g.Slice(Layout.{n[7]}, {e}));");
        }
        w.Line($"{Blas}.Multiply(a.Slice(Layout.{dFeed}), {e}, p.Slice(Layout.{n[6]}), {f}, a.Slice(Layout.{dHidden}), {f}, {rows}, {f}, {e}, accumulate: false);");
        if (dropout) w.Line($"if (_forwardTraining) {Dropout}.Backward({Ff(dHidden)}, {Ff(r.HiddenMask!)}, {Ff(dHidden)});");
        w.Line($"{Pointwise}.ActivateBackward({Ff(r.Hidden)}, {Ff(r.Activated)}, {Ff(dHidden)}, {Ff(dHidden)}, {ActivationArguments(layer)});");
        w.Line("// linear1: ∂W1 += ∂uᵀ·(its input), ∂b1 += Σ ∂u; ∂(its input) = ∂u·W1");
        if (trains)
        {
            w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{dHidden}), {f}, a.Slice(Layout.{feedInput}), {e}, g.Slice(Layout.{n[4]}), {e}, {rows}, {f}, {e});");
            w.Line($"{Blas}.SumRowsAdd(a.Slice(Layout.{dHidden}), {f}, {rows}, {f}, g.Slice(Layout.{n[5]}, {f}));");
        }
        w.Line($"{Blas}.Multiply(a.Slice(Layout.{dHidden}), {f}, p.Slice(Layout.{n[4]}), {e}, a.Slice(Layout.{dSum}), {e}, {rows}, {e}, {f}, accumulate: false);");
        if (layer.NormFirst)
        {
            w.Line("// s = x + attention: ∂s = ∂y + ∂s through norm2");
            WriteNormBackward(w, layer.Out, layer.Trainable, E(dSum), n[10], n[11], r.Normalized2, r.InverseDeviation2, E(dResidual), r.Scratch!, rows);
            w.Line($"{Blas}.AddRows(a.Slice(Layout.{dy}), {e}, a.Slice(Layout.{dResidual}), {e}, {rows}, {e});");
        }
        else
        {
            w.Line("// s = norm1(x + attention): ∂s = ∂(s + ff) + ∂ through linear1, then through norm1");
            w.Line($"{Blas}.AddRows(a.Slice(Layout.{dResidual}), {e}, a.Slice(Layout.{dSum}), {e}, {rows}, {e});");
            WriteNormBackward(w, layer.Out, layer.Trainable, E(dSum), n[8], n[9], r.Normalized1, r.InverseDeviation1, E(dResidual), r.Scratch!, rows);
        }
        if (dropout) w.Line("// ∂ attention output = ∂(x + dropout(attention)) ⊙ mask1");
        var (attention, attentionBuffers) = SelfAttention(layer, r, DropoutBackward(dResidual, r.Mask1, dSum));
        if (layer.NormFirst)
        {
            // The attention read norm1(x): ∂norm1 goes to the norms' gradient region (with dropout the attention reads its
            // output gradient there, before it writes its input's), then through norm1 (its weight's gradient too) to ∂x.
            SelfAttentionHandler.WriteAttentionBackward(w, plan, attention, attentionBuffers, r.Norm1, dSum, "", rows);
            string dx = inputGradient is null ? "default" : guard.Length > 0 ? $"inputGradient ? {E(inputGradient)} : default" : E(inputGradient);
            w.Line("// ∂x = ∂s (the residual path) + ∂ through norm1");
            WriteNormBackward(w, layer.Out, layer.Trainable, E(dSum), n[8], n[9], r.Normalized1, r.InverseDeviation1, dx, r.Scratch!, rows);
            if (inputGradient is not null) w.Line($"{guard}{Blas}.AddRows(a.Slice(Layout.{dResidual}), {e}, a.Slice(Layout.{inputGradient}), {e}, {rows}, {e});");
        }
        else
        {
            SelfAttentionHandler.WriteAttentionBackward(w, plan, attention, attentionBuffers, x, inputGradient, guard, rows);
            if (inputGradient is not null)
                w.Line($"{guard}{Blas}.AddRows(a.Slice(Layout.{dResidual}), {e}, a.Slice(Layout.{inputGradient}), {e}, {rows}, {e}); // ∂x += ∂(x + attention): the residual path");
        }
        w.Close();

        string DropoutBackward(string gradient, string? mask, string target) => WriteDropoutBackward(w, gradient, mask, target, rows, e);
    }

    /// <summary>
    /// ∂ through a dropout of <c>[rows, e]</c> regions: the gradient ⊙ the mask into <paramref name="target"/> when the
    /// Forward trained, as it is otherwise; returns the region that then holds it (without dropout, the gradient's own:
    /// nothing to copy).
    /// </summary>
    internal static string WriteDropoutBackward(SourceWriter w, string gradient, string? mask, string target, string rows, int e)
    {
        if (mask is null) return gradient;
        string E(string region) => $"a.Slice(Layout.{region}, {rows} * {e})";
        w.Line($"if (_forwardTraining) {Dropout}.Backward({E(gradient)}, {E(mask)}, {E(target)});");
        w.Line($"else {E(gradient)}.CopyTo({E(target)});");
        return target;
    }

    /// <summary>
    /// The self-attention inside, as a <c>[SelfAttention]</c> layer's plan and buffers (its parameters the first four, its
    /// output the residual region, its output gradient <paramref name="outputGradient"/>), for <see cref="SelfAttentionHandler"/>'s passes.
    /// </summary>
    private static (SelfAttentionPlan Plan, LayerBuffers Buffers) SelfAttention(TransformerEncoderLayerPlan layer, TransformerBuffers r, string? outputGradient) =>
        (new SelfAttentionPlan(layer.NumHeads, layer.Causal, Residual: false)
        {
            Property = layer.Property + ".self_attn",
            In = layer.Out,
            Out = layer.Out,
            SequenceInput = layer.SequenceInput,
            SequenceOutput = layer.SequenceOutput,
            InputSteps = layer.InputSteps,
            OutputSteps = layer.OutputSteps,
            Length = layer.Length,
            RowLengths = layer.RowLengths,
            ParameterNames = layer.ParameterNames.Take(4).ToEquatableArray(),
            Trainable = layer.Trainable,
        },
        new LayerBuffers(r.Residual, outputGradient) { Regions = r.Attention });

    /// <summary>What linear2 reads: the activation, after dropout when the <c>Forward</c> trained.</summary>
    private static string LinearTwoInput(TransformerBuffers r) =>
        r.Dropped is { } dropped ? $"_forwardTraining ? a.Slice(Layout.{dropped}) : a.Slice(Layout.{r.Activated})" : $"a.Slice(Layout.{r.Activated})";

    /// <summary>A LayerNorm of every row, keeping x̂ and 1/σ.</summary>
    internal static void WriteNorm(SourceWriter w, int e, double eps, string input, string weight, string bias, string output, string normalized, string inverse, string rows)
    {
        w.Line($"{Normalization}.LayerNormForward(a.Slice(Layout.{input}, {rows} * {e}), p.Slice(Layout.{weight}, {e}), p.Slice(Layout.{bias}, {e}), a.Slice(Layout.{output}, {rows} * {e}),");
        w.Line($"    a.Slice(Layout.{normalized}, {rows} * {e}), a.Slice(Layout.{inverse}, {rows}), {rows}, {e}, {F(eps)});");
    }

    /// <summary>Backwards through a LayerNorm: its weight's and bias's gradients (unless frozen), and ∂ of its input into <paramref name="inputGradient"/>.</summary>
    internal static void WriteNormBackward(SourceWriter w, int e, bool trainable, string outputGradient, string weight, string bias, string normalized, string inverse, string inputGradient, string scratch, string rows)
    {
        string gradients = trainable ? $"g.Slice(Layout.{weight}, {e}), g.Slice(Layout.{bias}, {e})" : "default, default";
        w.Line($"{Normalization}.LayerNormBackward({outputGradient}, p.Slice(Layout.{weight}, {e}), a.Slice(Layout.{normalized}, {rows} * {e}), a.Slice(Layout.{inverse}, {rows}),");
        w.Line($"    {gradients}, {inputGradient}, a.Slice(Layout.{scratch}, {e}), {rows}, {e});");
    }

    private static string Activation(TransformerEncoderLayerPlan layer) => ActivationName(layer.Activation);

    /// <summary>A feed-forward's activation as PyTorch names it.</summary>
    internal static string ActivationName(ActivationFunction activation) => activation switch
    {
        ActivationFunction.Relu => "ReLU",
        ActivationFunction.Gelu => "GELU",
        _ => activation.ToString(),
    };

    private static string ActivationArguments(TransformerEncoderLayerPlan layer) => ActivationArguments(layer.Activation);

    /// <summary>The arguments of <c>Pointwise.Activate</c> after the spans, for a feed-forward's activation.</summary>
    internal static string ActivationArguments(ActivationFunction activation) =>
        $"global::Unroll.ActivationFunction.{activation}, global::Unroll.GeluApproximation.None, 0.01f";

    internal const string Dropout = "global::Unroll.Kernels.Dropout", Pointwise = "global::Unroll.Kernels.Pointwise";

    private const string Normalization = "global::Unroll.Kernels.Normalization";
}
