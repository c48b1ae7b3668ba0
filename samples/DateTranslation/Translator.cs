using Unroll;

namespace DateTranslation;

/// <summary>Copies the attention weights of row 0's last decoder step over its first <c>destination.Length</c> source characters.</summary>
public delegate void AttentionReader<TBeams>(TBeams beams, Span<float> destination);

/// <summary>
/// Training and decoding around a compiled encoder–decoder (<see cref="DateTranslator"/> or <see cref="DateTransformer"/>):
/// batches of generated dates (never one of the held-out dates), teacher-forced cross-entropy with Adam (and an optional
/// learning-rate schedule) and gradient clipping, greedy batch decoding for the exact-match score, and beam search one
/// date at a time on <typeparamref name="TBeams"/>, the model's inference twin with one batch row per beam.
/// </summary>
public sealed class Translator<TModel, TBeams>
    where TModel : class, IEncoderDecoderModel<int, int>, ISequenceModel
    where TBeams : class, IEncoderDecoderModel<int, int>
{
    private const int Ts = CharVocabulary.MaxSourceLength, Td = CharVocabulary.TargetLength;
    private const int Classes = CharVocabulary.TargetClasses;

    private readonly int _batch;
    private readonly TModel _model;
    private readonly TBeams _beams;
    private readonly AttentionReader<TBeams> _readAttention;
    private readonly BeamSearch _beamSearch;
    private readonly Adam _adam;
    private readonly ILearningRateSchedule? _schedule;
    private readonly SeededRandom _data;
    private readonly HashSet<DateOnly> _heldOut;

    // Batch buffers, allocated once.
    private readonly int[] _source, _lengths, _targetInput, _targetOutput;
    private readonly float[] _logits, _logitsGradient;
    private readonly int[] _tokens;
    private readonly float[] _stepLogits;
    private readonly char[] _human = new char[DateFormats.MaxLength], _iso = new char[DateFormats.IsoLength];

    /// <summary>Trains <paramref name="model"/> (freshly initialised) with Adam at <paramref name="learningRate"/>, or at the rates of <paramref name="schedule"/>.</summary>
    /// <param name="readAttention">Reads the attention of <paramref name="beams"/>' row 0 at its last step, for the attention map.</param>
    public Translator(TModel model, TBeams beams, AttentionReader<TBeams> readAttention, int seed, float learningRate, IEnumerable<DateOnly> heldOut,
        ILearningRateSchedule? schedule = null)
    {
        if (model.SequenceLength != Ts || model.TargetLength != Td || model.OutputSize != Classes || beams.ParameterCount != model.ParameterCount)
            throw new ArgumentException("The models do not fit the date vocabularies or each other.", nameof(beams));
        _model = model;
        _beams = beams;
        _readAttention = readAttention;
        _batch = model.BatchSize;
        _source = new int[_batch * Ts];
        _lengths = new int[_batch];
        _targetInput = new int[_batch * Td];
        _targetOutput = new int[_batch * Td];
        _logits = new float[_batch * Td * Classes];
        _logitsGradient = new float[_batch * Td * Classes];
        _tokens = new int[_batch];
        _stepLogits = new float[_batch * Classes];
        _adam = new Adam(model.ParameterCount, learningRate);
        _schedule = schedule;
        _data = new SeededRandom(unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 1));
        _heldOut = new HashSet<DateOnly>(heldOut);
        _beamSearch = new BeamSearch(_beams, maxLength: Td, endToken: CharVocabulary.End);
    }

    /// <summary>The compiled model being trained.</summary>
    public TModel Model => _model;

    /// <summary>Hypotheses kept by the beam search: the beam model's batch rows.</summary>
    public int BeamWidth => _beams.BatchSize;

    /// <summary>One optimizer step on a fresh batch; returns the mean cross-entropy per output character.</summary>
    public float TrainStep(float maxNorm = 1f)
    {
        for (int b = 0; b < _batch; b++)
        {
            DateOnly date;
            do date = DateFormats.NextDate(_data); while (_heldOut.Contains(date));
            int length = DateFormats.Format(date, DateFormats.NextFormat(_data), _human);
            DateFormats.WriteIso(date, _iso);
            _lengths[b] = CharVocabulary.EncodeSource(_human.AsSpan(0, length), _source.AsSpan(b * Ts, Ts));
            CharVocabulary.EncodeTarget(_iso, _targetInput.AsSpan(b * Td, Td), _targetOutput.AsSpan(b * Td, Td));
        }
        _model.Training = true;
        _model.Forward(_source, _targetInput, _logits, Ts, Td, _lengths);
        float loss = Loss.CrossEntropy(_logits, _targetOutput, _logitsGradient, Classes);
        _model.ZeroGradients();
        _model.Backward(_logitsGradient);
        GradientClipping.ByNorm(_model.Gradients, maxNorm);
        _schedule?.Apply(_adam, _adam.StepCount);
        _adam.Step(_model.Parameters, _model.Gradients);
        return loss;
    }

    /// <summary>Greedy translations of up to <c>BatchSize</c> dates at once, one decoder step per character.</summary>
    public string[] TranslateGreedy(IReadOnlyList<string> dates)
    {
        if (dates.Count > _batch) throw new ArgumentException($"At most {_batch} dates at once.", nameof(dates));
        for (int b = 0; b < _batch; b++)
        {
            _lengths[b] = CharVocabulary.EncodeSource(dates[Math.Min(b, dates.Count - 1)], _source.AsSpan(b * Ts, Ts));
        }
        _model.Encode(_source, Ts, _lengths);
        var output = new int[dates.Count, Td];
        Array.Fill(_tokens, CharVocabulary.Start);
        for (int t = 0; t < Td; t++)
        {
            _model.Step(_tokens, _stepLogits);
            for (int b = 0; b < _batch; b++)
            {
                _tokens[b] = Sampling.ArgMax(_stepLogits.AsSpan(b * Classes, Classes));
                if (b < dates.Count) output[b, t] = _tokens[b];
            }
        }
        var result = new string[dates.Count];
        var row = new int[Td];
        for (int b = 0; b < dates.Count; b++)
        {
            for (int t = 0; t < Td; t++) row[t] = output[b, t];
            result[b] = CharVocabulary.DecodeTarget(row);
        }
        return result;
    }

    /// <summary>The share of <paramref name="examples"/> translated exactly (greedy decoding).</summary>
    public double ExactMatch(IReadOnlyList<(string Human, string Iso)> examples)
    {
        int correct = 0;
        for (int start = 0; start < examples.Count; start += _batch)
        {
            var chunk = examples.Skip(start).Take(_batch).ToList();
            string[] translations = TranslateGreedy(chunk.Select(e => e.Human).ToList());
            for (int i = 0; i < chunk.Count; i++) correct += translations[i] == chunk[i].Iso ? 1 : 0;
        }
        return correct / (double)examples.Count;
    }

    /// <summary>
    /// Beam search for one date (every beam row encodes it), and the attention weights of the best
    /// translation, <c>[output characters, source characters]</c>, found by decoding it once more.
    /// </summary>
    public (string Iso, float Score, float[] Attention, int Steps) TranslateBeam(string date)
    {
        _model.Parameters.CopyTo(_beams.Parameters);
        int length = CharVocabulary.EncodeSource(date, _source.AsSpan(0, Ts));
        var source = new int[_beams.BatchSize * Ts];
        var lengths = new int[_beams.BatchSize];
        for (int b = 0; b < lengths.Length; b++)
        {
            _source.AsSpan(0, Ts).CopyTo(source.AsSpan(b * Ts, Ts));
            lengths[b] = length;
        }
        _beams.Encode(source, Ts, lengths);
        var output = new int[Td];
        int count = _beamSearch.Search(new[] { CharVocabulary.Start }, output, out float score);

        // Teacher-force the winning tokens once more to read each step's attention (row 0).
        _beams.Encode(source, Ts, lengths);
        var attention = new float[count * length];
        var tokens = new int[_beams.BatchSize];
        var logits = new float[_beams.BatchSize * Classes];
        Array.Fill(tokens, CharVocabulary.Start);
        for (int t = 0; t < count; t++)
        {
            _beams.Step(tokens, logits);
            _readAttention(_beams, attention.AsSpan(t * length, length));
            Array.Fill(tokens, output[t]);
        }
        return (CharVocabulary.DecodeTarget(output.AsSpan(0, count)), score, attention, count);
    }
}

/// <summary>
/// A linear warm-up from <c>startFactor</c> of the rate to the full rate over <c>warmUp</c> steps, then a cosine decay to
/// <c>etaMin</c> at step <c>total</c>, held after it (PyTorch's <c>SequentialLR</c> of <c>LinearLR</c> and <c>CosineAnnealingLR</c>).
/// </summary>
public sealed class WarmUpCosine(float learningRate, int warmUp, int total, float startFactor = 0.01f, float etaMin = 0f) : ILearningRateSchedule
{
    private readonly LinearLR _warm = new(learningRate, startFactor, 1f, Math.Max(1, warmUp));
    private readonly CosineAnnealingLR _decay = new(learningRate, Math.Max(1, total - warmUp), etaMin);

    /// <inheritdoc/>
    public float LearningRate(long step) => step < warmUp ? _warm.LearningRate(step) : _decay.LearningRate(Math.Min(step - warmUp, _decay.TMax));
}
