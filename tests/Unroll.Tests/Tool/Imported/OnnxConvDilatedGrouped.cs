// Written by `unroll import` from conv_dilated_grouped.onnx (ONNX, opset 17, pytorch 1.13.0).
// Its weights are in OnnxConvDilatedGrouped.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxConvDilatedGrouped
{
    /// <summary>ONNX node '/conv/Conv' (Conv, node 2 of 4).</summary>
    [Conv1d(4, 6, 3, Padding = 2, Dilation = 2, Groups = 2, Bias = false)]
    public partial Conv1dLayer Conv { get; }

    /// <summary>ONNX node '/norm/BatchNormalization' (BatchNormalization, node 3 of 4).</summary>
    [BatchNorm(6, Eps = 0.001, Momentum = 0.2)]
    public partial BatchNormLayer Norm { get; }
}
