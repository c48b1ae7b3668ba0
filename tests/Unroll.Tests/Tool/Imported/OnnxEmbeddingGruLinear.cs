// Written by `unroll import` from embedding_gru_linear.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxEmbeddingGruLinear.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxEmbeddingGruLinear
{
    /// <summary>ONNX node '/embed/Gather' (Gather, node 1 of 18).</summary>
    [Embedding(11, 6)]
    public partial EmbeddingLayer Embed { get; }

    /// <summary>ONNX node '/gru/GRU' (GRU, node 13 of 18).</summary>
    [Gru(6, 7)]
    public partial GruLayer Gru { get; }

    /// <summary>ONNX nodes '/head/MatMul' (MatMul, node 17 of 18) and '/head/Add' (Add, node 18 of 18).</summary>
    [Linear(7, 5)]
    public partial LinearLayer Head { get; }
}
