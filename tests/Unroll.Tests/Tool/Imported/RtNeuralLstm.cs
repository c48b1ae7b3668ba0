// Written by `unroll import` from lstm.json (RTNeural).
// Its weights are in RtNeuralLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 10, BatchSize = 2)]
public partial class RtNeuralLstm
{
    /// <summary>RTNeural layer 1 of 2 (lstm).</summary>
    [Lstm(1, 6)]
    public partial LstmLayer Lstm { get; }

    /// <summary>RTNeural layer 2 of 2 (dense).</summary>
    [Linear(6, 1)]
    public partial LinearLayer Dense { get; }
}
