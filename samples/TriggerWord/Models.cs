using Unroll;

namespace TriggerWord;

/// <summary>
/// The course's trigger-word model (Conv1D, BatchNorm, ReLU, Dropout, GRU, Dropout, BatchNorm, GRU, Dropout, BatchNorm,
/// Dense per step with a sigmoid), narrower (64 channels and GRUs of 64 rather than 196 and 128) so that it trains in a
/// few minutes on two cores. The input is the spectrogram's 10 ms frames; the convolution reads
/// <see cref="Features.Kernel"/> = 15 of them every <see cref="Features.Stride"/> = 4, so one output step is 40 ms: 5 s
/// of audio, 498 frames, give 121 steps. The output is one logit per step (sigmoid: "the trigger word ended just now").
/// Without padding the convolution streams: <c>Step</c> takes one frame and returns true on the frames that complete a
/// window (frame 14, then every 4th).
/// </summary>
[Model(SequenceLength = Features.Frames, BatchSize = 16)]
public partial class TriggerModel
{
    [Conv1d(Features.Bins, 64, Features.Kernel, Stride = Features.Stride)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm1 { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop1 { get; }
    [Gru(64, 64)] public partial GruLayer Gru1 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop2 { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm2 { get; }
    [Gru(64, 64)] public partial GruLayer Gru2 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop3 { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm3 { get; }
    [Linear(64, 1)] public partial LinearLayer Head { get; }
}

/// <summary>The trained model for a device: inference only, one stream, one 10 ms frame per <c>Step</c> (true on the frames that yield a score), weights and running statistics from the training run's file.</summary>
[InferenceModel(typeof(TriggerModel), BatchSize = 1)]
public partial class TriggerDetector;
