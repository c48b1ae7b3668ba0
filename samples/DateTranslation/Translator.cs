using Unroll;

namespace DateTranslation;

/// <summary>
/// Training and decoding around the compiled <see cref="DateTranslator"/>: batches of generated dates (never one
/// of the held-out dates), teacher-forced cross-entropy with Adam and gradient clipping, greedy batch decoding for
/// the exact-match score, and beam search one date at a time.
/// </summary>
public sealed class Translator
{
    private const int B = DateTranslator.BatchSize, Ts = DateTranslator.SequenceLength, Td = DateTranslator.TargetLength;
    private const int Classes = DateTranslator.OutputSize;

    private readonly DateTranslator _model;
    private readonly DateTranslatorBeams _beams = new();
    private readonly BeamSearch _beamSearch;
    private readonly Adam _adam;
    private readonly SeededRandom _data;
    private readonly HashSet<DateOnly> _heldOut;

    // Batch buffers, allocated once.
    private readonly int[] _source = new int[B * Ts], _lengths = new int[B], _targetInput = new int[B * Td], _targetOutput = new int[B * Td];
    private readonly float[] _logits = new float[B * Td * Classes], _logitsGradient = new float[B * Td * Classes];
    private readonly int[] _tokens = new int[B];
    private readonly float[] _stepLogits = new float[B * Classes];
    private readonly char[] _human = new char[DateFormats.MaxLength], _iso = new char[DateFormats.IsoLength];

    public Translator(int seed, float learningRate, IEnumerable<DateOnly> heldOut)
    {
        _model = new DateTranslator(seed);
        _adam = new Adam(DateTranslator.ParameterCount, learningRate);
        _data = new SeededRandom(unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 1));
        _heldOut = new HashSet<DateOnly>(heldOut);
        _beamSearch = new BeamSearch(_beams, maxLength: Td, endToken: CharVocabulary.End);
    }

    /// <summary>The compiled model being trained.</summary>
    public DateTranslator Model => _model;

    /// <summary>One optimizer step on a fresh batch; returns the mean cross-entropy per output character.</summary>
    public float TrainStep(float maxNorm = 1f)
    {
        for (int b = 0; b < B; b++)
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
        _adam.Step(_model.Parameters, _model.Gradients);
        return loss;
    }

    /// <summary>Greedy translations of up to <see cref="DateTranslator.BatchSize"/> dates at once, one decoder step per character.</summary>
    public string[] TranslateGreedy(IReadOnlyList<string> dates)
    {
        if (dates.Count > B) throw new ArgumentException($"At most {B} dates at once.", nameof(dates));
        for (int b = 0; b < B; b++)
        {
            _lengths[b] = CharVocabulary.EncodeSource(dates[Math.Min(b, dates.Count - 1)], _source.AsSpan(b * Ts, Ts));
        }
        _model.Encode(_source, Ts, _lengths);
        var output = new int[dates.Count, Td];
        Array.Fill(_tokens, CharVocabulary.Start);
        for (int t = 0; t < Td; t++)
        {
            _model.Step(_tokens, _stepLogits);
            for (int b = 0; b < B; b++)
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
        for (int start = 0; start < examples.Count; start += B)
        {
            var chunk = examples.Skip(start).Take(B).ToList();
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
        var source = new int[DateTranslatorBeams.BatchSize * Ts];
        var lengths = new int[DateTranslatorBeams.BatchSize];
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
        var tokens = new int[DateTranslatorBeams.BatchSize];
        var logits = new float[DateTranslatorBeams.BatchSize * Classes];
        Array.Fill(tokens, CharVocabulary.Start);
        for (int t = 0; t < count; t++)
        {
            _beams.Step(tokens, logits);
            _beams.Decoder.StepAttentionWeights.Slice(0, length).CopyTo(attention.AsSpan(t * length, length));
            Array.Fill(tokens, output[t]);
        }
        return (CharVocabulary.DecodeTarget(output.AsSpan(0, count)), score, attention, count);
    }
}
