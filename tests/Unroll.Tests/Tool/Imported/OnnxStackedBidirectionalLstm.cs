// Written by `unroll import` from lstm_stacked_bidirectional.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxStackedBidirectionalLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxStackedBidirectionalLstm
{
    /// <summary>ONNX nodes '/rnn/LSTM' (LSTM, node 22 of 50) and '/rnn/LSTM_1' (LSTM, node 46 of 50).</summary>
    [Lstm(4, 6, NumLayers = 2, Bidirectional = true)]
    public partial LstmLayer Rnn { get; }
}
