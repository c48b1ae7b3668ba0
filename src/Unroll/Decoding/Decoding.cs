using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// Generates tokens from a token step model (a streaming model, or an encoder–decoder model after its
/// <c>Encode</c>), one <see cref="IStepModel{TInput}.Step"/> per token:
/// greedy decoding and sampling with a temperature, top-k and top-p (see <see cref="Sampling"/>).
/// The model's output row is read as the logits of the next token, so its <c>OutputSize</c> is the
/// vocabulary of the generated tokens, and each generated token is fed back as the next input.
/// </summary>
/// <remarks>
/// <para>
/// Every call starts afresh: it resets the running state (<see cref="IStepModel{TInput}.ResetState"/>),
/// feeds the prompt one token per step, then picks a token from the logits of the last step, feeds
/// it, and so on, until it has written the end token or filled the output.
/// </para>
/// <para>
/// Batches: a model with <c>BatchSize</c> above 1 decodes the same prompt in every row, feeds every
/// row the token chosen from row 0, and reads row 0 only (every row therefore holds the same
/// sequence). Decode with a <c>BatchSize = 1</c> model to avoid the redundant rows; a model declared
/// with the same layers has the same <see cref="IInferenceModel.Parameters"/> layout, so the weights
/// copy over with <c>a.Parameters.CopyTo(b.Parameters)</c>.
/// </para>
/// <para>
/// The buffers are allocated once, in the constructor: <see cref="Greedy"/> and <see cref="Sample"/>
/// allocate nothing. An instance is not thread-safe, and it shares the model's running state.
/// </para>
/// </remarks>
public sealed class TokenDecoder
{
    private readonly IStepModel<int> _model;
    private readonly int _batch, _vocabulary;
    private readonly int[] _tokens;    // [batch], the token fed to every row
    private readonly float[] _logits;  // [batch, vocabulary], the model's output of the last step
    private readonly float[] _scratch; // [2 · vocabulary], for Sampling.Sample

    /// <summary>Prepares decoding with <paramref name="model"/>, whose output row is the logits of the next token.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The model has no batch rows or no outputs.</exception>
    public TokenDecoder(IStepModel<int> model)
    {
        CheckModel(model);
        _batch = model.BatchSize;
        _vocabulary = model.OutputSize;
        if (_batch < 1 || _vocabulary < 1)
            throw new ArgumentException($"The model must have at least one batch row and one output, but has BatchSize {_batch} and OutputSize {_vocabulary}.", nameof(model));
        _model = model;
        _tokens = new int[_batch];
        _logits = new float[_batch * _vocabulary];
        _scratch = new float[2 * _vocabulary];
    }

    /// <summary>The model decoded with.</summary>
    public IStepModel<int> Model => _model;

    /// <summary>The number of token ids the model chooses from (its <c>OutputSize</c>).</summary>
    public int VocabularySize => _vocabulary;

    /// <summary>
    /// The logits of the last step (row 0 of the model's output, <see cref="VocabularySize"/> values):
    /// after a call, the distribution the last token was chosen from.
    /// </summary>
    public ReadOnlySpan<float> Logits => _logits.AsSpan(0, _vocabulary);

    /// <summary>
    /// Greedy decoding: after the prompt, always the most likely token (<see cref="Sampling.ArgMax"/>,
    /// the first on ties), until <paramref name="endToken"/> (written too) or a full <paramref name="output"/>.
    /// </summary>
    /// <param name="prompt">The token ids to start from; at least one.</param>
    /// <param name="output">Receives the generated tokens (not the prompt); its length is the most that are generated.</param>
    /// <param name="endToken">The token that ends the sequence, or -1 for none.</param>
    /// <returns>The number of tokens written to <paramref name="output"/>.</returns>
    /// <exception cref="ArgumentException">The prompt or the output is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The end token is neither -1 nor a token id; or (from the model's <c>Step</c>, named <c>tokens</c>) a prompt token is outside the model's vocabulary.</exception>
    public int Greedy(ReadOnlySpan<int> prompt, Span<int> output, int endToken = -1)
    {
        CheckArguments(prompt, output, endToken);
        return Generate(prompt, output, endToken, null, 0, 0, 1);
    }

