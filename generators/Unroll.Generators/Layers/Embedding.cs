using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Embedding(numEmbeddings, embeddingDim)]</c> as written.</summary>
internal sealed record EmbeddingSpec(int NumEmbeddings, int EmbeddingDim) : LayerSpec
{
    public override string Kind => "Embedding";
}

/// <summary>An embedding's plan: its vocabulary (its output width is <see cref="LayerPlan.Out"/>).</summary>
internal sealed record EmbeddingPlan(int Vocabulary) : LayerPlan
{
    public override string Kind => "Embedding";
}

/// <summary><c>[Embedding(numEmbeddings, embeddingDim)]</c> as <c>nn.Embedding</c>: a token id selects a row of the weight.</summary>
internal sealed class EmbeddingHandler : LayerHandler<EmbeddingSpec, EmbeddingPlan>
{
    public override string Kind => "Embedding";

    public override bool TakesTokens => true;

    protected override EmbeddingSpec? ReadSpec(LayerArguments arguments) => arguments.Ints(2) is { } sizes ? new EmbeddingSpec(sizes[0], sizes[1]) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(EmbeddingSpec layer) => new[] { ("numEmbeddings", layer.NumEmbeddings), ("embeddingDim", layer.EmbeddingDim) };

    /// <summary>Its first size is the vocabulary: it reads token ids.</summary>
    protected override int? InputWidth(EmbeddingSpec layer) => null;

    protected override int OutputWidth(EmbeddingSpec layer, int inputWidth) => layer.EmbeddingDim;

    protected override void AddParameters(EmbeddingSpec layer, int inputWidth, ParameterAdder add) => add("weight", new[] { layer.NumEmbeddings, layer.EmbeddingDim }, InitKind.Normal, 0);

    protected override EmbeddingPlan Plan(EmbeddingSpec layer) => new(layer.NumEmbeddings);

    protected override string Describe(EmbeddingPlan layer) => $"Embedding({layer.Vocabulary} → {layer.Out})";

    protected override string ViewArguments(ModelPlan plan, EmbeddingPlan layer, int index) => ParameterView(plan, index, $"{layer.Vocabulary}, {layer.Out}");

    protected override void WriteForward(LayerPass pass, EmbeddingPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string input = pass.Input;
        bool streaming = pass.Streaming;
        int B = pass.Plan.BatchSize;
        w.Line($"// {layer.Property}: {Describe(layer)}; each token id selects a row of the weight → [time, batch, {layer.Out}]");
        w.Line($"global::Unroll.Kernels.Embeddings.Gather(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, {(streaming ? B.ToString() : $"{layer.Length} * {B}")})), "
             + $"p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Vocabulary * layer.Out}), a.Slice(Layout.{buffers.Output}), {B}, {(streaming ? "1" : layer.Length)}, {layer.Out});");
    }

    protected override void WriteBackward(LayerPass pass, EmbeddingPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string input = pass.Input;
        int B = pass.Plan.BatchSize;
        w.Line($"// {layer.Property}: ∂W[token] += ∂y for every step");
        w.Line($"global::Unroll.Kernels.Embeddings.ScatterAdd(global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{input}, {layer.Length} * {B})), "
             + $"a.Slice(Layout.{buffers.OutputGradient}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.Vocabulary * layer.Out}), {B}, {layer.Length}, {layer.Out});");
    }
}
