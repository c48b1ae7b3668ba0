// Written by `unroll import` from conv1d.json (RTNeural).
// Its weights are in RtNeuralConv1d.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 9, BatchSize = 2)]
public partial class RtNeuralConv1d
{
    /// <summary>RTNeural layer 1 of 6 (conv1d).</summary>
    [Conv1d(2, 4, 3, Causal = true, Dilation = 2)]
    public partial Conv1dLayer Conv1d { get; }

    /// <summary>RTNeural layer 1 of 6 (conv1d): its activation 'relu'.</summary>
    [Activation(ActivationFunction.Relu)]
    public partial ActivationLayer Relu { get; }

    /// <summary>RTNeural layer 2 of 6 (conv1d).</summary>
    [Conv1d(4, 4, 2, Causal = true, Groups = 2)]
    public partial Conv1dLayer Conv1d2 { get; }

    /// <summary>RTNeural layer 3 of 6 (batchnorm).</summary>
    [BatchNorm(4, Eps = 0.001)]
    public partial BatchNormLayer BatchNorm { get; }

    /// <summary>RTNeural layer 4 of 6 (activation).</summary>
    [Activation(ActivationFunction.Tanh)]
    public partial ActivationLayer Tanh { get; }

    /// <summary>RTNeural layer 5 of 6 (gru).</summary>
    [Gru(4, 3)]
    public partial GruLayer Gru { get; }

    /// <summary>RTNeural layer 6 of 6 (dense).</summary>
    [Linear(3, 1)]
    public partial LinearLayer Dense { get; }

    /// <summary>RTNeural layer 6 of 6 (dense): its activation 'sigmoid'.</summary>
    [Activation(ActivationFunction.Sigmoid)]
    public partial ActivationLayer Sigmoid { get; }
}
