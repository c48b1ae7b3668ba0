// Written by `unroll import` from dense_tanh.json (RTNeural).
// Its weights are in RtNeuralDenseTanh.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 8, BatchSize = 2)]
public partial class RtNeuralDenseTanh
{
    /// <summary>RTNeural layer 1 of 2 (dense).</summary>
    [Linear(3, 4)]
    public partial LinearLayer Dense { get; }

    /// <summary>RTNeural layer 1 of 2 (dense): its activation 'tanh'.</summary>
    [Activation(ActivationFunction.Tanh)]
    public partial ActivationLayer Tanh { get; }

    /// <summary>RTNeural layer 2 of 2 (dense).</summary>
    [Linear(4, 2)]
    public partial LinearLayer Dense2 { get; }
}
