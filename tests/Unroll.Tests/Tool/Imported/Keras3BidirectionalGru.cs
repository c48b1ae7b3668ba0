// Written by `unroll import` from keras3_bidirectional_gru.keras (Keras 3.16.0, Sequential).
// Its weights are in Keras3BidirectionalGru.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 6, BatchSize = 2)]
public partial class Keras3BidirectionalGru
{
    /// <summary>Keras layer 'bidirectional' (Bidirectional, layer 2 of 4).</summary>
    [Gru(2, 3, Bidirectional = true)]
    public partial GruLayer Bidirectional { get; }

    /// <summary>Keras layer 'simple_rnn' (SimpleRNN, layer 3 of 4).</summary>
    [Rnn(6, 4, Nonlinearity = Nonlinearity.Relu, ReturnSequences = false)]
    public partial RnnLayer SimpleRnn { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 4 of 4).</summary>
    [Linear(4, 2)]
    public partial LinearLayer Dense { get; }

    /// <summary>Keras layer 'dense' (Dense, layer 4 of 4): its activation 'sigmoid'.</summary>
    [Activation(ActivationFunction.Sigmoid)]
    public partial ActivationLayer DenseActivation { get; }
}
