// Written by `unroll import` from keras3_conv_batchnorm_lstm.keras (Keras 3.16.0, Functional).
// Its weights are in Keras3ConvBatchNormLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 8, BatchSize = 2)]
public partial class Keras3ConvBatchNormLstm
{
    /// <summary>Keras layer 'conv1d' (Conv1D, layer 2 of 6).</summary>
    [Conv1d(3, 4, 3, Causal = true, Dilation = 2)]
    public partial Conv1dLayer Conv1d { get; }

    /// <summary>Keras layer 'batch_normalization' (BatchNormalization, layer 3 of 6).</summary>
    [BatchNorm(4, Eps = 0.001, Momentum = 0.01)]
    public partial BatchNormLayer BatchNormalization { get; }

    /// <summary>Keras layer 'leaky_re_lu' (LeakyReLU, layer 4 of 6).</summary>
    [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.1)]
    public partial ActivationLayer LeakyReLu { get; }

    /// <summary>Keras layer 'lstm' (LSTM, layer 5 of 6).</summary>
    [Lstm(4, 5, ReturnSequences = false)]
    public partial LstmLayer Lstm { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 6 of 6).</summary>
    [Linear(5, 3)]
    public partial LinearLayer Dense { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 6 of 6): its activation 'tanh'.</summary>
    [Activation(ActivationFunction.Tanh)]
    public partial ActivationLayer DenseActivation { get; }
}
