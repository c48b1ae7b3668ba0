// Written by `unroll import` from layernorm_gelu.onnx (ONNX, opset 17, pytorch 1.13.0).
// Its weights are in OnnxLayerNormGelu.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxLayerNormGelu
{
    /// <summary>ONNX nodes '/0/MatMul' (MatMul, node 1 of 13) and '/0/Add' (Add, node 2 of 13).</summary>
    [Linear(4, 6)]
    public partial LinearLayer Layer0 { get; }

    /// <summary>ONNX node '/1/LayerNormalization' (LayerNormalization, node 3 of 13).</summary>
    [LayerNorm(6)]
    public partial LayerNormLayer Layer1 { get; }

    /// <summary>ONNX nodes '/2/Div' to '/2/Mul_1' (GELU as Div, Erf, Add, Mul, Mul; nodes 5 to 11 of 13).</summary>
    [Activation(ActivationFunction.Gelu)]
    public partial ActivationLayer Layer2 { get; }

    /// <summary>ONNX nodes '/3/MatMul' (MatMul, node 12 of 13) and '/3/Add' (Add, node 13 of 13).</summary>
    [Linear(6, 3)]
    public partial LinearLayer Layer3 { get; }
}
