using Unroll;

namespace TriggerWord;

/// <summary>
/// The course's trigger-word model (Conv1D, BatchNorm, ReLU, Dropout, GRU, Dropout, BatchNorm, GRU, Dropout, BatchNorm,
/// Dropout, Dense per step with a sigmoid) with today's layers standing in for the convolution and the batch norms, and
/// narrower (64 channels and GRUs of 64 rather than 196 and 128) so that it trains in a few minutes on two cores.
/// One step is 40 ms: <see cref="Features.Kernel"/> = 15 spectrogram frames stacked every <see cref="Features.Stride"/>
/// = 4 frames (10 ms each), 5 s of audio in 121 steps. The output is one logit per step (sigmoid: "the trigger word
/// ended just now").
/// </summary>
[Model(SequenceLength = Features.Steps, BatchSize = 16)]
public partial class TriggerModel
{
    // TODO(Conv1d): [Conv1d(Spectrogram.Bins, 64, Features.Kernel, Stride = Features.Stride)] over the frames. The Linear
    // over 15 stacked frames every 4 frames computes the same products; swapping them drops FrameStacker from Features
    // and makes the model's input the frames themselves.
    [Linear(Features.Kernel * Features.Bins, 64)] public partial LinearLayer Conv { get; }
    // TODO(BatchNorm): [BatchNorm(64)] here, as the course has it after the convolution.
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop1 { get; }
    [Gru(64, 64)] public partial GruLayer Gru1 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop2 { get; }
    // TODO(BatchNorm): [BatchNorm(64)] here.
    [Gru(64, 64)] public partial GruLayer Gru2 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop3 { get; }
    // TODO(BatchNorm): [BatchNorm(64)] here.
    [Linear(64, 1)] public partial LinearLayer Head { get; }
}

/// <summary>The trained model for a device: inference only, one stream, one 40 ms step per <c>Step</c>, weights from the training run's file.</summary>
[InferenceModel(typeof(TriggerModel), BatchSize = 1)]
public partial class TriggerDetector;
