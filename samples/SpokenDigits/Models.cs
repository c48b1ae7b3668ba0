using Unroll;

namespace SpokenDigits;

/// <summary>
/// A small speech recogniser for digit strings, trained with CTC over characters: stacked spectrogram frames, a layer
/// standing in for a strided convolution, ReLU, two bidirectional GRU layers and a linear layer to the 17 classes
/// (<see cref="Alphabet"/>: the CTC blank, space and the 15 letters of "zero" … "nine") at every 20 ms step. Whole
/// clips only: a bidirectional layer reads each clip backwards too, so the model has no <c>Step</c>.
/// </summary>
[Model(SequenceLength = Features.MaxSteps, BatchSize = 16)]
public partial class DigitsModel
{
    // TODO(Conv1d): [Conv1d(Spectrogram.Bins, 96, Features.Kernel, Stride = Features.Stride)] over the frames. The Linear
    // over 5 stacked frames every 2 frames computes the same products; swapping them drops FrameStacker from Features.
    [Linear(Features.Kernel * Features.Bins, 96)] public partial LinearLayer Conv { get; }
    // TODO(BatchNorm): [BatchNorm(96)] here.
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop1 { get; }
    [Gru(96, 96, Bidirectional = true, NumLayers = 2, Dropout = 0.2)] public partial GruLayer Rnn { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop2 { get; }
    [Linear(192, Alphabet.Classes)] public partial LinearLayer Head { get; }
}
