// Written by `unroll import` from gru.onnx (ONNX, opset 14, pytorch 1.13.0).
// Its weights are in OnnxGru.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class OnnxGru
{
    /// <summary>ONNX node '/rnn/GRU' (GRU, node 11 of 14).</summary>
    [Gru(5, 6)]
    public partial GruLayer Rnn { get; }
}