    /// <summary>
    /// Sampling: after the prompt, each token is drawn from <c>softmax(logits / temperature)</c>
    /// restricted to the <paramref name="topK"/> most likely tokens and then to the nucleus of
    /// probability <paramref name="topP"/> (<see cref="Sampling.Sample"/>, one draw per token), until
    /// <paramref name="endToken"/> (written too) or a full <paramref name="output"/>. A temperature of
    /// 0 is <see cref="Greedy"/>. The same seed gives the same sequence.
    /// </summary>
    /// <param name="prompt">The token ids to start from; at least one.</param>
    /// <param name="output">Receives the generated tokens (not the prompt); its length is the most that are generated.</param>
    /// <param name="random">The generator the draws come from.</param>
    /// <param name="temperature">Above 1 flattens the distribution, below 1 sharpens it; 0 picks the most likely.</param>
    /// <param name="topK">Keep only the k most likely tokens (0 keeps all).</param>
    /// <param name="topP">Keep only the most likely tokens whose probabilities add up to at least p (1 keeps all).</param>
    /// <param name="endToken">The token that ends the sequence, or -1 for none.</param>
    /// <returns>The number of tokens written to <paramref name="output"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="random"/> is null.</exception>
    /// <exception cref="ArgumentException">The prompt or the output is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is negative or not finite, topK is negative, topP is not in (0, 1], or the end token is neither -1 nor a token id; or (from the model's <c>Step</c>, named <c>tokens</c>) a prompt token is outside the model's vocabulary.</exception>
    public int Sample(ReadOnlySpan<int> prompt, Span<int> output, SeededRandom random, float temperature = 1f, int topK = 0, float topP = 1f, int endToken = -1)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckArguments(prompt, output, endToken);
        // Checked here as Sampling.Sample checks them, so that nothing has changed when they are wrong.
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be 0 (greedy) or positive and finite.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be 0 (keep all) or positive.");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "topP must be above 0 and at most 1.");
        return Generate(prompt, output, endToken, random, temperature, topK, topP);
    }

    private void CheckArguments(ReadOnlySpan<int> prompt, Span<int> output, int endToken)
    {
        CheckPrompt(prompt, _model.VocabularySize);
        if (output.IsEmpty) throw new ArgumentException("Expected room for at least 1 generated token, but the output span is empty.", nameof(output));
        if (endToken < -1 || endToken >= _vocabulary)
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"The end token must be -1 (none) or a token id from 0 to {_vocabulary - 1}.");
    }

    /// <summary>A prompt has at least one token, every one an id of the model's vocabulary: checked before the state changes.</summary>
    internal static void CheckPrompt(ReadOnlySpan<int> prompt, int vocabulary)
    {
        if (prompt.IsEmpty) throw new ArgumentException("Expected a prompt of at least 1 token, but it is empty.", nameof(prompt));
        for (int i = 0; i < prompt.Length; i++)
        {
            if ((uint)prompt[i] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(prompt), prompt[i], $"Token {prompt[i]} at index {i} is outside the vocabulary of {vocabulary} (ids 0 to {vocabulary - 1}).");
        }
    }

    /// <summary>Generated ids go back into the model, so its output head may not have more classes than its embedding has ids.</summary>
    internal static void CheckModel(IStepModel<int> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.OutputSize > model.VocabularySize)
            throw new ArgumentException($"The model scores {model.OutputSize} tokens but reads only {model.VocabularySize}: generated ids must be valid inputs.", nameof(model));
    }

    private int Generate(ReadOnlySpan<int> prompt, Span<int> output, int endToken, SeededRandom? random, float temperature, int topK, float topP)
    {
        _model.ResetState();
        for (int i = 0; i < prompt.Length; i++) Feed(prompt[i]);

        ReadOnlySpan<float> logits = _logits.AsSpan(0, _vocabulary);
        int count = 0;
        while (true)
        {
            int token = random is null ? Sampling.ArgMax(logits) : Sampling.Sample(logits, random, _scratch, temperature, topK, topP);
            output[count++] = token;
            if (token == endToken || count == output.Length) return count;
            Feed(token);
        }
    }

    private void Feed(int token)
    {
        _tokens.AsSpan().Fill(token);
        _model.Step(_tokens, _logits);
    }
}

