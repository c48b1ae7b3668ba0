// Written by `unroll import` from gru.json (RTNeural).
// Its weights are in RtNeuralGru.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 10, BatchSize = 2)]
public partial class RtNeuralGru
{
    /// <summary>RTNeural layer 1 of 2 (gru).</summary>
    [Gru(2, 5)]
    public partial GruLayer Gru { get; }

    /// <summary>RTNeural layer 2 of 2 (dense).</summary>
    [Linear(5, 1)]
    public partial LinearLayer Dense { get; }
}
