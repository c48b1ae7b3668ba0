// Written by `unroll import` from gru_stacked_bidirectional.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxStackedBidirectionalGru.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxStackedBidirectionalGru
{
    /// <summary>ONNX nodes '/rnn/GRU' (GRU, node 12 of 30) and '/rnn/GRU_1' (GRU, node 26 of 30).</summary>
    [Gru(5, 4, NumLayers = 2, Bidirectional = true)]
    public partial GruLayer Rnn { get; }
}