/// <summary>
/// Beam search over a token step model (a streaming model, or an encoder–decoder model after it has
/// encoded the source in every row): keeps the <see cref="Width"/> most likely partial
/// sequences (beams), one per batch row of the model, and returns the most likely complete sequence
/// under a length penalty, as Hugging Face's <c>generate(num_beams = ...)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The beam width is the model's <c>BatchSize</c>: row b of the model carries the running state of
/// beam b, and after each step the surviving beams' states are moved to their new rows with
/// <see cref="IStepModel{TInput}.ReorderState"/>. The model's output row is read as the logits of
/// the next token (its <c>OutputSize</c> is the vocabulary), and each chosen token is fed back.
/// </para>
/// <para>
/// The algorithm: reset the state and feed the prompt to every row. Then, per step, take the
/// log-softmax of every live beam's logits and the best <c>2 · width</c> continuations among all
/// <c>width × vocabulary</c> (at the first step all beams are identical, so only row 0's). In order
/// of score, a continuation by the end token becomes a finished hypothesis (if it ranks among the
/// first <c>width</c>; the pool keeps the best <c>width</c> of them), any other continues as a beam,
/// until <c>width</c> beams continue. The search stops after <see cref="MaxLength"/> tokens, when
/// no beam continues, or when <c>width</c> hypotheses are finished and no live beam can beat the
/// worst of them: a beam's log-probability only falls, so its best attainable score is its current
/// sum divided by the most favourable length still possible (with
/// <see cref="EarlyStopping"/>, the search instead stops as soon as <c>width</c> are finished). At
/// <see cref="MaxLength"/> the live beams join the finished hypotheses, and the best one is returned.
/// </para>
/// <para>
/// Score: the sum of the log-probabilities of the generated tokens (the end token included, the
/// prompt not) divided by <c>length ^ lengthPenalty</c>, where the length counts the generated tokens
/// (again with the end token). A length penalty above 0 favours longer sequences, below 0 shorter
/// ones, and 0 ranks by the plain log-probability. A width of 1 without an end token (or with
/// <see cref="EarlyStopping"/>) is greedy decoding.
/// </para>
/// <para>
/// Every buffer is allocated in the constructor: <see cref="Search"/> allocates nothing. An instance
/// is not thread-safe, and it shares the model's running state.
/// </para>
/// </remarks>
public sealed class BeamSearch
{
    private readonly IStepModel<int> _model;
    private readonly int _width, _vocabulary, _maxLength, _endToken;
    private readonly float _lengthPenalty;
    private readonly bool _earlyStopping;
    private readonly double[] _denominator;   // [maxLength + 1], length^lengthPenalty

    private readonly float[] _logits;         // [width, vocabulary]
    private readonly float[] _exp;            // [vocabulary], scratch of the log-softmax
    private readonly int[] _stepTokens;       // [width], the tokens fed to the rows
    private readonly int[] _sources;          // [width], the rows the new beams continue
    private readonly double[] _beamScores;    // [width], the sums of log-probabilities of the live beams
    private readonly double[] _nextScores;    // [width]
    private int[] _beamTokens;                // [width, maxLength], the live beams' tokens
    private int[] _nextTokens;                // [width, maxLength]

    private readonly double[] _candidateScores; // [2 · width], the best continuations, in descending order
    private readonly int[] _candidateBeams;     // [2 · width]
    private readonly int[] _candidateTokens;    // [2 · width]

    private readonly double[] _finishedScores;  // [width], length-penalised
    private readonly int[] _finishedLengths;    // [width]
    private readonly int[] _finishedTokens;     // [width, maxLength]
    private int _finishedCount;

