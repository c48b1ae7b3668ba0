using System.Linq;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

/// <summary>
/// Encoder–decoder models: the encoder is the ordinary layer stack (its passes are the ones above);
/// the attention decoder runs after it, one step per target position, attending over the encoder's
/// output. Its buffers are time-major like the encoder's: <c>[time, batch, features]</c>.
/// </summary>
internal static partial class Emitter
{
    internal const string Attention = "global::Unroll.Kernels.Attention";
    internal const string Additive = "global::Unroll.Kernels.AdditiveAttention";
    internal const string IntCast = "global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>";

    internal static string ScoreName(DecoderPlan d) => d.Score switch
    {
        AttentionScore.Additive => "additive",
        AttentionScore.Dot => "dot",
        AttentionScore.General => "general",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d.Score, "Not an attention score (the planner refuses it)."),
    };

    internal static string DescribeDecoder(DecoderPlan d) =>
        $"{(d.Lstm ? "LSTM" : "GRU")} decoder({(d.Vocabulary > 0 ? $"tokens {d.Vocabulary} → {d.Input}" : d.Input.ToString())} + context {d.Memory} → {d.Hidden}, "
        + $"{ScoreName(d)} attention{(d.Score == AttentionScore.Additive ? " " + d.Attention : "")}, out {d.Hidden + d.Memory} → {d.Output})";

    /// <summary>Offset of decoder state <paramref name="k"/> (0 s_0, 1 s_n, 2 ∂s_0, 3 ∂s_n, 4 c_0, 5 c_n, 6 ∂c_0, 7 ∂c_n).</summary>
    internal static string DecoderState(ModelPlan plan, int k) => Offset("Layout." + plan.Decoder!.StateBlock, k * plan.BatchSize * plan.Decoder.Hidden);

    /// <summary>The buffer holding the encoder's output (the attention memory), and its gradient.</summary>
    internal static LayerBuffers EncoderOutput(ModelPlan plan) => plan.Sequence.Layers[plan.Layers.Count - 1];

    internal static void WriteDecoderConstants(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        string source = plan.Vocabulary > 0 ? "int" : "float", target = d.Vocabulary > 0 ? "int" : "float";
        w.Line("/// <summary>The most decoder steps <c>Forward</c> takes; a shorter target may be passed.</summary>");
        w.Line($"public const int TargetLength = {plan.TargetLength};");
        w.Line();
        w.Line(plan.Vocabulary > 0 ? "/// <summary>Source token ids run from 0 to <c>SourceVocabularySize - 1</c>.</summary>" : "/// <summary>The source is float features: 0.</summary>");
        w.Line($"public const int SourceVocabularySize = {plan.Vocabulary};");
        w.Line();
        w.Line(d.Vocabulary > 0 ? "/// <summary>Target token ids (what <c>Step</c> reads) run from 0 to <c>VocabularySize - 1</c>.</summary>" : "/// <summary>The target is float features: 0.</summary>");
        w.Line($"public const int VocabularySize = {d.Vocabulary};");
        w.Line();
        w.Line(d.Vocabulary > 0 ? "/// <summary>Values per target step: one token id.</summary>" : "/// <summary>Features per target step.</summary>");
        w.Line($"public const int TargetInputSize = {(d.Vocabulary > 0 ? 1 : d.Input)};");
        w.Line();
        w.Line($"int global::Unroll.IEncoderDecoderModel<{source}, {target}>.TargetLength => TargetLength;");
        w.Line($"int global::Unroll.IEncoderDecoderModel<{source}, {target}>.SourceVocabularySize => SourceVocabularySize;");
        w.Line();
        w.Line("/// <summary>Target steps of the last <c>Forward</c>.</summary>");
        w.Line("private int _targetLength;");
        w.Line();
        w.Line("/// <summary>Source steps of the last <c>Encode</c> (0 before the first), each row's real ones, and a row of scratch for <c>ReorderState</c>.</summary>");
        w.Line("private int _stepSourceLength;");
        w.Line($"private readonly int[] _stepSourceLengths = new int[{plan.BatchSize}];");
        w.Line($"private readonly int[] _reorderScratch = new int[{plan.BatchSize}];");
        w.Line();
    }

    internal static void WriteDecoderView(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        w.Line($"/// <summary>{DescribeDecoder(d)}.</summary>");
        w.Line($"{(d.Modifiers.Length > 0 ? d.Modifiers + " " : "")}partial global::Unroll.AttentionDecoderLayer {Identifier(d.Property)} {{ get => new(_arena, {ArrayIndex("Layout." + d.StateBlock)}, "
            + $"{ArrayIndex($"Layout.{d.Property}_Weights")}, {(plan.InferenceOnly ? "-1" : ArrayIndex($"Layout.{d.Property}_WeightsGradient"))}, {ArrayIndex($"Layout.{d.Property}_StepWeights")}, BatchSize, {d.Hidden}, TargetLength, SequenceLength, {(d.Lstm ? "true" : "false")}); }}");
        w.Line();
    }

    internal static void WriteDecoderEntryPoints(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        int B = plan.BatchSize;
        bool sourceTokens = plan.Vocabulary > 0, targetTokens = d.Vocabulary > 0;
        string sourceType = sourceTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        string targetType = targetTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        var (sourceShape, targetShape, outputShape) = DecoderShapes(plan);
        string targetWidth = targetTokens ? "" : $" * {d.Input}";

        string keeps = plan.InferenceOnly ? "" : ", keeping what <c>Backward</c> needs";
        w.Line($"/// <summary>Teacher-forced pass over full-length sources and targets: runs the encoder, then every decoder step{keeps}.</summary>");
        w.Line($"public void Forward({sourceType} source, {targetType} targetInput, {Span} output) => Forward(source, targetInput, output, SequenceLength, TargetLength);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Teacher-forced pass: runs the encoder over <paramref name=\"sourceLength\"/> steps, then the decoder over");
        w.Line("/// <paramref name=\"targetLength\"/> steps, each reading the target input of its step (the target shifted right behind a start");
        w.Line($"/// token) and attending over the encoder's outputs{(plan.InferenceOnly ? "" : "; keeps what <c>Backward</c> needs")}.");
        w.Line("/// </summary>");
        w.Line(sourceTokens
            ? $"/// <param name=\"source\">Source ids, <c>[{B}, sourceLength]</c> batch-first, each below {plan.Vocabulary}.</param>"
            : $"/// <param name=\"source\">Sources, <c>[{B}, sourceLength, {plan.InputSize}]</c> batch-first.</param>");
        w.Line(targetTokens
            ? $"/// <param name=\"targetInput\">Target input ids, <c>[{B}, targetLength]</c> batch-first, each below {d.Vocabulary}.</param>"
            : $"/// <param name=\"targetInput\">Target inputs, <c>[{B}, targetLength, {d.Input}]</c> batch-first.</param>");
        w.Line($"/// <param name=\"output\">Receives <c>[{B}, targetLength, {d.Output}]</c>.</param>");
        w.Line("/// <param name=\"sourceLength\">Source steps, 1 to <see cref=\"SequenceLength\"/>.</param>");
        w.Line("/// <param name=\"targetLength\">Decoder steps, 1 to <see cref=\"TargetLength\"/>.</param>");
        w.Line($"/// <param name=\"sourceLengths\">Empty, or per row the real source steps (1 to <paramref name=\"sourceLength\"/>); attention gives the padding after them exactly 0 weight.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range, or an id is outside its vocabulary; nothing has changed.</exception>");
        w.Open($"public void Forward({sourceType} source, {targetType} targetInput, {Span} output, int sourceLength, int targetLength, global::System.ReadOnlySpan<int> sourceLengths = default)");
        WriteSourceChecks(w, plan, sourceShape);
        w.Line("CheckTargetLength(targetLength);");
        w.Line(SpanCheck("targetInput.Length", $"targetLength * {B}{targetWidth}", "nameof(targetInput)", $"$\"{targetShape}\""));
        w.Line(SpanCheck("output.Length", $"targetLength * {B * d.Output}", "nameof(output)", $"$\"{outputShape}\""));
        if (targetTokens) w.Line("CheckTargetTokens(targetInput, nameof(targetInput));");
        w.Line($"{Span} a = Arena;");
        w.Line($"RunEncoder(source, sourceLength, sourceLengths, training: {(plan.InferenceOnly ? "false" : "Training")});");
        w.Line(targetTokens
            ? $"targetInput.CopyTo({IntCast}(a.Slice(Layout.{d.Property}_Target, targetLength * {B})));"
            : $"{Blas}.SwapLeadingAxes(targetInput, a.Slice(Layout.{d.Property}_Target), {B}, targetLength, {d.Input}); // → [time, batch, features]");
        w.Line("DecodeCore(sourceLength, targetLength);");
        w.Line("_length = sourceLength;");
        w.Line("_targetLength = targetLength;");
        w.Line($"{Blas}.SwapLeadingAxes(a.Slice(Layout.{d.Property}_Output), output, targetLength, {B}, {d.Output});");
        w.Close();
        w.Line();

        if (!plan.InferenceOnly) WriteDecoderBackwardEntryPoints(w, plan);

        // Encode
        w.Line("/// <summary>Runs the encoder over full-length sources and starts decoding from them (see <see cref=\"Step\"/>).</summary>");
        w.Line($"public void Encode({sourceType} source) => Encode(source, SequenceLength);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Runs the encoder (in inference: no dropout) over <paramref name=\"sourceLength\"/> steps, keeps its outputs as the memory");
        w.Line($"/// <c>Step</c> attends over, and sets the decoder's running state to the encoder's final state.{(plan.InferenceOnly ? "" : " It replaces what the last")}");
        if (!plan.InferenceOnly) w.Line("/// <c>Forward</c> kept, so <c>Backward</c> needs a new <c>Forward</c>.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range, or an id is outside the vocabulary; nothing has changed.</exception>");
        w.Open($"public void Encode({sourceType} source, int sourceLength, global::System.ReadOnlySpan<int> sourceLengths = default)");
        WriteSourceChecks(w, plan, sourceShape);
        w.Line($"{Span} a = Arena;");
        if (d.Score != AttentionScore.Dot) w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        w.Line("RunEncoder(source, sourceLength, sourceLengths, training: false);");
        w.Line("_length = 0; // the encoder's activations are Encode's now");
        w.Line("_stepSourceLength = sourceLength;");
        w.Line("_rowLengths.CopyTo(_stepSourceLengths, 0);");
        w.Line($"a.Slice(Layout.{EncoderOutput(plan).Output}, sourceLength * {B * d.Memory}).CopyTo(a.Slice(Layout.{d.Property}_StepMemory)); // the memory Step attends over");
        if (d.Score != AttentionScore.Dot) WriteKeyProjection(w, d, $"a.Slice(Layout.{d.Property}_StepMemory)", $"a.Slice(Layout.{d.Property}_StepKeys)", $"sourceLength * {B}");
        w.Line("ResetState();");
        w.Close();
        w.Line();

        w.Line("/// <summary>Copies the (checked) source and its rows' lengths, runs the encoder and takes the decoder's initial state from it.</summary>");
        w.Open($"private void RunEncoder({sourceType} source, int sourceLength, global::System.ReadOnlySpan<int> sourceLengths, bool training)");
        w.Line($"{Span} a = Arena;");
        WriteRunSequence(w, plan, "source", "sourceLength", "sourceLengths", "training");
        WriteBridge(w, plan);
        w.Close();
        w.Line();

        // Streaming
        w.Line($"/// <summary>Streaming: sets the decoder's running state to its initial state, the encoder's final state of the last <c>Encode</c> or <c>Forward</c>.</summary>");
        w.Open("public void ResetState()");
        w.Line($"{Span} a = Arena;");
        w.Line($"a.Slice({DecoderState(plan, 0)}, {B * d.Hidden}).CopyTo(a.Slice({DecoderState(plan, 1)}, {B * d.Hidden})); // s ← s_0");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, 4)}, {B * d.Hidden}).CopyTo(a.Slice({DecoderState(plan, 5)}, {B * d.Hidden})); // c ← c_0");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Streaming: reorders the decoder's running states, and the encoded sources they attend over, across the batch: row b");
        w.Line("/// takes what row <c>sources[b]</c> had (beam search keeps the histories of the surviving beams this way).");
        w.Line("/// </summary>");
        OpenReorderState(w, plan);
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} rowsOfH = a.Slice(Layout.{d.Property}_StepNext, {B * d.Hidden});");
        w.Line($"{Blas}.GatherRows(a.Slice({DecoderState(plan, 1)}, {B * d.Hidden}), sources, {d.Hidden}, rowsOfH);");
        if (d.Lstm) w.Line($"{Blas}.GatherRows(a.Slice({DecoderState(plan, 5)}, {B * d.Hidden}), sources, {d.Hidden}, rowsOfH);");
        w.Line("// each encoded source step: its memory and keys rows");
        w.Open($"for (int j = 0; j < _stepSourceLength; j++)");
        w.Line($"{Blas}.GatherRows(a.Slice(Layout.{d.Property}_StepMemory + j * {B * d.Memory}, {B * d.Memory}), sources, {d.Memory}, a.Slice(Layout.{d.Property}_StepContext, {B * d.Memory}));");
        if (d.Score != AttentionScore.Dot)
        {
            string scratch = d.Score == AttentionScore.Additive ? $"{d.Property}_StepQuery" : $"{d.Property}_StepNext";
            w.Line($"{Blas}.GatherRows(a.Slice(Layout.{d.Property}_StepKeys + j * {B * d.Attention}, {B * d.Attention}), sources, {d.Attention}, a.Slice(Layout.{scratch}, {B * d.Attention}));");
        }
        w.Close();
        w.Line("for (int b = 0; b < sources.Length; b++) _reorderScratch[b] = _stepSourceLengths[sources[b]];");
        w.Line("_reorderScratch.CopyTo(_stepSourceLengths, 0);");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Streaming: one decoder step of every sequence from the running state, attending over the last <c>Encode</c>'s memory;");
        w.Line($"/// <see cref=\"{d.Property}\"/>'s <c>StepAttentionWeights</c> receive the weights.{(plan.InferenceOnly ? "" : " Leaves what <c>Backward</c> needs untouched.")}");
        w.Line("/// </summary>");
        w.Line(targetTokens
            ? $"/// <param name=\"tokens\">The previous target token of each sequence, <c>[{B}]</c> (the start token first).</param>"
            : $"/// <param name=\"input\">The previous target step of each sequence, <c>[{B}, {d.Input}]</c>.</param>");
        w.Line($"/// <param name=\"output\">Receives <c>[{B}, {d.Output}]</c>.</param>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Encode</c> has run yet.</exception>");
        w.Line($"/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length{(targetTokens ? ", or a token is outside the vocabulary" : "")}; nothing has changed.</exception>");
        string stepName = targetTokens ? "tokens" : "input";
        w.Open($"public void Step({targetType} {stepName}, {Span} output)");
        w.Line(SpanCheck($"{stepName}.Length", $"{B}{targetWidth}", $"nameof({stepName})", targetTokens ? $"\"[batch {B}]\"" : $"\"[batch {B}, features {d.Input}]\""));
        w.Line(SpanCheck("output.Length", $"{B * d.Output}", "nameof(output)", $"\"[batch {B}, features {d.Output}]\""));
        if (targetTokens) w.Line($"CheckTargetTokens({stepName}, nameof({stepName}));");
        w.Line("if (_stepSourceLength == 0) throw new global::System.InvalidOperationException(\"Step needs Encode first: it attends over the encoded source.\");");
        w.Line($"{Span} a = Arena;");
        w.Line(targetTokens
            ? $"{stepName}.CopyTo({IntCast}(a.Slice(Layout.{d.Property}_StepTarget, {B})));"
            : $"{stepName}.CopyTo(a.Slice(Layout.{d.Property}_StepTarget, {B * d.Input}));");
        w.Line("DecodeStepCore(_stepSourceLength);");
        w.Line($"a.Slice(Layout.{d.Property}_StepOutput, {B * d.Output}).CopyTo(output);");
        w.Close();
        w.Line();
    }

    /// <summary>Backward, for the last teacher-forced <c>Forward</c> (models compiled for training only).</summary>
    internal static void WriteDecoderBackwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        int B = plan.BatchSize;
        bool sourceTokens = plan.Vocabulary > 0, targetTokens = d.Vocabulary > 0;
        var (sourceShape, targetShape, outputShape) = DecoderShapes(plan);
        bool floatSource = !sourceTokens, floatTarget = !targetTokens;
        w.Line("/// <summary>");
        w.Line("/// Backpropagation through the decoder's steps, the attention and the encoder, for the last <c>Forward</c>: adds the");
        w.Line($"/// parameter gradients into <see cref=\"Gradients\"/>. The gradients set on <see cref=\"{d.Property}\"/>'s final states and attention");
        w.Line("/// weights, and on the encoder's final states (zero unless set), enter too.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"outputGradient\">∂loss/∂output, shaped as the last <c>Forward</c>'s output.</param>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run since the model was created or last encoded.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The span has the wrong length; nothing has changed.</exception>");
        w.Line($"public void Backward({ReadOnlySpan} outputGradient) => Backward(outputGradient, default, default, false, false);");
        w.Line();
        if (floatSource || floatTarget)
        {
            var parameters = new System.Collections.Generic.List<string>();
            if (floatSource) parameters.Add($"{Span} sourceGradient");
            if (floatTarget) parameters.Add($"{Span} targetGradient");
            w.Line($"/// <summary>As <see cref=\"Backward(global::System.ReadOnlySpan{{float}})\"/>, and writes {(floatSource ? "∂loss/∂source" : "")}{(floatSource && floatTarget ? " and " : "")}{(floatTarget ? "∂loss/∂targetInput" : "")}, shaped as the inputs.</summary>");
            w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run since the model was created or last encoded.</exception>");
            w.Line("/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length; nothing has changed.</exception>");
            w.Line($"public void Backward({ReadOnlySpan} outputGradient, {string.Join(", ", parameters)}) => Backward(outputGradient, {(floatSource ? "sourceGradient" : "default")}, {(floatTarget ? "targetGradient" : "default")}, {(floatSource ? "true" : "false")}, {(floatTarget ? "true" : "false")});");
            w.Line();
        }
        w.Open($"private void Backward({ReadOnlySpan} outputGradient, {Span} sourceGradientValues, {Span} targetGradientValues, bool sourceGradient, bool targetGradient)");
        w.Line("int sourceLength = _length, targetLength = _targetLength;");
        w.Line("if (sourceLength == 0) throw new global::System.InvalidOperationException(\"Backward needs a Forward first: it differentiates the last Forward (Encode replaces what it kept).\");");
        w.Line(SpanCheck("outputGradient.Length", $"targetLength * {B * d.Output}", "nameof(outputGradient)", $"$\"{outputShape}\""));
        if (floatSource) w.Line(SpanCheck("sourceGradientValues.Length", $"sourceLength * {B * plan.InputSize}", "nameof(sourceGradient)", $"$\"{sourceShape}\"", when: "sourceGradient"));
        if (floatTarget) w.Line(SpanCheck("targetGradientValues.Length", $"targetLength * {B * d.Input}", "nameof(targetGradient)", $"$\"{targetShape}\"", when: "targetGradient"));
        w.Line($"{Span} a = Arena;");
        w.Line($"{Blas}.SwapLeadingAxes(outputGradient, a.Slice(Layout.{d.Property}_OutputGradient), {B}, targetLength, {d.Output});");
        w.Line("DecodeBackwardCore(sourceLength, targetLength);");
        w.Line("BackwardCore(sourceLength, sourceGradient);");
        if (floatSource) w.Line($"if (sourceGradient) {Blas}.SwapLeadingAxes(a.Slice(Layout.{plan.Sequence.InputGradient}), sourceGradientValues, sourceLength, {B}, {plan.InputSize});");
        if (floatTarget) w.Line($"if (targetGradient) {Blas}.SwapLeadingAxes(a.Slice(Layout.{d.Property}_TargetGradient), targetGradientValues, targetLength, {B}, {d.Input});");
        w.Close();
        w.Line();

    }

    /// <summary>The shapes of the source, target and output arguments, as the checks' messages give them (interpolated holes for the lengths).</summary>
    internal static (string Source, string Target, string Output) DecoderShapes(ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        int B = plan.BatchSize;
        return (plan.Vocabulary > 0 ? $"[batch {B}, length {{sourceLength}}]" : $"[batch {B}, length {{sourceLength}}, features {plan.InputSize}]",
            d.Vocabulary > 0 ? $"[batch {B}, length {{targetLength}}]" : $"[batch {B}, length {{targetLength}}, features {d.Input}]",
            $"[batch {B}, length {{targetLength}}, features {d.Output}]");
    }

    /// <summary>The checks of a source argument and its lengths, before anything changes.</summary>
    internal static void WriteSourceChecks(SourceWriter w, ModelPlan plan, string sourceShape)
    {
        w.Line("CheckLength(sourceLength, nameof(sourceLength));");
        w.Line(SpanCheck("source.Length", $"sourceLength * {plan.BatchSize * plan.InputSize}", "nameof(source)", $"$\"{sourceShape}\""));
        if (plan.Vocabulary > 0) w.Line("CheckTokens(source, nameof(source));");
        w.Line("CheckRowLengths(sourceLengths, sourceLength, nameof(sourceLengths));");
    }

    /// <summary>s_0 (and c_0) ← the final states of the encoder's last recurrent layer, its top stacked layer, directions side by side.</summary>
    internal static void WriteBridge(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        var bridge = (RecurrentPlan)plan.Layers[d.Bridge];
        int B = plan.BatchSize, H = bridge.Hidden, top = bridge.NumLayers - 1;
        w.Line($"// the decoder starts from {bridge.Property}'s final state{(bridge.Directions == 2 ? ", both directions side by side" : "")}");
        for (int dir = 0; dir < bridge.Directions; dir++)
        {
            w.Line($"{Blas}.CopyRows(a.Slice({State(plan, bridge, 1, top, dir)}), {H}, a.Slice({DecoderState(plan, 0)}{(dir == 1 ? $" + {H}" : "")}), {d.Hidden}, {B}, {H}); // s_0");
            if (d.Lstm && bridge.Kind == LayerKind.Lstm)
                w.Line($"{Blas}.CopyRows(a.Slice({State(plan, bridge, 5, top, dir)}), {H}, a.Slice({DecoderState(plan, 4)}{(dir == 1 ? $" + {H}" : "")}), {d.Hidden}, {B}, {H}); // c_0");
        }
        if (d.Lstm && bridge.Kind != LayerKind.Lstm) w.Line($"// c_0 stays 0: {bridge.Property} has no cell state");
    }

    /// <summary>keys = memory·W_hᵀ + b_h (additive) or memory·W_aᵀ (general), over every source row at once.</summary>
    internal static void WriteKeyProjection(SourceWriter w, DecoderPlan d, string memory, string keys, string rows)
    {
        string weight = d.Score == AttentionScore.Additive ? d.Wh! : d.Wa!;
        w.Line($"// keys: every encoder output projected once, {(d.Score == AttentionScore.Additive ? "W_h·h_j + b_h" : "W_a·h_j")}   ([{rows} x {d.Memory}] · [{d.Memory} x {d.Attention}])");
        w.Line($"{Blas}.MultiplyTransposed({memory}, {d.Memory}, p.Slice(Layout.{weight}), {d.Memory}, {keys}, {d.Attention}, {rows}, {d.Attention}, {d.Memory}, accumulate: false);");
        if (d.Score == AttentionScore.Additive) w.Line($"{Blas}.AddRowVector({keys}, {d.Attention}, {rows}, {d.Attention}, p.Slice(Layout.{d.Bh}, {d.Attention}));");
    }

    /// <summary>One attention step of row <c>b</c>: from the query state <c>sPrev</c> to the weights and the context.</summary>
    internal static void WriteAttentionStep(SourceWriter w, ModelPlan plan, string memory, string keys, string query, string tanh, string weights, string context, string sourceLength, string valid)
    {
        DecoderPlan d = plan.Decoder!;
        int B = plan.BatchSize, A = d.Attention, E = d.Memory, H = d.Hidden;
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"{Additive}.Forward({query}.Slice(b * {A}), {keys}.Slice(b * {A}), {B * A}, p.Slice(Layout.{d.V}, {A}), {memory}.Slice(b * {E}), {B * E}, {tanh}, a.Slice(Layout.{d.Property}_Scores, {sourceLength}), {weights}, {context}, {sourceLength}, {valid}, {A}, {E});");
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
        DecoderPlan d = plan.Decoder!;
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H;
        bool tokens = d.Vocabulary > 0;
        w.Line($"/// <summary>{P}: {DescribeDecoder(d)}, teacher-forced over <paramref name=\"targetLength\"/> steps{(plan.InferenceOnly ? "" : "; the caches stay for <c>DecodeBackwardCore</c>")}.</summary>");
        w.Open("private void DecodeCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        w.Line($"{Span} memory = a.Slice(Layout.{EncoderOutput(plan).Output}); // the encoder's outputs h_j, [source time, {B}, {E}]");
        if (d.Score != AttentionScore.Dot) w.Line($"{Span} keys = a.Slice(Layout.{P}_Keys); // [source time, {B}, {A}]");
        w.Line($"{Span} x = a.Slice(Layout.{P}_{(tokens ? "Embedded" : "Target")}); // target inputs, [time, {B}, {I}]");
        w.Line($"{Span} hiddens = a.Slice(Layout.{P}_Hiddens); // s_0 … s_T, [time + 1, {B}, {H}]");
        if (d.Lstm) w.Line($"{Span} cells = a.Slice(Layout.{P}_Cells); // c_0 … c_T");
        w.Line($"{Span} cache = a.Slice(Layout.{P}_Cache); // [time, {B}, {4 * H}]");
        w.Line($"{Span} context = a.Slice(Layout.{P}_Context); // [time, {B}, {E}]");
        if (d.Score == AttentionScore.Additive) w.Line($"{Span} query = a.Slice(Layout.{P}_Query, {B * A});");
        w.Line("int rows = targetLength * " + B + ";");
        if (tokens)
        {
            w.Line($"// each target token id selects a row of the embedding");
            w.Line($"global::Unroll.Kernels.Embeddings.Gather({IntCast}(a.Slice(Layout.{P}_Target, rows)), p.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), x, {B}, targetLength, {I});");
        }
        w.Line($"a.Slice({DecoderState(plan, 0)}, {BH}).CopyTo(hiddens); // s_0");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, 4)}, {BH}).CopyTo(cells); // c_0");
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
        w.Line($"{Span} weights = a.Slice(Layout.{P}_Weights + (b * targetLength + t) * sourceLength, sourceLength);");
        WriteAttentionStep(w, plan, "memory", "keys", "query", $"a.Slice(Layout.{P}_Tanh + (t * {B} + b) * sourceLength * {A})", "weights", $"ctx.Slice(b * {E}, {E})", "sourceLength", "_rowLengths[b]");
        w.Close();
        w.Line($"// the context's share of the gates: ctx·W_ih[:, {I}:]ᵀ   ([{B} x {E}] · [{E} x {G}])");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.WeightIh} + {I}), {I + E}, gates, {4 * H}, {B}, {G}, {E}, accumulate: true);");
        WriteDecoderCell(w, d, B, "sPrev", "gates", d.Lstm ? "cells.Slice(t * " + BH + ", " + BH + ")" : "", d.Lstm ? $"cells.Slice((t + 1) * {BH}, {BH})" : "", $"hiddens.Slice((t + 1) * {BH}, {BH})");
        w.Close();

        w.Line("// s_n (and c_n): the state after the last step");
        w.Line($"hiddens.Slice(targetLength * {BH}, {BH}).CopyTo(a.Slice({DecoderState(plan, 1)}, {BH}));");
        if (d.Lstm) w.Line($"cells.Slice(targetLength * {BH}, {BH}).CopyTo(a.Slice({DecoderState(plan, 5)}, {BH}));");
        w.Line($"// outputs y_t = out.weight·[s_t ; ctx_t] + out.bias, every step at once   ([rows x {H + E}] · [{H + E} x {d.Output}])");
        w.Line($"{Span} y = a.Slice(Layout.{P}_Output);");
        w.Line($"{Blas}.MultiplyTransposed(hiddens.Slice({BH}), {H}, p.Slice(Layout.{d.OutWeight}), {H + E}, y, {d.Output}, rows, {d.Output}, {H}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(context, {E}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, y, {d.Output}, rows, {d.Output}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(y, {d.Output}, rows, {d.Output}, p.Slice(Layout.{d.OutBias}, {d.Output}));");
        w.Close();
        w.Line();
    }

    /// <summary>The cell update from the gates' input and context shares: adds the recurrent share and activates.</summary>
    internal static void WriteDecoderCell(SourceWriter w, DecoderPlan d, int B, string sPrev, string gates, string cPrev, string c, string s)
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
            w.Line($"{Span} gh = a.Slice(Layout.{d.Property}_Gh, {B * 3 * H});");
            w.Line($"{Blas}.MultiplyTransposed({sPrev}, {H}, p.Slice(Layout.{d.WeightHh}), {H}, gh, {3 * H}, {B}, {3 * H}, {H}, accumulate: false);");
            w.Line($"{Blas}.AddRowVector(gh, {3 * H}, {B}, {3 * H}, p.Slice(Layout.{d.BiasHh}, {3 * H}));");
            w.Line($"{Cells}.GruForward({gates}, gh, {sPrev}, {H}, {s}, {H}, {B}, {H});");
        }
    }

    internal static void WriteDecodeBackwardCore(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H, O = d.Output;
        bool tokens = d.Vocabulary > 0;
        w.Line($"/// <summary>{P} backwards over the steps of the last <c>Forward</c>: parameter gradients accumulate; ∂ encoder outputs and ∂s_0 go to the encoder.</summary>");
        w.Open("private void DecodeBackwardCore(int sourceLength, int targetLength)");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        w.Line($"{Span} g = a.Slice(Layout.Gradients, ParameterCount);");
        w.Line($"{Span} memory = a.Slice(Layout.{EncoderOutput(plan).Output});");
        w.Line($"{Span} dMemory = a.Slice(Layout.{EncoderOutput(plan).OutputGradient}); // ∂ encoder outputs, written here for the encoder's backward");
        if (d.Score != AttentionScore.Dot)
        {
            w.Line($"{Span} keys = a.Slice(Layout.{P}_Keys);");
            w.Line($"{Span} dKeys = a.Slice(Layout.{P}_KeysGradient);");
        }
        w.Line($"{Span} x = a.Slice(Layout.{P}_{(tokens ? "Embedded" : "Target")});");
        w.Line($"{Span} hiddens = a.Slice(Layout.{P}_Hiddens);");
        if (d.Lstm) w.Line($"{Span} cells = a.Slice(Layout.{P}_Cells);");
        w.Line($"{Span} cache = a.Slice(Layout.{P}_Cache);");
        w.Line($"{Span} context = a.Slice(Layout.{P}_Context);");
        w.Line($"{Span} dHiddens = a.Slice(Layout.{P}_HiddensGradient); // ∂s_t from the outputs, [time, {B}, {H}]");
        w.Line($"{Span} dContext = a.Slice(Layout.{P}_ContextGradient);");
        w.Line($"{Span} dG = a.Slice(Layout.{P}_GatesGradient);");
        if (!d.Lstm) w.Line($"{Span} dGh = a.Slice(Layout.{P}_GhGradient);");
        w.Line($"{Span} carry = a.Slice(Layout.{P}_Carry, {BH}); // ∂s carried to the previous step");
        if (d.Lstm) w.Line($"{Span} cellCarry = a.Slice(Layout.{P}_CellCarry, {BH});");
        w.Line($"{Span} dy = a.Slice(Layout.{P}_OutputGradient);");
        w.Line($"int rows = targetLength * {B}, sourceRows = sourceLength * {B};");
        w.Line();
        w.Line("// the output head: ∂out.weight += ∂yᵀ·[s ; ctx], ∂out.bias += Σ ∂y; ∂s_t = ∂y·out.weight[:, :H], ∂ctx_t = ∂y·out.weight[:, H:]");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dy, {O}, hiddens.Slice({BH}), {H}, g.Slice(Layout.{d.OutWeight}), {H + E}, rows, {O}, {H});");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dy, {O}, context, {E}, g.Slice(Layout.{d.OutWeight} + {H}), {H + E}, rows, {O}, {E});");
        w.Line($"{Blas}.SumRowsAdd(dy, {O}, rows, {O}, g.Slice(Layout.{d.OutBias}, {O}));");
        w.Line($"{Blas}.Multiply(dy, {O}, p.Slice(Layout.{d.OutWeight}), {H + E}, dHiddens, {H}, rows, {H}, {O}, accumulate: false);");
        w.Line($"{Blas}.Multiply(dy, {O}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, dContext, {E}, rows, {E}, {O}, accumulate: false);");
        w.Line();
        w.Line("// ∂s_n and ∂c_n enter after the last step; the attention adds into ∂ encoder outputs and ∂ keys");
        w.Line($"a.Slice({DecoderState(plan, 3)}, {BH}).CopyTo(carry);");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, 7)}, {BH}).CopyTo(cellCarry);");
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
            w.Line($"{Span} dQuery = a.Slice(Layout.{P}_QueryGradient + t * {B * A}, {B * A});");
            w.Line("dQuery.Clear();");
        }
        w.Line("// through each row's attention: ∂ encoder outputs, ∂ keys, ∂ query");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Line("int valid = _rowLengths[b];");
        w.Line($"int row = (b * targetLength + t) * sourceLength;");
        if (d.Score == AttentionScore.Additive)
        {
            w.Line($"{Additive}.Backward(p.Slice(Layout.{d.V}, {A}), memory.Slice(b * {E}), {B * E}, a.Slice(Layout.{P}_Tanh + (t * {B} + b) * sourceLength * {A}), a.Slice(Layout.{P}_Weights + row, sourceLength), dCtx.Slice(b * {E}, {E}), a.Slice(Layout.{P}_WeightsGradient + row, sourceLength), default, dMemory.Slice(b * {E}), dKeys.Slice(b * {A}), {B * A}, dQuery.Slice(b * {A}), g.Slice(Layout.{d.V}, {A}), a.Slice(Layout.{P}_Scratch), valid, {A}, {E});");
        }
        else
        {
            string k = d.Score == AttentionScore.Dot ? "memory" : "keys", dk = d.Score == AttentionScore.Dot ? "dMemory" : "dKeys";
            int width = d.Score == AttentionScore.Dot ? E : A, ldk = d.Score == AttentionScore.Dot ? B * E : B * A;
            w.Line($"{Attention}.Backward(sPrev.Slice(b * {H}), {H}, {k}.Slice(b * {width}), {ldk}, memory.Slice(b * {E}), {B * E}, a.Slice(Layout.{P}_Weights + row, valid), dCtx.Slice(b * {E}), {E}, a.Slice(Layout.{P}_WeightsGradient + row, valid), carry.Slice(b * {H}), {dk}.Slice(b * {width}), dMemory.Slice(b * {E}), a.Slice(Layout.{P}_Scratch), 1, valid, {H}, {E}, 1f, causal: false);");
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
        w.Line($"carry.CopyTo(a.Slice({DecoderState(plan, 2)}, {BH}));");
        if (d.Lstm) w.Line($"cellCarry.CopyTo(a.Slice({DecoderState(plan, 6)}, {BH}));");
        string dRecurrent = d.Lstm ? "dG" : "dGh";
        w.Line("// the cell's weights over every step at once: ∂W_hh += ∂gatesᵀ·s_{t-1}, ∂W_ih += ∂gatesᵀ·[x ; ctx], and the biases");
        w.Line($"{Blas}.MultiplyTransposedAAdd({dRecurrent}, {G}, hiddens, {H}, g.Slice(Layout.{d.WeightHh}), {H}, rows, {G}, {H});");
        w.Line($"{Blas}.SumRowsAdd({dRecurrent}, {G}, rows, {G}, g.Slice(Layout.{d.BiasHh}, {G}));");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dG, {G}, x, {I}, g.Slice(Layout.{d.WeightIh}), {I + E}, rows, {G}, {I});");
        w.Line($"{Blas}.MultiplyTransposedAAdd(dG, {G}, context, {E}, g.Slice(Layout.{d.WeightIh} + {I}), {I + E}, rows, {G}, {E});");
        w.Line($"{Blas}.SumRowsAdd(dG, {G}, rows, {G}, g.Slice(Layout.{d.BiasIh}, {G}));");
        string dx = tokens ? $"{P}_EmbeddedGradient" : $"{P}_TargetGradient";
        w.Line($"// ∂ target inputs = ∂gates·W_ih[:, :{I}]{(tokens ? ", scattered into the embedding's rows" : "")}");
        w.Line($"{Blas}.Multiply(dG, {G}, p.Slice(Layout.{d.WeightIh}), {I + E}, a.Slice(Layout.{dx}), {I}, rows, {I}, {G}, accumulate: false);");
        if (tokens)
        {
            w.Line($"global::Unroll.Kernels.Embeddings.ScatterAdd({IntCast}(a.Slice(Layout.{P}_Target, rows)), a.Slice(Layout.{dx}), g.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), {B}, targetLength, {I});");
        }
        if (d.Score == AttentionScore.Additive)
        {
            w.Line("// ∂W_s += ∂queryᵀ·s_{t-1}; ∂W_h += ∂keysᵀ·h, ∂b_h += Σ ∂keys; ∂h += ∂keys·W_h");
            w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{P}_QueryGradient), {A}, hiddens, {H}, g.Slice(Layout.{d.Ws}), {H}, rows, {A}, {H});");
            w.Line($"{Blas}.MultiplyTransposedAAdd(dKeys, {A}, memory, {E}, g.Slice(Layout.{d.Wh}), {E}, sourceRows, {A}, {E});");
            w.Line($"{Blas}.SumRowsAdd(dKeys, {A}, sourceRows, {A}, g.Slice(Layout.{d.Bh}, {A}));");
            w.Line($"{Blas}.Multiply(dKeys, {A}, p.Slice(Layout.{d.Wh}), {E}, dMemory, {E}, sourceRows, {E}, {A}, accumulate: true);");
        }
        else if (d.Score == AttentionScore.General)
        {
            w.Line("// ∂W_a += ∂keysᵀ·h; ∂h += ∂keys·W_a");
            w.Line($"{Blas}.MultiplyTransposedAAdd(dKeys, {A}, memory, {E}, g.Slice(Layout.{d.Wa}), {E}, sourceRows, {A}, {E});");
            w.Line($"{Blas}.Multiply(dKeys, {A}, p.Slice(Layout.{d.Wa}), {E}, dMemory, {E}, sourceRows, {E}, {A}, accumulate: true);");
        }
        w.Close();
        w.Line();
    }

    internal static void WriteDecodeStepCore(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        string P = d.Property;
        int B = plan.BatchSize, H = d.Hidden, E = d.Memory, A = d.Attention, G = d.GateWidth, I = d.Input, BH = B * H;
        bool tokens = d.Vocabulary > 0;
        w.Line("/// <summary>One decoder step of every row from the running state, attending over the memory of the last <c>Encode</c>.</summary>");
        w.Open("private void DecodeStepCore(int sourceLength)");
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} p = a.Slice(Layout.Parameters, ParameterCount);");
        w.Line($"{Span} memory = a.Slice(Layout.{P}_StepMemory);");
        if (d.Score != AttentionScore.Dot) w.Line($"{Span} keys = a.Slice(Layout.{P}_StepKeys);");
        if (d.Score == AttentionScore.Additive) w.Line($"{Span} query = a.Slice(Layout.{P}_StepQuery, {B * A});");
        w.Line($"{Span} x = a.Slice(Layout.{P}_{(tokens ? "StepEmbedded" : "StepTarget")}, {B * I});");
        w.Line($"{Span} ctx = a.Slice(Layout.{P}_StepContext, {B * E});");
        w.Line($"{Span} gates = a.Slice(Layout.{P}_StepCache, {B * 4 * H});");
        w.Line($"{Span} sPrev = a.Slice({DecoderState(plan, 1)}, {BH}); // the running state");
        if (tokens) w.Line($"global::Unroll.Kernels.Embeddings.Gather({IntCast}(a.Slice(Layout.{P}_StepTarget, {B})), p.Slice(Layout.{d.Embedding}, {d.Vocabulary * I}), x, {B}, 1, {I});");
        if (d.Score == AttentionScore.Additive) w.Line($"{Blas}.MultiplyTransposed(sPrev, {H}, p.Slice(Layout.{d.Ws}), {H}, query, {A}, {B}, {A}, {H}, accumulate: false);");
        w.Open($"for (int b = 0; b < {B}; b++)");
        w.Line($"{Span} weights = a.Slice(Layout.{P}_StepWeights + b * sourceLength, sourceLength);");
        WriteAttentionStep(w, plan, "memory", "keys", "query", $"a.Slice(Layout.{P}_StepTanh)", "weights", $"ctx.Slice(b * {E}, {E})", "sourceLength", "_stepSourceLengths[b]");
        w.Close();
        string biases = d.Lstm ? " + b_ih + b_hh" : " + b_ih";
        w.Line($"// gates = x·W_ih[:, :{I}]ᵀ + ctx·W_ih[:, {I}:]ᵀ{biases}");
        w.Line($"{Blas}.MultiplyTransposed(x, {I}, p.Slice(Layout.{d.WeightIh}), {I + E}, gates, {4 * H}, {B}, {G}, {I}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.WeightIh} + {I}), {I + E}, gates, {4 * H}, {B}, {G}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(gates, {4 * H}, {B}, {G}, p.Slice(Layout.{d.BiasIh}, {G}));");
        if (d.Lstm) w.Line($"{Blas}.AddRowVector(gates, {4 * H}, {B}, {G}, p.Slice(Layout.{d.BiasHh}, {G}));");
        w.Line($"{Span} next = a.Slice(Layout.{P}_StepNext, {BH});");
        string c = $"a.Slice({DecoderState(plan, 5)}, {BH})";
        WriteDecoderCell(w, d, B, "sPrev", "gates", d.Lstm ? c : "", d.Lstm ? c : "", "next");
        w.Line("next.CopyTo(sPrev); // the running state moves on");
        w.Line($"{Span} y = a.Slice(Layout.{P}_StepOutput, {B * d.Output});");
        w.Line($"{Blas}.MultiplyTransposed(sPrev, {H}, p.Slice(Layout.{d.OutWeight}), {H + E}, y, {d.Output}, {B}, {d.Output}, {H}, accumulate: false);");
        w.Line($"{Blas}.MultiplyTransposed(ctx, {E}, p.Slice(Layout.{d.OutWeight} + {H}), {H + E}, y, {d.Output}, {B}, {d.Output}, {E}, accumulate: true);");
        w.Line($"{Blas}.AddRowVector(y, {d.Output}, {B}, {d.Output}, p.Slice(Layout.{d.OutBias}, {d.Output}));");
        w.Close();
        w.Line();
    }

    internal static void WriteDecoderChecks(SourceWriter w, ModelPlan plan)
    {
        DecoderPlan d = plan.Decoder!;
        w.Line();
        w.Open("private static void CheckTargetLength(int targetLength)");
        w.Line("if (targetLength < 1 || targetLength > TargetLength)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(targetLength), targetLength, $\"The target length must be between 1 and TargetLength ({plan.TargetLength}), but is {{targetLength}}.\");");
        w.Close();
        w.Line();
        if (d.Vocabulary > 0)
        {
            w.Line();
            w.Open("private static void CheckTargetTokens(global::System.ReadOnlySpan<int> tokens, string name)");
            w.Open("for (int i = 0; i < tokens.Length; i++)");
            w.Line("if ((uint)tokens[i] >= VocabularySize)");
            w.Line($"    throw new global::System.ArgumentOutOfRangeException(name, tokens[i], $\"Target token {{tokens[i]}} at index {{i}} is outside the target vocabulary of {d.Vocabulary} (ids 0 to {d.Vocabulary - 1}).\");");
            w.Close();
            w.Close();
        }
    }
}
