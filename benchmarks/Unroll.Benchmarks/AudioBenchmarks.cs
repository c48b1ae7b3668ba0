using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// A trigger-word front end's convolution: 101 spectrogram bins of 4 s of 10 ms frames (400 steps), 8 clips, into 128
/// channels with a 15-frame kernel every 4 frames (the course's Conv1D(196, 15, strides=4), scaled).
/// </summary>
[Model(SequenceLength = 400, BatchSize = 8)]
public partial class ConvFrontEnd
{
    [Conv1d(101, 128, 15, Stride = 4)] public partial Conv1dLayer Conv { get; }
}

/// <summary>
/// samples/TriggerWord's model streaming on a device, one clip (batch 1): 129 spectrogram bins → Conv1d(64, 15 frames,
/// stride 4) → BatchNorm → ReLU → Dropout → GRU 64 → Dropout → BatchNorm → GRU 64 → Dropout → BatchNorm → Linear(1), a
/// score every 4th 10 ms frame.
/// </summary>
[Model(SequenceLength = 498, BatchSize = 1, InferenceOnly = true)]
public partial class TriggerWordStream
{
    [Conv1d(129, 64, 15, Stride = 4)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm1 { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop1 { get; }
    [Gru(64, 64)] public partial GruLayer Rnn1 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop2 { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm2 { get; }
    [Gru(64, 64)] public partial GruLayer Rnn2 { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop3 { get; }
    [BatchNorm(64)] public partial BatchNormLayer Norm3 { get; }
    [Linear(64, 1)] public partial LinearLayer Head { get; }
}

/// <summary>
/// Audio workloads beside PyTorch's (benchmarks/peers/torch_bench.py, one thread): <see cref="ConvFrontEnd"/>'s
/// <c>Forward</c>, and <c>Forward</c> then <c>Backward</c> (∂input too); <see cref="TriggerWordStream"/> frame by frame,
/// reported per 10 ms frame (4 frames an operation: three fill the window, the fourth runs the network).
/// </summary>
[MemoryDiagnoser]
public class AudioBenchmarks
{
    private readonly ConvFrontEnd _conv = new(1);
    private readonly TriggerWordStream _stream = new(1);
    private readonly float[] _x = new float[8 * 400 * 101], _y = new float[8 * 97 * 128], _dy = new float[8 * 97 * 128], _dx = new float[8 * 400 * 101];
    private readonly float[] _frames = new float[4096 * 129], _score = new float[1];
    private int _frame;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = 1;
        var random = new SeededRandom(7);
        random.FillNormal(_x);
        random.FillUniform(_dy, -1f, 1f);
        random.FillNormal(_frames);
        for (int i = 0; i < 400; i++) Frames(); // the window full, the network's state past its start
    }

    [Benchmark] public void ConvForward() => _conv.Forward(_x, _y);

    [Benchmark]
    public void ConvForwardBackward()
    {
        _conv.Forward(_x, _y);
        _conv.Backward(_dy, _dx);
    }

    [Benchmark(OperationsPerInvoke = 4)] public void TriggerWordFrame() => Frames();

    /// <summary>Four frames, the next of a 4096-frame table, cycled; the fourth yields a score.</summary>
    private void Frames()
    {
        for (int k = 0; k < 4; k++)
        {
            _stream.Step(_frames.AsSpan(_frame * 129, 129), _score);
            _frame = (_frame + 1) & 4095;
        }
    }
}
