// Written by `unroll import` from lstm.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxLstm
{
    /// <summary>ONNX node '/rnn/LSTM' (LSTM, node 21 of 24).</summary>
    [Lstm(5, 7)]
    public partial LstmLayer Rnn { get; }
}
