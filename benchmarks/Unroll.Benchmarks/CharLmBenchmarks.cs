using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// Training-shaped work on the char-LM: Embedding(65, 32) → LSTM(32, 128) → Linear(128, 65) over one
/// sequence of 64 tokens. <see cref="Forward"/> alone, and a full gradient computation
/// (<see cref="ForwardBackward"/>: forward, zero the gradients, backpropagation through time).
/// </summary>
[MemoryDiagnoser]
public class CharLmBenchmarks
{
    private readonly CharLm _model = new(1);
    private readonly int[] _tokens = new int[CharLm.SequenceLength];
    private readonly float[] _logits = new float[CharLm.BatchSize * CharLm.SequenceLength * CharLm.OutputSize];
    private readonly float[] _logitsGradient = new float[CharLm.BatchSize * CharLm.SequenceLength * CharLm.OutputSize];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = 1;
        var random = new SeededRandom(42);
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = (int)(random.NextUInt32() % 65);
        // Any fixed gradient does: backward's cost does not depend on the values.
        random.FillUniform(_logitsGradient, -0.01f, 0.01f);
    }

    [Benchmark]
    public void Forward() => _model.Forward(_tokens, _logits);

    [Benchmark]
    public void ForwardBackward()
    {
        _model.Forward(_tokens, _logits);
        _model.ZeroGradients();
        _model.Backward(_logitsGradient);
    }
}
