// Written by `unroll import` from simple_rnn_relu.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasSimpleRnnRelu.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class KerasSimpleRnnRelu
{
    /// <summary>Keras layer 'simple_rnn' (SimpleRNN, layer 2 of 2).</summary>
    [Rnn(3, 4, Nonlinearity = Nonlinearity.Relu)]
    public partial RnnLayer SimpleRnn { get; }
}
