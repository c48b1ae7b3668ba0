using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The transformer decoder's entry points beyond the ones every decoder shares (<see cref="Decoders"/>): <c>Encode</c>
/// (the encoder, then each layer's keys and values of the memory), <c>ResetState</c>, <c>ReorderState</c> (the caches
/// and the encoded memory, by row) and <c>Step</c>.
/// </summary>
internal sealed partial class TransformerDecoderLayerHandler
{
    private static void WriteEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Decoder(plan);
        int B = plan.BatchSize, e = d.DModel, Td = plan.TargetLength;
        string sourceType = plan.Vocabulary > 0 ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        Decoders.WriteForwardEntryPoints(w, plan);
        if (!plan.InferenceOnly) Decoders.WriteBackwardEntryPoints(w, plan);

        w.Line("/// <summary>Runs the encoder over full-length sources and starts decoding from them (see <see cref=\"Step\"/>).</summary>");
        w.Line($"public void Encode({sourceType} source) => Encode(source, SequenceLength);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Runs the encoder (in inference: no dropout) over <paramref name=\"sourceLength\"/> steps, projects its outputs into each");
        w.Line($"/// layer's cross-attention keys and values, which <c>Step</c> attends over, and resets the decoder to position 0.{(plan.InferenceOnly ? "" : " It replaces")}");
        if (!plan.InferenceOnly) w.Line("/// what the last <c>Forward</c> kept, so <c>Backward</c> needs a new <c>Forward</c>.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range, or an id is outside the vocabulary; nothing has changed.</exception>");
        w.Open($"public void Encode({sourceType} source, int sourceLength, global::System.ReadOnlySpan<int> sourceLengths = default)");
        Decoders.WriteSourceChecks(w, plan, Decoders.Shapes(plan).Source);
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line("RunEncoder(source, sourceLength, sourceLengths, rows, training: false);");
        w.Line("_length = 0; // the encoder's activations are Encode's now");
        w.Line("_stepSourceLength = sourceLength;");
        w.Line("_rowLengths.CopyTo(_stepSourceLengths, 0);");
        for (int i = 0; i < d.NumLayers; i++)
        {
            WriteKeyValues(w, d, i, $"a.Slice(Layout.{Decoders.EncoderOutput(plan).Output})", $"a.Slice(Layout.{r.StepLayers[i].KeyValues})", $"sourceLength * {B}");
        }
        w.Line("ResetState();");
        w.Close();
        w.Line();

        w.Line("/// <summary>Copies the (checked) source and its rows' lengths and runs the encoder.</summary>");
        w.Open($"private void RunEncoder({sourceType} source, int sourceLength, global::System.ReadOnlySpan<int> sourceLengths, int rows, bool training)");
        w.Line($"{Span} a = Arena;");
        WriteRunSequence(w, plan, "source", "sourceLength", "sourceLengths", "training", "rows");
        w.Close();
        w.Line();

        w.Line("/// <summary>Streaming: the next <c>Step</c> decodes position 0 again, attending over the last <c>Encode</c>'s memory.</summary>");
        w.Line("public void ResetState() => _decodePosition = 0;");
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Streaming: reorders the decoder's caches of the steps so far, and the encoded sources they attend over, across the");
        w.Line("/// batch: row b takes what row <c>sources[b]</c> had (beam search keeps the histories of the surviving beams this way).");
        w.Line("/// </summary>");
        OpenReorderState(w, plan);
        w.Line($"{Span} a = Arena;");
        int block = B * 2 * e;
        for (int i = 0; i < d.NumLayers; i++)
        {
            DecoderLayerRegions s = r.StepLayers[i];
            w.Line($"// layer {i}: the keys and values of every step so far, and of every encoded source step (through the cache's scratch position)");
            w.Line($"for (int s = 0; s < _decodePosition; s++) {Blas}.GatherRows(a.Slice(Layout.{s.SelfCache} + s * {block}, {block}), sources, {2 * e}, a.Slice(Layout.{s.SelfCache} + {Td * block}, {block}));");
            w.Line($"for (int j = 0; j < _stepSourceLength; j++) {Blas}.GatherRows(a.Slice(Layout.{s.KeyValues} + j * {block}, {block}), sources, {2 * e}, a.Slice(Layout.{s.SelfCache} + {Td * block}, {block}));");
        }
        w.Line("for (int b = 0; b < sources.Length; b++) _reorderScratch[b] = _stepSourceLengths[sources[b]];");
        w.Line("_reorderScratch.CopyTo(_stepSourceLengths, 0);");
        w.Close();
        w.Line();

        Decoders.WriteStepEntryPoint(w, plan,
            $"<see cref=\"{d.Property}\"/>'s <c>StepCrossAttentionWeights</c> receive the last layer's cross-attention weights. Each step caches its keys and values, up to <c>TargetLength</c> steps after <c>Encode</c> or <c>ResetState</c>.",
            "attending over the steps since <c>Encode</c> or <c>ResetState</c> and the encoded memory",
            $"if (_decodePosition == TargetLength) throw new global::System.InvalidOperationException(\"Step has decoded TargetLength ({Td}) steps since Encode or ResetState: the decoder's positions and caches end there.\");");
    }

    /// <summary>Layer <paramref name="i"/>'s cross-attention keys and values of the memory: <c>memory·W_kvᵀ + b_kv</c> (rows E … 3E of <c>in_proj</c>).</summary>
    private static void WriteKeyValues(SourceWriter w, TransformerDecoderLayerPlan d, int i, string memory, string keyValues, string rows)
    {
        int e = d.DModel;
        w.Line($"// layer {i}: the memory's cross-attention keys and values, memory·W_kvᵀ + b_kv   ([{rows} x {e}] · [{e} x {2 * e}])");
        w.Line($"{Blas}.MultiplyTransposed({memory}, {e}, p.Slice(Layout.{d.Parameter(i, 4)} + {e * e}), {e}, {keyValues}, {2 * e}, {rows}, {2 * e}, {e}, accumulate: false);");
        w.Line($"{Blas}.AddRowVector({keyValues}, {2 * e}, {rows}, {2 * e}, p.Slice(Layout.{d.Parameter(i, 5)} + {e}, {2 * e}));");
    }
}
