namespace Unroll.Generators.Layers;

/// <summary><c>[AttentionDecoder(inputSize, hiddenSize, outputSize, Vocabulary, Attention, AttentionSize, Cell)]</c> as written.</summary>
internal sealed record AttentionDecoderSpec(int InputSize, int HiddenSize, int OutputSize, int Vocabulary, AttentionScore Score, int AttentionSize, DecoderCell Cell) : LayerSpec
{
    public override LayerKind Kind => LayerKind.AttentionDecoder;
}

/// <summary>
/// <c>[AttentionDecoder(inputSize, hiddenSize, outputSize)]</c>: an LSTM or GRU decoder attending over the encoder's
/// output, the last layer of an encoder–decoder model. It is not one of the encoder's layers in the plan (its own
/// <see cref="DecoderPlan"/>): its parameters, buffers and passes are planned and emitted apart (<c>Planner.PlanDecoder*</c>,
/// <c>Emitter.Decoder.cs</c>), so the per-layer passes never reach it.
/// </summary>
internal sealed class AttentionDecoderHandler : LayerHandler<AttentionDecoderSpec, DecoderPlan>
{
    public override LayerKind Kind => LayerKind.AttentionDecoder;

    /// <summary>Three sizes: the target step's features, the hidden size and the outputs per step; the options named.</summary>
    protected override AttentionDecoderSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(3) is { } sizes
            ? new AttentionDecoderSpec(sizes[0], sizes[1], sizes[2], arguments.Named("Vocabulary", 0), (AttentionScore)arguments.Named("Attention", 0),
                arguments.Named("AttentionSize", 0), (DecoderCell)arguments.Named("Cell", 0))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(AttentionDecoderSpec layer) =>
        new[] { ("inputSize", layer.InputSize), ("hiddenSize", layer.HiddenSize), ("outputSize", layer.OutputSize) };

    /// <summary>Its input is the target's, not the encoder's output (which it attends over).</summary>
    protected override int? InputWidth(AttentionDecoderSpec layer) => null;

    protected override int OutputWidth(AttentionDecoderSpec layer, int inputWidth) => layer.OutputSize;

    /// <summary>The enums' values, and widths that may be 0 but not negative.</summary>
    protected override void CheckOptions(AttentionDecoderSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Score is not (AttentionScore.Additive or AttentionScore.Dot or AttentionScore.General))
            Invalid(layer, "Attention", (int)layer.Score, "AttentionScore.Additive, AttentionScore.Dot or AttentionScore.General", diagnostics);
        if (layer.Cell is not (DecoderCell.Lstm or DecoderCell.Gru)) Invalid(layer, "Cell", (int)layer.Cell, "DecoderCell.Lstm or DecoderCell.Gru", diagnostics);
        if (layer.Vocabulary < 0) Invalid(layer, "Vocabulary", layer.Vocabulary, "0 (float targets) or the target vocabulary's size", diagnostics);
        if (layer.AttentionSize < 0) Invalid(layer, "AttentionSize", layer.AttentionSize, "0 (the hidden size) or a positive width", diagnostics);
    }

    public override string? NeedsTimeAxis => "Attention layer";

    protected override DecoderPlan Plan(AttentionDecoderSpec layer) => throw NotAnEncoderLayer();

    protected override LayerBuffers AddBuffers(DecoderPlan layer, BufferContext c) => throw NotAnEncoderLayer();

    protected override string Describe(DecoderPlan layer) => throw NotAnEncoderLayer();

    protected override string ViewArguments(ModelPlan plan, DecoderPlan layer, int index) => throw NotAnEncoderLayer();

    protected override void WriteForward(LayerPass pass, DecoderPlan layer) => throw NotAnEncoderLayer();

    protected override void WriteBackward(LayerPass pass, DecoderPlan layer) => throw NotAnEncoderLayer();

    private static InvalidOperationException NotAnEncoderLayer() =>
        new("The attention decoder is planned and emitted apart from the encoder's layers (DecoderPlan, Emitter.Decoder.cs).");
}
