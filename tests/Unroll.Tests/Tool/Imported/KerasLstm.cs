// Written by `unroll import` from lstm.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class KerasLstm
{
    /// <summary>Keras layer 'lstm' (LSTM, layer 2 of 2).</summary>
    [Lstm(3, 4)]
    public partial LstmLayer Lstm { get; }
}
