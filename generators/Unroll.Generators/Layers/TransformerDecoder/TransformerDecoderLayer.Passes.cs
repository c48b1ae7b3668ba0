using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The transformer decoder's passes, methods of the model of their own: <c>DecodeCore</c> (teacher-forced over the target
/// steps, after the encoder's <c>ForwardCore</c>), <c>DecodeBackwardCore</c> (before the encoder's <c>BackwardCore</c>) and
/// <c>DecodeStepCore</c> (one streaming step). Its buffers are time-major like the encoder's: <c>[time, batch, features]</c>.
/// In the sequence pass every row's target steps are real (a causal mask: padding after them changes none of them) and
/// its cross-attention reads its own source steps (<c>_rowLengths</c>, the memory's key padding mask).
/// </summary>
internal sealed partial class TransformerDecoderLayerHandler
{
    private const string Attention = "global::Unroll.Kernels.Attention";
    private const string IntCast = "global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>";

    private static void WriteDecodeCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize, e = d.DModel;
        w.Line($"/// <summary>{d.Property}: {DescribeDecoder(d)}, teacher-forced over <paramref name=\"targetLength\"/> steps{(plan.InferenceOnly ? "" : "; what it keeps stays for <c>DecodeBackwardCore</c>")}.</summary>");
        w.Open("private void DecodeCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} memory = a.Slice(Layout.{Decoders.EncoderOutput(plan).Output}); // the encoder's outputs, [source time, {B}, {e}]");
        w.Line($"int rows = targetLength * {B}, sourceRows = sourceLength * {B};");
        WriteTargetInput(w, d, r.Target, r.Embedded, r.PositionTable, "targetLength", "0");
        for (int i = 0; i < d.NumLayers; i++)
        {
            WriteKeyValues(w, d, i, "memory", $"a.Slice(Layout.{r.Layers[i].KeyValues})", "sourceRows");
            WriteLayerForward(w, plan, d, i, r.Layers[i], i == 0 ? r.Embedded : r.Layers[i - 1].Output, step: false);
        }
        WriteHead(w, d, r.Layers[d.NumLayers - 1].Output, r.FinalNorm, r.FinalNormalized, r.FinalInverseDeviation, r.Output, "rows");
        w.Close();
        w.Line();
    }

    private static void WriteDecodeStepCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize;
        w.Line("/// <summary>One decoder step of every row at <c>_decodePosition</c>, attending over the cached steps and the memory of the last <c>Encode</c>.</summary>");
        w.Open("private void DecodeStepCore(int sourceLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        WriteTargetInput(w, d, r.StepTarget, r.StepEmbedded, r.PositionTable, "1", "_decodePosition");
        for (int i = 0; i < d.NumLayers; i++)
        {
            WriteLayerForward(w, plan, d, i, r.StepLayers[i], i == 0 ? r.StepEmbedded : r.StepLayers[i - 1].Output, step: true);
        }
        WriteHead(w, d, r.StepLayers[d.NumLayers - 1].Output, r.StepFinalNorm, r.StepFinalNormalized, r.StepFinalInverseDeviation, r.StepOutput, B.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.Line("_decodePosition++;");
        w.Close();
        w.Line();
    }

    /// <summary>The first layer's input: the target's embedding (or features) plus the positions from <paramref name="position"/> on.</summary>
    private static void WriteTargetInput(SourceWriter w, TransformerDecoderLayerPlan d, string target, string embedded, string? positionTable, string steps, string position)
    {
        int e = d.DModel;
        string B = "BatchSize", rows = steps == "1" ? B : $"{steps} * {B}";
        if (d.Vocabulary > 0)
        {
            w.Line("// each target token id selects a row of the embedding");
            w.Line($"global::Unroll.Kernels.Embeddings.Gather({IntCast}(a.Slice(Layout.{target}, {rows})), p.Slice(Layout.{d.Embedding}, {d.Vocabulary * e}), a.Slice(Layout.{embedded}), {B}, {steps}, {e});");
        }
        else
        {
            w.Line($"a.Slice(Layout.{target}, {rows} * {e}).CopyTo(a.Slice(Layout.{embedded})); // the target features");
        }
        string table = positionTable is not null ? $"a.Slice(Layout.{positionTable})" : $"p.Slice(Layout.{d.PositionWeight})";
        w.Line($"// plus the {(positionTable is not null ? "sinusoidal" : "learned")} positions{(position == "0" ? "" : $" of step {position}")}");
        w.Line($"global::Unroll.Kernels.Positions.Add(a.Slice(Layout.{embedded}), {table}.Slice({(position == "0" ? "0" : $"{position} * {e}")}), a.Slice(Layout.{embedded}), {steps}, {B}, {e});");
    }

    /// <summary>The final norm (norm first) and <c>out</c> over <paramref name="rows"/> rows of the last layer's output.</summary>
    private static void WriteHead(SourceWriter w, TransformerDecoderLayerPlan d, string top, string norm, string normalized, string inverse, string output, string rows)
    {
        int e = d.DModel, O = d.Output;
        string input = top;
        if (d.NormFirst)
        {
            w.Line("// the final norm");
            TransformerEncoderLayerHandler.WriteNorm(w, e, d.LayerNormEps, top, d.FinalNorm!, d.FinalNormBias!, norm, normalized, inverse, rows);
            input = norm;
        }
        w.Line($"// outputs y = out.weight·x + out.bias   ([{rows} x {e}] · [{e} x {O}])");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{input}), {e}, p.Slice(Layout.{d.OutWeight}), {e}, a.Slice(Layout.{output}), {O}, {rows}, {O}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{output}), {O}, {rows}, {O}, p.Slice(Layout.{d.OutBias}, {O}));");
    }


    /// <summary>
    /// Layer <paramref name="i"/> over the target rows (<paramref name="step"/> false: <c>rows</c> rows of
    /// <c>targetLength</c> steps, causal self-attention over them) or one step (the batch's rows, the step's keys and
    /// values joining the cache at <c>_decodePosition</c>).
    /// </summary>
    private static void WriteLayerForward(SourceWriter w, ModelPlan plan, TransformerDecoderLayerPlan d, int i, DecoderLayerRegions R, string input, bool step)
    {
        int B = plan.BatchSize, e = d.DModel, f = d.FeedForward, heads = d.NumHeads, dh = e / heads, Td = plan.TargetLength, Ts = plan.SequenceLength;
        string rows = step ? B.ToString(System.Globalization.CultureInfo.InvariantCulture) : "rows", scale = F(1 / Math.Sqrt(dh));
        bool dropout = R.Mask1 is not null;
        string E(string region) => $"a.Slice(Layout.{region}, {rows} * {e})";
        string Ff(string region) => $"a.Slice(Layout.{region}, {rows} * {f})";
        string n(int k) => d.Parameter(i, k);
        string activation = TransformerEncoderLayerHandler.ActivationName(d.Activation);
        w.Line($"// layer {i}{(step ? ", one step" : "")}: " + (d.NormFirst
            ? $"s1 = x + self_attn(norm1(x)); s2 = s1 + multihead_attn(norm2(s1), memory); y = s2 + linear2({activation}(linear1(norm3(s2))))"
            : $"s1 = norm1(x + self_attn(x)); s2 = norm2(s1 + multihead_attn(s1, memory)); y = norm3(s2 + linear2({activation}(linear1(s2))))"));
        w.Open("");
        string Norm(int k, string from, string to, string normalized, string inverse)
        {
            TransformerEncoderLayerHandler.WriteNorm(w, e, d.LayerNormEps, from, n(10 + 2 * k), n(11 + 2 * k), to, normalized, inverse, rows);
            return to;
        }
        void Dropout(string region, string? mask)
        {
            if (mask is not null) w.Line($"if (_forwardTraining) {TransformerEncoderLayerHandler.Dropout}.Forward({E(region)}, {E(mask)}, {E(region)}, {F(d.Dropout)}, DropoutGenerator);");
        }

        // Self-attention, causal: the sequence's own earlier steps, or the cache of the steps so far.
        string selfInput = d.NormFirst ? Norm(1, input, R.Norm1, R.Normalized1, R.InverseDeviation1) : input;
        w.Line($"{Span} qkv = a.Slice(Layout.{R.Qkv});");
        w.Line($"{Span} context = a.Slice(Layout.{R.SelfContext});");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{selfInput}), {e}, p.Slice(Layout.{n(0)}), {e}, qkv, {3 * e}, {rows}, {3 * e}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(qkv, {3 * e}, {rows}, {3 * e}, p.Slice(Layout.{n(1)}, {3 * e}));");
        if (step)
        {
            w.Line($"{Span} cache = a.Slice(Layout.{R.SelfCache}); // [position, {B}, {2 * e}]: k | v");
            w.Line($"{Blas}.CopyRows(qkv.Slice({e}), {3 * e}, cache.Slice(_decodePosition * {B * 2 * e}), {2 * e}, {B}, {2 * e}); // this step's k, v join the cache");
            w.Line("int keys = _decodePosition + 1;");
        }
        w.Line(step ? "// each row and head: its query over the cached positions 0 … _decodePosition" : $"// each sequence and head: softmax(q kᵀ/√{dh}) v over its steps, causal; the weights are [length, length] blocks");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line(step
            ? $"{Attention}.Forward(qkv.Slice(b * {3 * e} + h * {dh}), {3 * e}, cache.Slice(b * {2 * e} + h * {dh}), {B * 2 * e}, cache.Slice(b * {2 * e} + {e} + h * {dh}), {B * 2 * e}, a.Slice(Layout.{R.SelfWeights} + (b * {heads} + h) * {Td}, keys), context.Slice(b * {e} + h * {dh}), {e}, 1, keys, {dh}, {dh}, {scale}, causal: false);"
            : $"{Attention}.Forward(qkv.Slice(b * {3 * e} + h * {dh}), {B * 3 * e}, qkv.Slice(b * {3 * e} + {e} + h * {dh}), {B * 3 * e}, qkv.Slice(b * {3 * e} + {2 * e} + h * {dh}), {B * 3 * e}, a.Slice(Layout.{R.SelfWeights} + (b * {heads} + h) * targetLength * targetLength, targetLength * targetLength), context.Slice(b * {e} + h * {dh}), {B * e}, targetLength, targetLength, {dh}, {dh}, {scale}, causal: true);");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(context, {e}, p.Slice(Layout.{n(2)}), {e}, a.Slice(Layout.{R.Residual1}), {e}, {rows}, {e}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{R.Residual1}), {e}, {rows}, {e}, p.Slice(Layout.{n(3)}, {e}));");
        Dropout(R.Residual1, R.Mask1);
        w.Line($"{Blas}.AddRows(a.Slice(Layout.{input}), {e}, a.Slice(Layout.{R.Residual1}), {e}, {rows}, {e}); // the residual connection");
        string s1 = d.NormFirst ? R.Residual1 : Norm(1, R.Residual1, R.Norm1, R.Normalized1, R.InverseDeviation1);

        // Cross-attention: queries from the target, keys and values of the memory, each row's own source steps.
        string queryInput = d.NormFirst ? Norm(2, s1, R.Norm2, R.Normalized2, R.InverseDeviation2) : s1;
        string sourceLength = step ? "sourceLength" : "sourceLength", valid = step ? "_stepSourceLengths[b]" : "_rowLengths[b]";
        w.Line($"{Span} query = a.Slice(Layout.{R.Query});");
        w.Line($"{Span} keyValues = a.Slice(Layout.{R.KeyValues}); // [source time, {B}, {2 * e}]: k | v");
        w.Line($"{Span} crossContext = a.Slice(Layout.{R.CrossContext});");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{queryInput}), {e}, p.Slice(Layout.{n(4)}), {e}, query, {e}, {rows}, {e}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(query, {e}, {rows}, {e}, p.Slice(Layout.{n(5)}, {e}));");
        w.Line($"// each row and head: softmax(q kᵀ/√{dh}) v over the row's real source steps (padding gets exactly 0)");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Open($"for (int h = 0; h < {heads}; h++)");
        w.Line(step
            ? $"{Attention}.Forward(query.Slice(b * {e} + h * {dh}), {e}, keyValues.Slice(b * {2 * e} + h * {dh}), {B * 2 * e}, keyValues.Slice(b * {2 * e} + {e} + h * {dh}), {B * 2 * e}, a.Slice(Layout.{R.CrossWeights} + (b * {heads} + h) * {Ts}, {sourceLength}), crossContext.Slice(b * {e} + h * {dh}), {e}, 1, {sourceLength}, {dh}, {dh}, {scale}, causal: false, validKeys: {valid});"
            : $"{Attention}.Forward(query.Slice(b * {e} + h * {dh}), {B * e}, keyValues.Slice(b * {2 * e} + h * {dh}), {B * 2 * e}, keyValues.Slice(b * {2 * e} + {e} + h * {dh}), {B * 2 * e}, a.Slice(Layout.{R.CrossWeights} + (b * {heads} + h) * targetLength * sourceLength, targetLength * sourceLength), crossContext.Slice(b * {e} + h * {dh}), {B * e}, targetLength, sourceLength, {dh}, {dh}, {scale}, causal: false, validKeys: {valid});");
        w.Close();
        w.Close();
        w.Line($"{Blas}.MultiplyTransposed(crossContext, {e}, p.Slice(Layout.{n(6)}), {e}, a.Slice(Layout.{R.Residual2}), {e}, {rows}, {e}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{R.Residual2}), {e}, {rows}, {e}, p.Slice(Layout.{n(7)}, {e}));");
        Dropout(R.Residual2, R.Mask2);
        w.Line($"{Blas}.AddRows(a.Slice(Layout.{s1}), {e}, a.Slice(Layout.{R.Residual2}), {e}, {rows}, {e}); // the residual connection");
        string s2 = d.NormFirst ? R.Residual2 : Norm(2, R.Residual2, R.Norm2, R.Normalized2, R.InverseDeviation2);

        // The feed-forward.
        string feedInput = d.NormFirst ? Norm(3, s2, R.Norm3, R.Normalized3, R.InverseDeviation3) : s2;
        w.Line($"// the feed-forward: linear1 ({e} → {f}), {activation}{(dropout ? ", dropout" : "")}, linear2 ({f} → {e})");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{feedInput}), {e}, p.Slice(Layout.{n(8)}), {e}, a.Slice(Layout.{R.Hidden}), {f}, {rows}, {f}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{R.Hidden}), {f}, {rows}, {f}, p.Slice(Layout.{n(9)}, {f}));");
        w.Line($"global::Unroll.Kernels.Pointwise.Activate({Ff(R.Hidden)}, {Ff(R.Activated)}, {TransformerEncoderLayerHandler.ActivationArguments(d.Activation)});");
        if (dropout) w.Line($"if (_forwardTraining) {TransformerEncoderLayerHandler.Dropout}.Forward({Ff(R.Activated)}, {Ff(R.HiddenMask!)}, {Ff(R.Dropped!)}, {F(d.Dropout)}, DropoutGenerator);");
        string sum = d.NormFirst ? R.Output : R.Norm3;
        w.Line($"{Blas}.MultiplyTransposed({LinearTwoInput(R)}, {f}, p.Slice(Layout.{n(10)}), {f}, a.Slice(Layout.{sum}), {e}, {rows}, {e}, {f}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{sum}), {e}, {rows}, {e}, p.Slice(Layout.{n(11)}, {e}));");
        Dropout(sum, R.Mask3);
        w.Line($"{Blas}.AddRows(a.Slice(Layout.{s2}), {e}, a.Slice(Layout.{sum}), {e}, {rows}, {e}); // the residual connection");
        if (!d.NormFirst) Norm(3, R.Norm3, R.Output, R.Normalized3, R.InverseDeviation3);
        w.Close();
    }

    /// <summary>What linear2 reads: the activation, after dropout when the <c>Forward</c> trained.</summary>
    private static string LinearTwoInput(DecoderLayerRegions R) =>
        R.Dropped is { } dropped ? $"_forwardTraining ? a.Slice(Layout.{dropped}) : a.Slice(Layout.{R.Activated})" : $"a.Slice(Layout.{R.Activated})";

    private static void WriteDecodeBackwardCore(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize, e = d.DModel, O = d.Output;
        w.Line($"/// <summary>{d.Property} backwards over the last <c>Forward</c>: parameter gradients accumulate; ∂ encoder outputs go to the encoder.</summary>");
        w.Open("private void DecodeBackwardCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} g = a.Slice(Layout.Gradients, ParameterCount);");
        w.Line($"{Span} memory = a.Slice(Layout.{Decoders.EncoderOutput(plan).Output});");
        w.Line($"{Span} dMemory = a.Slice(Layout.{Decoders.EncoderOutput(plan).OutputGradient}); // ∂ encoder outputs, written here for the encoder's backward");
        w.Line($"int rows = targetLength * {B}, sourceRows = sourceLength * {B};");
        if (!d.Trainable) w.Line("// frozen (Trainable = false): the gradients below pass through, and no parameter's accumulates");
        string top = d.NormFirst ? r.FinalNorm : r.Layers[d.NumLayers - 1].Output;
        w.Line("// the output head: ∂out.weight += ∂yᵀ·x, ∂out.bias += Σ ∂y; ∂x = ∂y·out.weight");
        w.Line($"{Span} dy = a.Slice(Layout.{r.OutputGradient});");
        Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(dy, {O}, a.Slice(Layout.{top}), {e}, g.Slice(Layout.{d.OutWeight}), {e}, rows, {O}, {e});");
        Gradient(w, d, $"{Blas}.SumRowsAdd(dy, {O}, rows, {O}, g.Slice(Layout.{d.OutBias}, {O}));");
        w.Line($"{Blas}.Multiply(dy, {O}, p.Slice(Layout.{d.OutWeight}), {e}, a.Slice(Layout.{r.StreamGradient}), {e}, rows, {e}, {O}, accumulate: false);");
        string dOut = r.StreamGradient!, other = r.OtherStreamGradient!;
        string E(string region) => $"a.Slice(Layout.{region}, rows * {e})";
        if (d.NormFirst)
        {
            w.Line("// through the final norm");
            TransformerEncoderLayerHandler.WriteNormBackward(w, e, d.Trainable, E(dOut), d.FinalNorm!, d.FinalNormBias!, r.FinalNormalized, r.FinalInverseDeviation, E(other), r.NormScratch!, "rows");
            (dOut, other) = (other, dOut);
        }
        w.Line($"dMemory.Slice(0, sourceRows * {e}).Clear(); // each layer's cross-attention adds into it");
        for (int i = d.NumLayers - 1; i >= 0; i--)
        {
            WriteLayerBackward(w, plan, d, r, i, i == 0 ? r.Embedded : r.Layers[i - 1].Output, dOut, other);
            (dOut, other) = (other, dOut);
        }
        w.Line("// ∂ of the first layer's input: into the positions, and the embedding's rows or the target's gradient");
        if (d.PositionWeight is not null) Gradient(w, d, $"global::Unroll.Kernels.Positions.GradientAdd({E(dOut)}, g.Slice(Layout.{d.PositionWeight}), targetLength, {B}, {e});");
        if (d.Vocabulary > 0)
            Gradient(w, d, $"global::Unroll.Kernels.Embeddings.ScatterAdd({IntCast}(a.Slice(Layout.{r.Target}, rows)), a.Slice(Layout.{dOut}), g.Slice(Layout.{d.Embedding}, {d.Vocabulary * e}), {B}, targetLength, {e});");
        else w.Line($"{E(dOut)}.CopyTo(a.Slice(Layout.{r.TargetGradient}));");
        w.Close();
        w.Line();
    }

    /// <summary>A parameter gradient's line, left out when the decoder is frozen.</summary>
    private static void Gradient(SourceWriter w, TransformerDecoderLayerPlan d, string line)
    {
        if (d.Trainable) w.Line(line);
    }

    /// <summary>
    /// Layer <paramref name="i"/> backwards: from ∂ of its output (<paramref name="dOut"/>, which it may overwrite) to ∂ of
    /// its input (<paramref name="dIn"/>), adding into ∂ memory and (unless frozen) its parameters' gradients.
    /// </summary>
    private static void WriteLayerBackward(SourceWriter w, ModelPlan plan, TransformerDecoderLayerPlan d, TransformerDecoderBuffers r, int i, string input, string dOut, string dIn)
    {
        int B = plan.BatchSize, e = d.DModel, f = d.FeedForward, heads = d.NumHeads, dh = e / heads;
        DecoderLayerRegions R = r.Layers[i];
        string T1 = r.Gradient1!, T2 = r.Gradient2!, scale = F(1 / Math.Sqrt(dh));
        string E(string region) => $"a.Slice(Layout.{region}, rows * {e})";
        string Ff(string region) => $"a.Slice(Layout.{region}, rows * {f})";
        string n(int k) => d.Parameter(i, k);
        string Grad(int k, int offset = 0) => $"g.Slice(Layout.{n(k)}{(offset == 0 ? "" : $" + {offset}")}";
        void NormBackward(int k, string from, string to, string normalized, string inverse) =>
            TransformerEncoderLayerHandler.WriteNormBackward(w, e, d.Trainable, E(from), n(10 + 2 * k), n(11 + 2 * k), normalized, inverse, E(to), r.NormScratch!, "rows");
        void Add(string from, string to) => w.Line($"{Blas}.AddRows(a.Slice(Layout.{from}), {e}, a.Slice(Layout.{to}), {e}, rows, {e});");
        string DropoutBackward(string gradient, string? mask, string target) => TransformerEncoderLayerHandler.WriteDropoutBackward(w, gradient, mask, target, "rows", e);
        void FeedForwardBackward(string dFeed, string feedInput, string dFeedInput)
        {
            w.Line($"// linear2, the activation and linear1: ∂W += ∂ᵀ·(their input), ∂b += Σ ∂; ∂(their input) = ∂·W");
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{dFeed}), {e}, {LinearTwoInput(R)}, {f}, {Grad(10)}), {f}, rows, {e}, {f});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(a.Slice(Layout.{dFeed}), {e}, rows, {e}, {Grad(11)}, {e}));");
            w.Line($"{Blas}.Multiply(a.Slice(Layout.{dFeed}), {e}, p.Slice(Layout.{n(10)}), {f}, a.Slice(Layout.{r.HiddenGradient}), {f}, rows, {f}, {e}, accumulate: false);");
            if (R.HiddenMask is not null) w.Line($"if (_forwardTraining) {TransformerEncoderLayerHandler.Dropout}.Backward({Ff(r.HiddenGradient!)}, {Ff(R.HiddenMask)}, {Ff(r.HiddenGradient!)});");
            w.Line($"global::Unroll.Kernels.Pointwise.ActivateBackward({Ff(R.Hidden)}, {Ff(R.Activated)}, {Ff(r.HiddenGradient!)}, {Ff(r.HiddenGradient!)}, {TransformerEncoderLayerHandler.ActivationArguments(d.Activation)});");
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{r.HiddenGradient}), {f}, a.Slice(Layout.{feedInput}), {e}, {Grad(8)}), {e}, rows, {f}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(a.Slice(Layout.{r.HiddenGradient}), {f}, rows, {f}, {Grad(9)}, {f}));");
            w.Line($"{Blas}.Multiply(a.Slice(Layout.{r.HiddenGradient}), {f}, p.Slice(Layout.{n(8)}), {e}, a.Slice(Layout.{dFeedInput}), {e}, rows, {e}, {f}, accumulate: false);");
        }
        void CrossBackward(string dOutput, string queryInput, string dQueryInput)
        {
            w.Line("// the cross-attention: out_proj, each row's and head's attention, the query and key/value projections; ∂ memory += ∂kv·W_kv");
            w.Line($"{Span} query = a.Slice(Layout.{R.Query});");
            w.Line($"{Span} keyValues = a.Slice(Layout.{R.KeyValues});");
            w.Line($"{Span} dQuery = a.Slice(Layout.{r.QueryGradient});");
            w.Line($"{Span} dKeyValues = a.Slice(Layout.{r.KeyValuesGradient});");
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{dOutput}), {e}, a.Slice(Layout.{R.CrossContext}), {e}, {Grad(6)}), {e}, rows, {e}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(a.Slice(Layout.{dOutput}), {e}, rows, {e}, {Grad(7)}, {e}));");
            w.Line($"{Blas}.Multiply(a.Slice(Layout.{dOutput}), {e}, p.Slice(Layout.{n(6)}), {e}, dContext, {e}, rows, {e}, {e}, accumulate: false);");
            w.Line($"dQuery.Slice(0, rows * {e}).Clear();");
            w.Line($"dKeyValues.Slice(0, sourceRows * {2 * e}).Clear();");
            w.Open($"for (int b = 0; b < {B}; b++)");
            w.Open($"for (int h = 0; h < {heads}; h++)");
            w.Line($"int block = (b * {heads} + h) * targetLength * sourceLength;");
            w.Line($"{Attention}.Backward(query.Slice(b * {e} + h * {dh}), {B * e}, keyValues.Slice(b * {2 * e} + h * {dh}), {B * 2 * e}, keyValues.Slice(b * {2 * e} + {e} + h * {dh}), {B * 2 * e}, a.Slice(Layout.{R.CrossWeights} + block, targetLength * sourceLength), dContext.Slice(b * {e} + h * {dh}), {B * e}, default, dQuery.Slice(b * {e} + h * {dh}), dKeyValues.Slice(b * {2 * e} + h * {dh}), dKeyValues.Slice(b * {2 * e} + {e} + h * {dh}), a.Slice(Layout.{r.Scratch}, targetLength * sourceLength), targetLength, sourceLength, {dh}, {dh}, {scale}, causal: false, validKeys: _rowLengths[b]);");
            w.Close();
            w.Close();
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(dQuery, {e}, a.Slice(Layout.{queryInput}), {e}, {Grad(4)}), {e}, rows, {e}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(dQuery, {e}, rows, {e}, {Grad(5)}, {e}));");
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(dKeyValues, {2 * e}, memory, {e}, {Grad(4, e * e)}), {e}, sourceRows, {2 * e}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(dKeyValues, {2 * e}, sourceRows, {2 * e}, {Grad(5, e)}, {2 * e}));");
            w.Line($"{Blas}.Multiply(dQuery, {e}, p.Slice(Layout.{n(4)}), {e}, a.Slice(Layout.{dQueryInput}), {e}, rows, {e}, {e}, accumulate: false);");
            w.Line($"{Blas}.Multiply(dKeyValues, {2 * e}, p.Slice(Layout.{n(4)} + {e * e}), {e}, dMemory, {e}, sourceRows, {e}, {2 * e}, accumulate: true);");
        }
        void SelfBackward(string dOutput, string selfInput, string dSelfInput)
        {
            w.Line("// the self-attention: out_proj, each sequence's and head's causal attention, in_proj");
            w.Line($"{Span} qkv = a.Slice(Layout.{R.Qkv});");
            w.Line($"{Span} dQkv = a.Slice(Layout.{r.QkvGradient});");
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{dOutput}), {e}, a.Slice(Layout.{R.SelfContext}), {e}, {Grad(2)}), {e}, rows, {e}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(a.Slice(Layout.{dOutput}), {e}, rows, {e}, {Grad(3)}, {e}));");
            w.Line($"{Blas}.Multiply(a.Slice(Layout.{dOutput}), {e}, p.Slice(Layout.{n(2)}), {e}, dContext, {e}, rows, {e}, {e}, accumulate: false);");
            w.Line($"dQkv.Slice(0, rows * {3 * e}).Clear();");
            w.Open($"for (int b = 0; b < {B}; b++)");
            w.Open($"for (int h = 0; h < {heads}; h++)");
            w.Line("int block = (b * " + heads + " + h) * targetLength * targetLength;");
            w.Line($"{Attention}.Backward(qkv.Slice(b * {3 * e} + h * {dh}), {B * 3 * e}, qkv.Slice(b * {3 * e} + {e} + h * {dh}), {B * 3 * e}, qkv.Slice(b * {3 * e} + {2 * e} + h * {dh}), {B * 3 * e}, a.Slice(Layout.{R.SelfWeights} + block, targetLength * targetLength), dContext.Slice(b * {e} + h * {dh}), {B * e}, default, dQkv.Slice(b * {3 * e} + h * {dh}), dQkv.Slice(b * {3 * e} + {e} + h * {dh}), dQkv.Slice(b * {3 * e} + {2 * e} + h * {dh}), a.Slice(Layout.{r.Scratch}, targetLength * targetLength), targetLength, targetLength, {dh}, {dh}, {scale}, causal: true);");
            w.Close();
            w.Close();
            Gradient(w, d, $"{Blas}.MultiplyTransposedAAdd(dQkv, {3 * e}, a.Slice(Layout.{selfInput}), {e}, {Grad(0)}), {e}, rows, {3 * e}, {e});");
            Gradient(w, d, $"{Blas}.SumRowsAdd(dQkv, {3 * e}, rows, {3 * e}, {Grad(1)}, {3 * e}));");
            w.Line($"{Blas}.Multiply(dQkv, {3 * e}, p.Slice(Layout.{n(0)}), {e}, a.Slice(Layout.{dSelfInput}), {e}, rows, {e}, {3 * e}, accumulate: false);");
        }

        w.Line($"// layer {i} backwards: the feed-forward, the cross-attention, the self-attention, each through its norm and residual path{(d.Trainable ? "" : " (frozen: no parameter gradient)")}");
        w.Open("");
        w.Line($"{Span} dContext = a.Slice(Layout.{r.ContextGradient});");
        if (d.NormFirst)
        {
            w.Line("// y = s2 + dropout(ff(norm3(s2))): ∂ff, then ∂s2 = ∂y + ∂ through norm3");
            FeedForwardBackward(DropoutBackward(dOut, R.Mask3, T2), R.Norm3, T2);
            NormBackward(3, T2, T1, R.Normalized3, R.InverseDeviation3);
            Add(dOut, T1);
            w.Line("// s2 = s1 + dropout(cross(norm2(s1))): ∂s1 = ∂s2 + ∂ through the cross-attention and norm2");
            CrossBackward(DropoutBackward(T1, R.Mask2, T2), R.Norm2, T2);
            NormBackward(2, T2, dIn, R.Normalized2, R.InverseDeviation2);
            Add(T1, dIn);
            w.Line("// s1 = x + dropout(self(norm1(x))): ∂x = ∂s1 + ∂ through the self-attention and norm1");
            SelfBackward(DropoutBackward(dIn, R.Mask1, T2), R.Norm1, T2);
            NormBackward(1, T2, T1, R.Normalized1, R.InverseDeviation1);
            Add(T1, dIn);
        }
        else
        {
            w.Line("// y = norm3(s2 + dropout(ff(s2))): ∂ through norm3, then ∂s2 = that + ∂ through the feed-forward");
            NormBackward(3, dOut, T1, R.Normalized3, R.InverseDeviation3);
            FeedForwardBackward(DropoutBackward(T1, R.Mask3, T2), R.Norm2, T2);
            Add(T1, T2);
            w.Line("// s2 = norm2(s1 + dropout(cross(s1))): ∂ through norm2, then ∂s1 = that + ∂ through the cross-attention");
            NormBackward(2, T2, T1, R.Normalized2, R.InverseDeviation2);
            CrossBackward(DropoutBackward(T1, R.Mask2, T2), R.Norm1, T2);
            Add(T1, T2);
            w.Line("// s1 = norm1(x + dropout(self(x))): ∂ through norm1, then ∂x = that + ∂ through the self-attention");
            NormBackward(1, T2, T1, R.Normalized1, R.InverseDeviation1);
            SelfBackward(DropoutBackward(T1, R.Mask1, T2), input, dIn);
            Add(T1, dIn);
        }
        w.Close();
    }
}
