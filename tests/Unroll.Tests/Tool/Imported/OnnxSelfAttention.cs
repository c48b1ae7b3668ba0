// Written by `unroll import` from self_attention.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxSelfAttention.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxSelfAttention
{
    /// <summary>ONNX nodes '/embed/MatMul' (MatMul, node 1 of 45) and '/embed/Add' (Add, node 2 of 45).</summary>
    [Linear(4, 6)]
    public partial LinearLayer Embed { get; }

    /// <summary>ONNX nodes '/attn/MatMul' to '/attn/Reshape_4' (nn.MultiheadAttention's self-attention; nodes 4 to 42 of 45).</summary>
    [SelfAttention(6, NumHeads = 2)]
    public partial SelfAttentionLayer Attn { get; }

    /// <summary>ONNX nodes '/head/MatMul' (MatMul, node 44 of 45) and '/head/Add' (Add, node 45 of 45).</summary>
    [Linear(6, 3)]
    public partial LinearLayer Head { get; }
}
