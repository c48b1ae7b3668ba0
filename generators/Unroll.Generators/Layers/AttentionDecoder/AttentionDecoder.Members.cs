using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The attention decoder's part of the model class: its constants and fields, the entry points of an encoder–decoder
/// model (<c>Forward(source, targetInput, …)</c>, <c>Backward</c>, <c>Encode</c>, <c>ResetState</c>, <c>ReorderState</c>,
/// <c>Step</c>) and their checks. The layers before it are the encoder: the ordinary passes, which <c>RunEncoder</c> runs.
/// </summary>
internal sealed partial class AttentionDecoderHandler
{
    private const string Attention = "global::Unroll.Kernels.Attention";
    private const string Additive = "global::Unroll.Kernels.AdditiveAttention";
    private const string IntCast = "global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>";

    /// <summary>The buffer holding the encoder's output (the attention memory), and its gradient.</summary>
    internal static LayerBuffers EncoderOutput(ModelPlan plan) => plan.Sequence.Layers[plan.Layers.Count - 2];

    /// <summary>The model's decoder (its last layer) and its regions of the arena.</summary>
    internal static (AttentionDecoderPlan Plan, DecoderBuffers Regions) Decoder(ModelPlan plan) =>
        ((AttentionDecoderPlan)plan.Layers[plan.Layers.Count - 1], Regions<DecoderBuffers>(plan.Sequence.Layers[plan.Layers.Count - 1]));

    internal static void WriteDecoderConstants(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
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

    internal static void WriteDecoderEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
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
            ? $"/// <param name=\"source\">Source ids, <c>[batch, sourceLength]</c> batch-first (1 to {B} rows), each below {plan.Vocabulary}.</param>"
            : $"/// <param name=\"source\">Sources, <c>[batch, sourceLength, {plan.InputSize}]</c> batch-first (1 to {B} rows).</param>");
        w.Line(targetTokens
            ? $"/// <param name=\"targetInput\">Target input ids, <c>[batch, targetLength]</c> batch-first, each below {d.Vocabulary}.</param>"
            : $"/// <param name=\"targetInput\">Target inputs, <c>[batch, targetLength, {d.Input}]</c> batch-first.</param>");
        w.Line($"/// <param name=\"output\">Receives <c>[batch, targetLength, {d.Output}]</c>.</param>");
        w.Line("/// <param name=\"sourceLength\">Source steps, 1 to <see cref=\"SequenceLength\"/>.</param>");
        w.Line("/// <param name=\"targetLength\">Decoder steps, 1 to <see cref=\"TargetLength\"/>.</param>");
        w.Line($"/// <param name=\"sourceLengths\">Empty, or per row the real source steps (1 to <paramref name=\"sourceLength\"/>); attention gives the padding after them exactly 0 weight.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range, or an id is outside its vocabulary; nothing has changed.</exception>");
        w.Open($"public void Forward({sourceType} source, {targetType} targetInput, {Span} output, int sourceLength, int targetLength, global::System.ReadOnlySpan<int> sourceLengths = default)");
        WriteSourceChecks(w, plan, sourceShape);
        w.Line("CheckTargetLength(targetLength);");
        w.Line(SpanCheck("targetInput.Length", $"rows * targetLength{targetWidth}", "nameof(targetInput)", $"$\"{targetShape}\""));
        w.Line(SpanCheck("output.Length", $"rows * targetLength * {d.Output}", "nameof(output)", $"$\"{outputShape}\""));
        if (targetTokens) w.Line("CheckTargetTokens(targetInput, nameof(targetInput));");
        w.Line($"{Span} a = Arena;");
        w.Line($"RunEncoder(source, sourceLength, sourceLengths, rows, training: {(plan.InferenceOnly ? "false" : "Training")});");
        if (targetTokens)
        {
            w.Line($"global::System.Span<int> targetIds = {IntCast}(a.Slice(Layout.{r.Target}, targetLength * {B}));");
            w.Line("targetInput.CopyTo(targetIds);");
            w.Line("targetIds.Slice(targetInput.Length).Clear(); // the rows past the batch's (a smaller batch)");
        }
        else
        {
            w.Line($"{Blas}.ToTimeMajor(targetInput, a.Slice(Layout.{r.Target}), rows, {B}, targetLength, {d.Input}); // → [time, batch, features]");
        }
        w.Line("DecodeCore(sourceLength, targetLength);");
        w.Line("_length = sourceLength;");
        w.Line("_targetLength = targetLength;");
        w.Line("_rows = rows;");
        w.Line($"{Blas}.FromTimeMajor(a.Slice(Layout.{r.Output}), output, rows, {B}, targetLength, {d.Output});");
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
        if (d.Score != AttentionScore.Dot) w.Line(ParameterSlice(plan));
        w.Line("RunEncoder(source, sourceLength, sourceLengths, rows, training: false);");
        w.Line("_length = 0; // the encoder's activations are Encode's now");
        w.Line("_stepSourceLength = sourceLength;");
        w.Line("_rowLengths.CopyTo(_stepSourceLengths, 0);");
        w.Line($"a.Slice(Layout.{EncoderOutput(plan).Output}, sourceLength * {B * d.Memory}).CopyTo(a.Slice(Layout.{r.StepMemory})); // the memory Step attends over");
        if (d.Score != AttentionScore.Dot) WriteKeyProjection(w, d, $"a.Slice(Layout.{r.StepMemory})", $"a.Slice(Layout.{r.StepKeys})", $"sourceLength * {B}");
        w.Line("ResetState();");
        w.Close();
        w.Line();

