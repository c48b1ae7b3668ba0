// Written by `unroll import` from conv_same_strided_activations.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasConvSameStridedActivations.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 9, BatchSize = 2)]
public partial class KerasConvSameStridedActivations
{
    /// <summary>Keras layer 'conv1d' (Conv1D, layer 2 of 5).</summary>
    [Conv1d(3, 5, 3, Padding = 1)]
    public partial Conv1dLayer Conv1d { get; }

    /// <summary>Keras layer 'conv1d' (Conv1D, layer 2 of 5): its activation 'gelu'.</summary>
    [Activation(ActivationFunction.Gelu)]
    public partial ActivationLayer Conv1dActivation { get; }

    /// <summary>Keras layer 'conv1d_1' (Conv1D, layer 3 of 5).</summary>
    [Conv1d(5, 4, 2, Stride = 2)]
    public partial Conv1dLayer Conv1d1 { get; }

    /// <summary>Keras layer 'conv1d_1' (Conv1D, layer 3 of 5): its activation 'swish'.</summary>
    [Activation(ActivationFunction.Silu)]
    public partial ActivationLayer Conv1d1Activation { get; }

    /// <summary>Keras layer 'leaky_re_lu' (LeakyReLU, layer 4 of 5).</summary>
    [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.3)]
    public partial ActivationLayer LeakyReLu { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 5 of 5).</summary>
    [Linear(4, 2)]
    public partial LinearLayer Dense { get; }
}