    /// <summary>Prepares beam search with <paramref name="model"/>; the beam width is its <c>BatchSize</c>.</summary>
    /// <param name="model">A token step model whose output row is the logits of the next token.</param>
    /// <param name="maxLength">The most tokens generated after the prompt (Hugging Face's <c>max_new_tokens</c>).</param>
    /// <param name="lengthPenalty">The exponent of the length that divides a sequence's log-probability (Hugging Face's <c>length_penalty</c>).</param>
    /// <param name="endToken">The token that ends a sequence, or -1 for none (every sequence then has <paramref name="maxLength"/> tokens).</param>
    /// <param name="earlyStopping">Stop as soon as <c>width</c> sequences have ended (Hugging Face's <c>early_stopping = True</c>) rather than when no live beam can beat them.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The model has no batch rows or no outputs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">maxLength is below 1, the length penalty is not finite, or the end token is neither -1 nor a token id.</exception>
    public BeamSearch(IStepModel<int> model, int maxLength, float lengthPenalty = 1f, int endToken = -1, bool earlyStopping = false)
    {
        TokenDecoder.CheckModel(model);
        int width = model.BatchSize, vocabulary = model.OutputSize;
        if (width < 1 || vocabulary < 1)
            throw new ArgumentException($"The model must have at least one batch row and one output, but has BatchSize {width} and OutputSize {vocabulary}.", nameof(model));
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1.");
        if (!float.IsFinite(lengthPenalty)) throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, "The length penalty must be finite.");
        if (endToken < -1 || endToken >= vocabulary)
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"The end token must be -1 (none) or a token id from 0 to {vocabulary - 1}.");

        _model = model;
        _width = width;
        _vocabulary = vocabulary;
        _maxLength = maxLength;
        _lengthPenalty = lengthPenalty;
        _endToken = endToken;
        _earlyStopping = earlyStopping;
        _denominator = new double[maxLength + 1];
        for (int n = 1; n <= maxLength; n++) _denominator[n] = Math.Pow(n, lengthPenalty);

        _logits = new float[width * vocabulary];
        _exp = new float[vocabulary];
        _stepTokens = new int[width];
        _sources = new int[width];
        _beamScores = new double[width];
        _nextScores = new double[width];
        _beamTokens = new int[width * maxLength];
        _nextTokens = new int[width * maxLength];
        _candidateScores = new double[2 * width];
        _candidateBeams = new int[2 * width];
        _candidateTokens = new int[2 * width];
        _finishedScores = new double[width];
        _finishedLengths = new int[width];
        _finishedTokens = new int[width * maxLength];
    }

    /// <summary>The model searched with.</summary>
    public IStepModel<int> Model => _model;

    /// <summary>The number of beams: the model's <c>BatchSize</c>.</summary>
    public int Width => _width;

    /// <summary>The number of token ids the model chooses from (its <c>OutputSize</c>).</summary>
    public int VocabularySize => _vocabulary;

    /// <summary>The most tokens generated after the prompt.</summary>
    public int MaxLength => _maxLength;

    /// <summary>The exponent of the length that divides a sequence's log-probability.</summary>
    public float LengthPenalty => _lengthPenalty;

    /// <summary>The token that ends a sequence, or -1 for none.</summary>
    public int EndToken => _endToken;

    /// <summary>Whether the search stops as soon as <see cref="Width"/> sequences have ended.</summary>
    public bool EarlyStopping => _earlyStopping;

    /// <summary>
    /// Finds the most likely continuation of <paramref name="prompt"/> (see <see cref="BeamSearch"/>)
    /// and writes it, with its end token if it has one, to <paramref name="output"/>.
    /// </summary>
    /// <param name="prompt">The token ids to start from; at least one.</param>
    /// <param name="output">Receives the generated tokens (not the prompt); at least <see cref="MaxLength"/> long.</param>
    /// <param name="score">The sequence's log-probability divided by <c>length ^ LengthPenalty</c>.</param>
    /// <returns>The number of tokens written to <paramref name="output"/>.</returns>
    /// <exception cref="ArgumentException">The prompt is empty, or the output is shorter than <see cref="MaxLength"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prompt token is outside the model's vocabulary; nothing has changed.</exception>
    public int Search(ReadOnlySpan<int> prompt, Span<int> output, out float score)
    {
        TokenDecoder.CheckPrompt(prompt, _model.VocabularySize);
        if (output.Length < _maxLength)
            throw new ArgumentException($"Expected room for at least {_maxLength} tokens (maxLength), but the output span holds {output.Length}.", nameof(output));

        int width = _width, maxLength = _maxLength;
        _model.ResetState();
        for (int i = 0; i < prompt.Length; i++)
        {
            _stepTokens.AsSpan().Fill(prompt[i]);
            _model.Step(_stepTokens, _logits);
        }

        _finishedCount = 0;
        _beamScores.AsSpan().Clear();
        int live = 1; // at the first step every row holds the same beam: only row 0 counts
        for (int length = 0; ;)
        {
            int candidates = SelectCandidates(live);

            // In order of score: ended ones become hypotheses, others continue, until `width` continue.
            int next = 0;
            for (int r = 0; r < candidates && next < width; r++)
            {
                int beam = _candidateBeams[r], token = _candidateTokens[r];
                if (token == _endToken)
                {
                    if (r < width) AddFinished(_beamTokens.AsSpan(beam * maxLength, length), token, _candidateScores[r], length + 1);
                    continue;
                }
                Span<int> tokens = _nextTokens.AsSpan(next * maxLength, length + 1);
                _beamTokens.AsSpan(beam * maxLength, length).CopyTo(tokens);
                tokens[length] = token;
                _sources[next] = beam;
                _stepTokens[next] = token;
                _nextScores[next] = _candidateScores[r];
                next++;
            }
            (_beamTokens, _nextTokens) = (_nextTokens, _beamTokens);
            _nextScores.AsSpan(0, next).CopyTo(_beamScores);
            live = next;
            length++;

            if (length == maxLength)
            {
                // Out of room: the live beams end here.
                for (int b = 0; b < live; b++) AddFinished(_beamTokens.AsSpan(b * maxLength, length), -1, _beamScores[b], length);
                break;
            }
            if (live == 0) break;
            if (_finishedCount == width && (_earlyStopping || WorstFinished() >= BestAttainable(_beamScores[0], length))) break;

            // Rows without a beam follow beam 0; their outputs are ignored.
            for (int b = live; b < width; b++)
            {
                _sources[b] = _sources[0];
                _stepTokens[b] = _stepTokens[0];
            }
            _model.ReorderState(_sources);
            _model.Step(_stepTokens, _logits);
        }

        if (_finishedCount == 0)
        {
            // Only when every logit is NaN: nothing could be chosen.
            score = float.NegativeInfinity;
            return 0;
        }
        int best = 0;
        for (int i = 1; i < _finishedCount; i++)
        {
            if (_finishedScores[i] > _finishedScores[best]) best = i;
        }
        int count = _finishedLengths[best];
        _finishedTokens.AsSpan(best * maxLength, count).CopyTo(output);
        score = (float)_finishedScores[best];
        return count;
    }

    /// <summary>
    /// The best <c>2 · width</c> continuations of the first <paramref name="live"/> beams, by the sum
    /// of the beam's log-probability and the token's log-softmax, in descending order (ties: the lower
    /// beam, then the lower token, first). Returns how many there are.
    /// </summary>
    private int SelectCandidates(int live)
    {
        int capacity = _candidateScores.Length, count = 0, vocabulary = _vocabulary;
        Span<double> scores = _candidateScores;
        Span<int> beams = _candidateBeams, tokens = _candidateTokens;
        for (int b = 0; b < live; b++)
        {
            // log_softmax(x)_v = x_v − (max + log Σ exp(x − max))
            ReadOnlySpan<float> row = _logits.AsSpan(b * vocabulary, vocabulary);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, _exp);
            TensorPrimitives.Exp(_exp, _exp);
            double offset = _beamScores[b] - (max + Math.Log(TensorPrimitives.Sum((ReadOnlySpan<float>)_exp)));

            for (int v = 0; v < vocabulary; v++)
            {
                double s = offset + row[v];
                if (count == capacity ? !(s > scores[capacity - 1]) : double.IsNaN(s)) continue;
                int j = count < capacity ? count++ : capacity - 1;
                for (; j > 0 && s > scores[j - 1]; j--)
                {
                    scores[j] = scores[j - 1];
                    beams[j] = beams[j - 1];
                    tokens[j] = tokens[j - 1];
                }
                scores[j] = s;
                beams[j] = b;
                tokens[j] = v;
            }
        }
        return count;
    }

    /// <summary>Adds a finished hypothesis (<paramref name="prefix"/>, then <paramref name="last"/> unless it is -1) if it is among the best <c>width</c>.</summary>
    private void AddFinished(ReadOnlySpan<int> prefix, int last, double sum, int length)
    {
        double score = sum / _denominator[length];
        int slot;
        if (_finishedCount < _width)
        {
            slot = _finishedCount++;
        }
        else
        {
            slot = 0;
            for (int i = 1; i < _width; i++)
            {
                if (_finishedScores[i] < _finishedScores[slot]) slot = i;
            }
            if (!(score > _finishedScores[slot])) return;
        }
        Span<int> tokens = _finishedTokens.AsSpan(slot * _maxLength, length);
        prefix.CopyTo(tokens);
        if (last >= 0) tokens[length - 1] = last;
        _finishedScores[slot] = score;
        _finishedLengths[slot] = length;
    }

    private double WorstFinished()
    {
        double worst = double.PositiveInfinity;
        for (int i = 0; i < _finishedCount; i++) worst = Math.Min(worst, _finishedScores[i]);
        return worst;
    }

    /// <summary>
    /// The best score a live beam with log-probability <paramref name="sum"/> after
    /// <paramref name="length"/> tokens can still reach: further tokens only lower the sum, and the
    /// final length lies between <c>length + 1</c> and <see cref="MaxLength"/>; <c>sum / n^penalty</c>
    /// is monotonic in n, so one of the two ends is the best.
    /// </summary>
    private double BestAttainable(double sum, int length) =>
        Math.Max(sum / _denominator[length + 1], sum / _denominator[_maxLength]);
}
