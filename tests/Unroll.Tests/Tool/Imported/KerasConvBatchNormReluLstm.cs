// Written by `unroll import` from conv_batchnorm_relu_lstm.h5 (Keras 2.15.0, Functional).
// Its weights are in KerasConvBatchNormReluLstm.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 8, BatchSize = 2)]
public partial class KerasConvBatchNormReluLstm
{
    /// <summary>Keras layer 'conv1d' (Conv1D, layer 2 of 7).</summary>
    [Conv1d(3, 4, 3, Causal = true, Dilation = 2)]
    public partial Conv1dLayer Conv1d { get; }

    /// <summary>Keras layer 'batch_normalization' (BatchNormalization, layer 3 of 7).</summary>
    [BatchNorm(4, Eps = 0.001, Momentum = 0.01)]
    public partial BatchNormLayer BatchNormalization { get; }

    /// <summary>Keras layer 'activation' (Activation, layer 4 of 7).</summary>
    [Activation(ActivationFunction.Relu)]
    public partial ActivationLayer Activation { get; }

    /// <summary>Keras layer 'dropout' (Dropout, layer 5 of 7).</summary>
    [Dropout(0.25)]
    public partial DropoutLayer Dropout { get; }

    /// <summary>Keras layer 'lstm' (LSTM, layer 6 of 7).</summary>
    [Lstm(4, 5)]
    public partial LstmLayer Lstm { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 7 of 7).</summary>
    [Linear(5, 3)]
    public partial LinearLayer Dense { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 7 of 7): its activation 'tanh'.</summary>
    [Activation(ActivationFunction.Tanh)]
    public partial ActivationLayer DenseActivation { get; }
}
