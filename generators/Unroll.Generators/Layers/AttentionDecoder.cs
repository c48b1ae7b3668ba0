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

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) =>
        new[] { ("inputSize", layer.In), ("hiddenSize", layer.Out), ("outputSize", layer.DecoderOutput) };

    public override string Describe(LayerPlan layer) => throw NotAnEncoderLayer();

    public override string ViewArguments(ModelPlan plan, int index) => throw NotAnEncoderLayer();

    public override void WriteForward(LayerPass pass) => throw NotAnEncoderLayer();

    public override void WriteBackward(LayerPass pass) => throw NotAnEncoderLayer();

    private static InvalidOperationException NotAnEncoderLayer() =>
        new("The attention decoder is planned and emitted apart from the encoder's layers (DecoderPlan, Emitter.Decoder.cs).");
}
