using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// Whole training steps, as a training loop runs them: forward, loss and its gradient, zeroed gradients,
/// backward, and an Adam step. The char-LM (Embedding 65×32 → LSTM 128 → Linear 65, 64 characters,
/// cross-entropy) at batch 1 and 16; a causal self-attention block (width 64, 64 steps, mean squared error);
/// an attention encoder–decoder (teacher-forced cross-entropy, 16 pairs). Each on one thread and on two.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private readonly CharLm _charLm = new(1);
    private readonly CharLmBatch16 _charLm16 = new(1);
    private readonly AttentionBlock _block = new(1);
    private readonly Seq2Seq _seq2seq = new(1);
    private readonly Adam _adamCharLm = new(CharLm.ParameterCount, 1e-3f);
    private readonly Adam _adamCharLm16 = new(CharLmBatch16.ParameterCount, 1e-3f);
    private readonly Adam _adamBlock = new(AttentionBlock.ParameterCount, 1e-3f);
    private readonly Adam _adamSeq2Seq = new(Seq2Seq.ParameterCount, 1e-3f);

    private readonly int[] _tokens = new int[16 * 64], _targets = new int[16 * 64];
    private readonly float[] _logits = new float[16 * 64 * 65], _logitsGradient = new float[16 * 64 * 65];
    private readonly float[] _x = new float[64 * 64], _y = new float[64 * 64], _yTarget = new float[64 * 64], _yGradient = new float[64 * 64];
    private readonly int[] _source = new int[16 * 24], _targetInput = new int[16 * 11], _targetOutput = new int[16 * 11];
    private readonly float[] _scores = new float[16 * 11 * 12], _scoresGradient = new float[16 * 11 * 12];

    /// <summary>Threads the matrix products may use (<see cref="Parallelism.MaxDegreeOfParallelism"/>): one, and every core of this machine kind.</summary>
    [Params(1, 2)] public int Threads;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = Threads;
        var random = new SeededRandom(42);
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = (int)(random.NextUInt32() % 65);
        for (int i = 0; i < _targets.Length; i++) _targets[i] = (int)(random.NextUInt32() % 65);
        random.FillUniform(_x, -1f, 1f);
        random.FillUniform(_yTarget, -1f, 1f);
        for (int i = 0; i < _source.Length; i++) _source[i] = 1 + (int)(random.NextUInt32() % 41);
        for (int i = 0; i < _targetInput.Length; i++) _targetInput[i] = (int)(random.NextUInt32() % 13);
        for (int i = 0; i < _targetOutput.Length; i++) _targetOutput[i] = (int)(random.NextUInt32() % 12);
    }

    [Benchmark]
    public float CharLmTrainBatch1()
    {
        var logits = _logits.AsSpan(0, 64 * 65);
        var gradient = _logitsGradient.AsSpan(0, 64 * 65);
        _charLm.Forward(_tokens.AsSpan(0, 64), logits);
        float loss = Loss.CrossEntropy(logits, _targets.AsSpan(0, 64), gradient, 65);
        _charLm.ZeroGradients();
        _charLm.Backward(gradient);
        _adamCharLm.Step(_charLm.Parameters, _charLm.Gradients);
        return loss;
    }

    [Benchmark]
    public float CharLmTrainBatch16()
    {
        _charLm16.Forward(_tokens, _logits);
        float loss = Loss.CrossEntropy(_logits, _targets, _logitsGradient, 65);
        _charLm16.ZeroGradients();
        _charLm16.Backward(_logitsGradient);
        _adamCharLm16.Step(_charLm16.Parameters, _charLm16.Gradients);
        return loss;
    }

    [Benchmark]
    public float AttentionBlockTrainBatch1()
    {
        _block.Forward(_x, _y);
        float loss = Loss.MeanSquaredError(_y, _yTarget, _yGradient);
        _block.ZeroGradients();
        _block.Backward(_yGradient);
        _adamBlock.Step(_block.Parameters, _block.Gradients);
        return loss;
    }

    [Benchmark]
    public float Seq2SeqTrainBatch16()
    {
        _seq2seq.Forward(_source, _targetInput, _scores);
        float loss = Loss.CrossEntropy(_scores, _targetOutput, _scoresGradient, 12);
        _seq2seq.ZeroGradients();
        _seq2seq.Backward(_scoresGradient);
        _adamSeq2Seq.Step(_seq2seq.Parameters, _seq2seq.Gradients);
        return loss;
    }
}

/// <summary>Inference over whole sequences: one sequence of 64 steps, 32 input features, a state of 128.</summary>
[MemoryDiagnoser]
public class SequenceBenchmarks
{
    private readonly LstmSequence _lstm = new(1);
    private readonly GruSequence _gru = new(1);
    private readonly RnnSequence _rnn = new(1);
    private readonly float[] _input = new float[64 * 32], _output = new float[64 * 128];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = 1; // the targets are for one thread
        new SeededRandom(42).FillUniform(_input, -1f, 1f);
    }

    [Benchmark] public void LstmForward() => _lstm.Forward(_input, _output);

    [Benchmark] public void GruForward() => _gru.Forward(_input, _output);

    [Benchmark] public void RnnForward() => _rnn.Forward(_input, _output);
}
