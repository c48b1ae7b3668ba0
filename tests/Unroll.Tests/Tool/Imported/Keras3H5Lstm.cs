// Written by `unroll import` from keras3_lstm.h5 (Keras 3.16.0, Sequential).
// Its weights are in Keras3H5Lstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class Keras3H5Lstm
{
    /// <summary>Keras layer 'lstm' (LSTM, layer 2 of 2).</summary>
    [Lstm(3, 4)]
    public partial LstmLayer Lstm { get; }
}
