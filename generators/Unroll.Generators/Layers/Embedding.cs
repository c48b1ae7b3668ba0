using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Embedding(numEmbeddings, embeddingDim)]</c> as <c>nn.Embedding</c>: a token id selects a row of the weight.</summary>
internal sealed class EmbeddingHandler : LayerHandler
{
    public override LayerKind Kind => LayerKind.Embedding;

    public override bool ChainsInputWidth => false;

    public override bool TakesTokens => true;

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) => new[] { ("numEmbeddings", layer.In), ("embeddingDim", layer.Out) };

    public override void AddParameters(LayerSpec layer, ParameterAdder add) => add("weight", new[] { layer.In, layer.Out }, InitKind.Normal, 0);

    public override string Describe(LayerPlan layer) => $"Embedding({layer.In} → {layer.Hidden})";

    public override string ViewArguments(ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        return ParameterView(plan, index, $"{layer.In}, {layer.Hidden}");
    }

    public override void WriteForward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string input = pass.Input;
        bool streaming = pass.Streaming;
        int B = pass.Plan.BatchSize;
        w.Line($"// {layer.Property}: {Describe(layer)}; each token id selects a row of the weight → [time, batch, {layer.Hidden}]");
        w.Line($"global::Unroll.Kernels.Embeddings.Gather(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, {(streaming ? B.ToString() : $"length * {B}")})), "
             + $"p.Slice(Layout.{layer.ParameterNames[0]}, {layer.In * layer.Hidden}), a.Slice(Layout.{buffers.Output}), {B}, {(streaming ? "1" : "length")}, {layer.Hidden});");
    }

    public override void WriteBackward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string input = pass.Input;
        int B = pass.Plan.BatchSize;
        w.Line($"// {layer.Property}: ∂W[token] += ∂y for every step");
        w.Line($"global::Unroll.Kernels.Embeddings.ScatterAdd(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, length * {B})), "
             + $"a.Slice(Layout.{buffers.OutputGradient}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.In * layer.Hidden}), {B}, length, {layer.Hidden});");
    }
}
