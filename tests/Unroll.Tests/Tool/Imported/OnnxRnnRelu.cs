// Written by `unroll import` from rnn_relu.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxRnnRelu.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxRnnRelu
{
    /// <summary>ONNX nodes '/rnn/RNN' (RNN, node 12 of 28) and '/rnn/RNN_1' (RNN, node 25 of 28).</summary>
    [Rnn(3, 5, Nonlinearity = Nonlinearity.Relu, NumLayers = 2)]
    public partial RnnLayer Rnn { get; }
}
