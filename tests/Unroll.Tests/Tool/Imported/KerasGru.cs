// Written by `unroll import` from gru.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasGru.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 6, BatchSize = 2)]
public partial class KerasGru
{
    /// <summary>Keras layer 'gru' (GRU, layer 2 of 2).</summary>
    [Gru(3, 4)]
    public partial GruLayer Gru { get; }
}
