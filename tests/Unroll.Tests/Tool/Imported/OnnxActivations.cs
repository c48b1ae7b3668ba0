// Written by `unroll import` from activations.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxActivations.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxActivations
{
    /// <summary>ONNX nodes '/0/MatMul' (MatMul, node 1 of 11) and '/0/Add' (Add, node 2 of 11).</summary>
    [Linear(4, 6)]
    public partial LinearLayer Layer0 { get; }

    /// <summary>ONNX nodes '/1/Sigmoid' (Sigmoid, node 3 of 11) and '/1/Mul' (Mul, node 4 of 11).</summary>
    [Activation(ActivationFunction.Silu)]
    public partial ActivationLayer Layer1 { get; }

    /// <summary>ONNX nodes '/2/MatMul' (MatMul, node 5 of 11) and '/2/Add' (Add, node 6 of 11).</summary>
    [Linear(6, 5)]
    public partial LinearLayer Layer2 { get; }

    /// <summary>ONNX node '/3/LeakyRelu' (LeakyRelu, node 7 of 11).</summary>
    [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.2)]
    public partial ActivationLayer Layer3 { get; }

    /// <summary>ONNX node '/4/Sigmoid' (Sigmoid, node 8 of 11).</summary>
    [Activation(ActivationFunction.Sigmoid)]
    public partial ActivationLayer Layer4 { get; }

    /// <summary>ONNX nodes '/6/MatMul' (MatMul, node 9 of 11) and '/6/Add' (Add, node 10 of 11).</summary>
    [Linear(5, 3)]
    public partial LinearLayer Layer6 { get; }

    /// <summary>ONNX node '/7/Relu' (Relu, node 11 of 11).</summary>
    [Activation(ActivationFunction.Relu)]
    public partial ActivationLayer Layer7 { get; }
}
