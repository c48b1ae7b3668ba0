// Written by `unroll import` from bidirectional_lstm_dense.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasBidirectionalLstmDense.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 7, BatchSize = 2)]
public partial class KerasBidirectionalLstmDense
{
    /// <summary>Keras layer 'bidirectional' (Bidirectional, layer 2 of 3).</summary>
    [Lstm(3, 4, Bidirectional = true, ReturnSequences = false)]
    public partial LstmLayer Bidirectional { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 3 of 3).</summary>
    [Linear(8, 2)]
    public partial LinearLayer Dense { get; }
}
