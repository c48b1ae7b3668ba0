using Unroll;

namespace SpokenDigits;

/// <summary>
/// A small speech recogniser for digit strings, trained with CTC over characters: the spectrogram's 10 ms frames, a
/// convolution over 5 frames every 2 (padded by 2 at each end: a step every 20 ms, <see cref="Features.OutputSteps"/>),
/// BatchNorm, ReLU, two bidirectional GRU layers and a linear layer to the 17 classes (<see cref="Alphabet"/>: the CTC
/// blank, space and the 15 letters of "zero" … "nine") at every step. Whole clips only: a bidirectional layer reads each
/// clip backwards too (and the padded convolution looks 2 frames ahead), so the model has no <c>Step</c>.
/// </summary>
[Model(SequenceLength = Features.MaxFrames, BatchSize = 16)]
public partial class DigitsModel
{
    [Conv1d(Features.Bins, 96, Features.Kernel, Stride = Features.Stride, Padding = Features.Padding)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(96)] public partial BatchNormLayer Norm { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop1 { get; }
    [Gru(96, 96, Bidirectional = true, NumLayers = 2, Dropout = 0.2)] public partial GruLayer Rnn { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop2 { get; }
    [Linear(192, Alphabet.Classes)] public partial LinearLayer Head { get; }
}