        w.Line("/// <summary>Copies the (checked) source and its rows' lengths, runs the encoder and takes the decoder's initial state from it.</summary>");
        w.Open($"private void RunEncoder({sourceType} source, int sourceLength, global::System.ReadOnlySpan<int> sourceLengths, int rows, bool training)");
        w.Line($"{Span} a = Arena;");
        WriteRunSequence(w, plan, "source", "sourceLength", "sourceLengths", "training", "rows");
        WriteBridge(w, plan);
        w.Close();
        w.Line();

        // Streaming
        w.Line($"/// <summary>Streaming: sets the decoder's running state to its initial state, the encoder's final state of the last <c>Encode</c> or <c>Forward</c>.</summary>");
        w.Open("public void ResetState()");
        w.Line($"{Span} a = Arena;");
        w.Line($"a.Slice({DecoderState(plan, d, 0)}, {B * d.Hidden}).CopyTo(a.Slice({DecoderState(plan, d, 1)}, {B * d.Hidden})); // s ← s_0");
        if (d.Lstm) w.Line($"a.Slice({DecoderState(plan, d, 4)}, {B * d.Hidden}).CopyTo(a.Slice({DecoderState(plan, d, 5)}, {B * d.Hidden})); // c ← c_0");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Streaming: reorders the decoder's running states, and the encoded sources they attend over, across the batch: row b");
        w.Line("/// takes what row <c>sources[b]</c> had (beam search keeps the histories of the surviving beams this way).");
        w.Line("/// </summary>");
        OpenReorderState(w, plan);
        w.Line($"{Span} a = Arena;");
        w.Line($"{Span} rowsOfH = a.Slice(Layout.{r.StepNext}, {B * d.Hidden});");
        w.Line($"{Blas}.GatherRows(a.Slice({DecoderState(plan, d, 1)}, {B * d.Hidden}), sources, {d.Hidden}, rowsOfH);");
        if (d.Lstm) w.Line($"{Blas}.GatherRows(a.Slice({DecoderState(plan, d, 5)}, {B * d.Hidden}), sources, {d.Hidden}, rowsOfH);");
        w.Line("// each encoded source step: its memory and keys rows");
        w.Open($"for (int j = 0; j < _stepSourceLength; j++)");
        w.Line($"{Blas}.GatherRows(a.Slice(Layout.{r.StepMemory} + j * {B * d.Memory}, {B * d.Memory}), sources, {d.Memory}, a.Slice(Layout.{r.StepContext}, {B * d.Memory}));");
        if (d.Score != AttentionScore.Dot)
        {
            string scratch = d.Score == AttentionScore.Additive ? r.StepQuery : r.StepNext;
            w.Line($"{Blas}.GatherRows(a.Slice(Layout.{r.StepKeys} + j * {B * d.Attention}, {B * d.Attention}), sources, {d.Attention}, a.Slice(Layout.{scratch}, {B * d.Attention}));");
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
        w.Line($"int rows = BatchRows({stepName}.Length, {(targetTokens ? 1 : d.Input)}, nameof({stepName}), \"{(targetTokens ? "[batch]" : $"[batch, features {d.Input}]")}\");");
        w.Line(SpanCheck("output.Length", $"rows * {d.Output}", "nameof(output)", $"$\"[batch {{rows}}, features {d.Output}]\""));
        if (targetTokens) w.Line($"CheckTargetTokens({stepName}, nameof({stepName}));");
        w.Line("if (_stepSourceLength == 0) throw new global::System.InvalidOperationException(\"Step needs Encode first: it attends over the encoded source.\");");
        w.Line($"{Span} a = Arena;");
        w.Line("// the batch's rows, then zeros in the rows past them (a smaller batch)");
        if (targetTokens)
        {
            w.Line($"global::System.Span<int> stepIds = {IntCast}(a.Slice(Layout.{r.StepTarget}, {B}));");
            w.Line($"{stepName}.CopyTo(stepIds);");
            w.Line("stepIds.Slice(rows).Clear();");
        }
        else
        {
            w.Line($"{stepName}.CopyTo(a.Slice(Layout.{r.StepTarget}, rows * {d.Input}));");
            w.Line($"a.Slice(Layout.{r.StepTarget} + rows * {d.Input}, ({B} - rows) * {d.Input}).Clear();");
        }
        w.Line("DecodeStepCore(_stepSourceLength);");
        w.Line($"a.Slice(Layout.{r.StepOutput}, rows * {d.Output}).CopyTo(output);");
        w.Close();
        w.Line();
    }

