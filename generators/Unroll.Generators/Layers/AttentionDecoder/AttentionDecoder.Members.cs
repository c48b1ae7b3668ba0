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

    /// <summary>The model's decoder (its last layer) and its regions of the arena.</summary>
    internal static (AttentionDecoderPlan Plan, DecoderBuffers Regions) Decoder(ModelPlan plan) =>
        ((AttentionDecoderPlan)plan.Layers[plan.Layers.Count - 1], Regions<DecoderBuffers>(plan.Sequence.Layers[plan.Layers.Count - 1]));

    internal static void WriteDecoderEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize;
        bool sourceTokens = plan.Vocabulary > 0, targetTokens = d.Vocabulary > 0;
        string sourceType = sourceTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        string targetType = targetTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        var (sourceShape, targetShape, outputShape) = Decoders.Shapes(plan);
        string targetWidth = targetTokens ? "" : $" * {d.Input}";

        Decoders.WriteForwardEntryPoints(w, plan);
        if (!plan.InferenceOnly) Decoders.WriteBackwardEntryPoints(w, plan);

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
        Decoders.WriteSourceChecks(w, plan, sourceShape);
        w.Line($"{Span} a = Arena;");
        if (d.Score != AttentionScore.Dot) w.Line(ParameterSlice(plan));
        w.Line("RunEncoder(source, sourceLength, sourceLengths, rows, training: false);");
        w.Line("_length = 0; // the encoder's activations are Encode's now");
        w.Line("_stepSourceLength = sourceLength;");
        w.Line("_rowLengths.CopyTo(_stepSourceLengths, 0);");
        w.Line($"a.Slice(Layout.{Decoders.EncoderOutput(plan).Output}, sourceLength * {B * d.Memory}).CopyTo(a.Slice(Layout.{r.StepMemory})); // the memory Step attends over");
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

        Decoders.WriteStepEntryPoint(w, plan, $"<see cref=\"{d.Property}\"/>'s <c>StepAttentionWeights</c> receive the weights.", "attending over the last <c>Encode</c>'s memory");
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
}
