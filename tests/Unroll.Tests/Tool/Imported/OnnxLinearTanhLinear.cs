// Written by `unroll import` from linear_tanh_linear.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxLinearTanhLinear.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxLinearTanhLinear
{
    /// <summary>ONNX nodes '/0/MatMul' (MatMul, node 1 of 5) and '/0/Add' (Add, node 2 of 5).</summary>
    [Linear(4, 9)]
    public partial LinearLayer Layer0 { get; }

    /// <summary>ONNX node '/1/Tanh' (Tanh, node 3 of 5).</summary>
    [Activation(ActivationFunction.Tanh)]
    public partial ActivationLayer Layer1 { get; }

    /// <summary>ONNX nodes '/2/MatMul' (MatMul, node 4 of 5) and '/2/Add' (Add, node 5 of 5).</summary>
    [Linear(9, 3)]
    public partial LinearLayer Layer2 { get; }
}