    /// <summary>Backward, for the last teacher-forced <c>Forward</c> (models compiled for training only).</summary>
    internal static void WriteDecoderBackwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
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
        w.Line("int sourceLength = _length, targetLength = _targetLength, rows = _rows;");
        w.Line("if (sourceLength == 0) throw new global::System.InvalidOperationException(\"Backward needs a Forward first: it differentiates the last Forward (Encode replaces what it kept).\");");
        w.Line(SpanCheck("outputGradient.Length", $"rows * targetLength * {d.Output}", "nameof(outputGradient)", $"$\"{outputShape}\""));
        if (floatSource) w.Line(SpanCheck("sourceGradientValues.Length", $"rows * sourceLength * {plan.InputSize}", "nameof(sourceGradient)", $"$\"{sourceShape}\"", when: "sourceGradient"));
        if (floatTarget) w.Line(SpanCheck("targetGradientValues.Length", $"rows * targetLength * {d.Input}", "nameof(targetGradient)", $"$\"{targetShape}\"", when: "targetGradient"));
        w.Line($"{Span} a = Arena;");
        w.Line("// the rows of the last Forward's batch; the rows past them (a smaller batch) get no gradient");
        w.Line($"{Blas}.ToTimeMajor(outputGradient, a.Slice(Layout.{r.OutputGradient}), rows, {B}, targetLength, {d.Output});");
        w.Line("DecodeBackwardCore(sourceLength, targetLength);");
        w.Line("BackwardCore(sourceLength, sourceGradient);");
        if (floatSource) w.Line($"if (sourceGradient) {Blas}.FromTimeMajor(a.Slice(Layout.{plan.Sequence.InputGradient}), sourceGradientValues, rows, {B}, sourceLength, {plan.InputSize});");
        if (floatTarget) w.Line($"if (targetGradient) {Blas}.FromTimeMajor(a.Slice(Layout.{r.TargetGradient}), targetGradientValues, rows, {B}, targetLength, {d.Input});");
        w.Close();
        w.Line();

    }

    /// <summary>The shapes of the source, target and output arguments, as the checks' messages give them (interpolated holes for the lengths).</summary>
    internal static (string Source, string Target, string Output) DecoderShapes(ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize;
        return (plan.Vocabulary > 0 ? "[batch {rows}, length {sourceLength}]" : $"[batch {{rows}}, length {{sourceLength}}, features {plan.InputSize}]",
            d.Vocabulary > 0 ? "[batch {rows}, length {targetLength}]" : $"[batch {{rows}}, length {{targetLength}}, features {d.Input}]",
            $"[batch {{rows}}, length {{targetLength}}, features {d.Output}]");
    }

    /// <summary>The checks of a source argument and its lengths, before anything changes.</summary>
    internal static void WriteSourceChecks(SourceWriter w, ModelPlan plan, string sourceShape)
    {
        w.Line("CheckLength(sourceLength, nameof(sourceLength));");
        w.Line($"int rows = BatchRows(source.Length, {(plan.InputSize == 1 ? "sourceLength" : $"sourceLength * {plan.InputSize}")}, nameof(source), \"{(plan.Vocabulary > 0 ? "[batch, length]" : $"[batch, length, features {plan.InputSize}]")}\");");
        if (plan.Vocabulary > 0) w.Line("CheckTokens(source, nameof(source));");
        w.Line("CheckRowLengths(sourceLengths, sourceLength, rows, nameof(sourceLengths));");
    }

    /// <summary>s_0 (and c_0) ← the final states of the encoder's last recurrent layer, its top stacked layer, directions side by side.</summary>
    internal static void WriteBridge(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        var bridge = (RecurrentPlan)plan.Layers[Bridge(plan, plan.Layers.Count - 1)];
        int B = plan.BatchSize, H = bridge.Hidden, top = bridge.NumLayers - 1;
        w.Line($"// the decoder starts from {bridge.Property}'s final state{(bridge.Directions == 2 ? ", both directions side by side" : "")}");
        for (int dir = 0; dir < bridge.Directions; dir++)
        {
            w.Line($"{Blas}.CopyRows(a.Slice({State(plan, bridge, 1, top, dir)}), {H}, a.Slice({DecoderState(plan, d, 0)}{(dir == 1 ? $" + {H}" : "")}), {d.Hidden}, {B}, {H}); // s_0");
            if (d.Lstm && bridge.Cell == RecurrentCell.Lstm)
                w.Line($"{Blas}.CopyRows(a.Slice({State(plan, bridge, 5, top, dir)}), {H}, a.Slice({DecoderState(plan, d, 4)}{(dir == 1 ? $" + {H}" : "")}), {d.Hidden}, {B}, {H}); // c_0");
        }
        if (d.Lstm && bridge.Cell != RecurrentCell.Lstm) w.Line($"// c_0 stays 0: {bridge.Property} has no cell state");
    }

    internal static void WriteDecoderChecks(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
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
