using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// A small causal character transformer: 65 characters embedded in 64 features, two pre-norm encoder layers (4 heads,
/// feed-forward 256, GELU, dropout 0.1), a linear head; 16 sequences of 64 characters.
/// </summary>
[Model(SequenceLength = 64, BatchSize = 16)]
public partial class CharTransformerBench
{
    [Embedding(65, 64)] public partial EmbeddingLayer Embed { get; }
    [TransformerEncoderLayer(64, NumHeads = 4, FeedForward = 256, Dropout = 0.1, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)]
    public partial TransformerEncoderLayer Block1 { get; }
    [TransformerEncoderLayer(64, NumHeads = 4, FeedForward = 256, Dropout = 0.1, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)]
    public partial TransformerEncoderLayer Block2 { get; }
    [Linear(64, 65)] public partial LinearLayer Head { get; }
}

/// <summary>The same network for inference only, one sequence: decoding a character at a time over the key/value caches.</summary>
[InferenceModel(typeof(CharTransformerBench), BatchSize = 1)]
public partial class CharTransformerDecoder;

/// <summary>
/// Transformer workloads beside PyTorch's (benchmarks/peers/torch_bench.py): one training step of
/// <see cref="CharTransformerBench"/> (Forward, cross-entropy, Backward, Adam), and <see cref="CharTransformerDecoder"/>
/// decoding 64 characters one <c>Step</c> at a time from <c>ResetState</c>, reported per character (its cache grows from 1 to 64 positions).
/// </summary>
[MemoryDiagnoser]
public class TransformerBenchmarks
{
    private readonly CharTransformerBench _model = new(1);
    private readonly CharTransformerDecoder _decoder = new();
    private readonly Adam _adam = new(CharTransformerBench.ParameterCount, 1e-3f);
    private readonly int[] _tokens = new int[16 * 64], _targets = new int[16 * 64];
    private readonly float[] _logits = new float[16 * 64 * 65], _gradient = new float[16 * 64 * 65], _step = new float[65];

    /// <summary>Threads the matrix products may use (<see cref="Parallelism.MaxDegreeOfParallelism"/>): one, and every core of this machine kind.</summary>
    [Params(1, 2)] public int Threads;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = Threads;
        var random = new SeededRandom(11);
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = (int)(random.NextUInt32() % 65);
        for (int i = 0; i < _targets.Length; i++) _targets[i] = (int)(random.NextUInt32() % 65);
        _model.Parameters.CopyTo(_decoder.Parameters);
    }

    [Benchmark]
    public float TransformerTrainBatch16()
    {
        _model.Forward(_tokens, _logits);
        float loss = Loss.CrossEntropy(_logits, _targets, _gradient, 65);
        _model.ZeroGradients();
        _model.Backward(_gradient);
        _adam.Step(_model.Parameters, _model.Gradients);
        return loss;
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public float TransformerDecodeStep()
    {
        _decoder.ResetState();
        for (int t = 0; t < 64; t++) _decoder.Step(_tokens.AsSpan(t, 1), _step);
        return _step[0];
    }
}
