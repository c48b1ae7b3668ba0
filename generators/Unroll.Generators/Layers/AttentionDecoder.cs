namespace Unroll.Generators.Layers;

/// <summary>
/// <c>[AttentionDecoder(inputSize, hiddenSize, outputSize)]</c>: an LSTM or GRU decoder attending over the encoder's
/// output, the last layer of an encoder–decoder model. It is not one of the encoder's layers in the plan (its own
/// <see cref="DecoderPlan"/>): its parameters, buffers and passes are planned and emitted apart (<c>Planner.PlanDecoder*</c>,
/// <c>Emitter.Decoder.cs</c>), so the per-layer passes never reach it.
/// </summary>
internal sealed class AttentionDecoderHandler : LayerHandler
{
    public override LayerKind Kind => LayerKind.AttentionDecoder;

    /// <summary>Three sizes: the target step's features, the hidden size and the outputs per step.</summary>
    public override bool ReadArguments(object?[] arguments, out LayerArguments read)
    {
        read = default;
        if (!(arguments.Length == 3 && arguments[0] is int input && arguments[1] is int hidden && arguments[2] is int output)) return false;
        read = new LayerArguments { In = input, Out = hidden, DecoderOutput = output };
        return true;
    }

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) =>
        new[] { ("inputSize", layer.In), ("hiddenSize", layer.Out), ("outputSize", layer.DecoderOutput) };

    /// <summary>The enums' values, and widths that may be 0 but not negative.</summary>
    public override void CheckOptions(LayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Score is not (AttentionScore.Additive or AttentionScore.Dot or AttentionScore.General))
            Invalid(layer, "Attention", (int)layer.Score, "AttentionScore.Additive, AttentionScore.Dot or AttentionScore.General", diagnostics);
        if (layer.Cell is not (DecoderCell.Lstm or DecoderCell.Gru)) Invalid(layer, "Cell", (int)layer.Cell, "DecoderCell.Lstm or DecoderCell.Gru", diagnostics);
        if (layer.TargetVocabulary < 0) Invalid(layer, "Vocabulary", layer.TargetVocabulary, "0 (float targets) or the target vocabulary's size", diagnostics);
        if (layer.AttentionSize < 0) Invalid(layer, "AttentionSize", layer.AttentionSize, "0 (the hidden size) or a positive width", diagnostics);
    }

    public override string? NeedsTimeAxis => "Attention layer";

    public override bool ChainsInputWidth => false;

    public override LayerBuffers AddBuffers(LayerPlan layer, BufferContext c) => throw NotAnEncoderLayer();

    public override string Describe(LayerPlan layer) => throw NotAnEncoderLayer();

    public override string ViewArguments(ModelPlan plan, int index) => throw NotAnEncoderLayer();

    public override void WriteForward(LayerPass pass) => throw NotAnEncoderLayer();

    public override void WriteBackward(LayerPass pass) => throw NotAnEncoderLayer();

    private static InvalidOperationException NotAnEncoderLayer() =>
        new("The attention decoder is planned and emitted apart from the encoder's layers (DecoderPlan, Emitter.Decoder.cs).");
}
