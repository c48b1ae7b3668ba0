// Written by `unroll import` from conv_batchnorm_relu_lstm.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxConvBatchNormReluLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxConvBatchNormReluLstm
{
    /// <summary>ONNX node '/conv/Conv' (Conv, node 2 of 28).</summary>
    [Conv1d(3, 8, 3, Stride = 2, Padding = 1)]
    public partial Conv1dLayer Conv { get; }

    /// <summary>ONNX node '/norm/BatchNormalization' (BatchNormalization, node 3 of 28).</summary>
    [BatchNorm(8)]
    public partial BatchNormLayer Norm { get; }

    /// <summary>ONNX node '/Relu' (Relu, node 4 of 28).</summary>
    [Activation(ActivationFunction.Relu)]
    public partial ActivationLayer Relu { get; }

    /// <summary>ONNX node '/lstm/LSTM' (LSTM, node 25 of 28).</summary>
    [Lstm(8, 5)]
    public partial LstmLayer Lstm { get; }
}
