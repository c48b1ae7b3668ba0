using Unroll;

namespace CharLm;

/// <summary>The knobs of a training run; the defaults are the sample's.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer steps in all (a resumed run continues up to this count).</summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 4e-3f;

    /// <summary>The largest gradient norm; larger gradients are scaled down (as <c>clip_grad_norm_</c>).</summary>
    public float ClipNorm { get; init; } = 1f;

    /// <summary>Windows of the validation text scored by <see cref="Trainer.ValidationLoss"/>, in batches.</summary>
    public int ValidationBatches { get; init; } = 12;

    /// <summary>Seed of the model's initialisation and of the order the training windows are drawn in.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Trains a next-character model: each step draws a batch of random windows from the training
/// text, predicts every next character, and takes an Adam step on the mean cross-entropy with the
/// gradient norm clipped. Every buffer is allocated here; a step allocates nothing.
/// </summary>
public sealed class Trainer
{
    private readonly ISequenceModel<int> _model;
    private readonly int[] _train, _validation;
    private readonly int _batch, _steps, _classes;
    private readonly TrainingOptions _options;
    private readonly int[] _tokens, _targets;
    private readonly float[] _logits, _gradient;

    /// <summary>Sets up training of <paramref name="model"/> on the token ids of a text, split 90% / 10%.</summary>
    public Trainer(ISequenceModel<int> model, int[] ids, TrainingOptions options)
    {
        _model = model;
        _options = options;
        _batch = model.BatchSize;
        _steps = model.SequenceLength;
        _classes = model.OutputSize;
        int split = ids.Length * 9 / 10;
        _train = ids[..split];
        _validation = ids[split..];
        if (_train.Length <= _steps + 1 || _validation.Length <= _steps + 1)
            throw new ArgumentException($"The text is too short: it needs more than {10 * (_steps + 1)} characters to split into training and validation windows of {_steps}.", nameof(ids));

        Optimizer = new Adam(model.ParameterCount, options.LearningRate);
        DataGenerator = new SeededRandom((ulong)options.Seed + 1000);
        _tokens = new int[_batch * _steps];
        _targets = new int[_batch * _steps];
        _logits = new float[_batch * _steps * _classes];
        _gradient = new float[_logits.Length];
    }

    /// <summary>The optimizer; its state and step count go into checkpoints.</summary>
    public Adam Optimizer { get; }

    /// <summary>Draws the training windows; its state goes into checkpoints, so a resumed run sees the same windows.</summary>
    public SeededRandom DataGenerator { get; }

    /// <summary>Steps taken so far (restored by a checkpoint).</summary>
    public long Step => Optimizer.StepCount;

    /// <summary>Characters in one step's batch.</summary>
    public int CharactersPerStep => _batch * _steps;

    /// <summary>One optimizer step on a fresh batch of windows; returns the batch's mean loss in nats per character.</summary>
    public float TrainStep()
    {
        for (int b = 0; b < _batch; b++)
        {
            int start = (int)(DataGenerator.NextUInt32() % (uint)(_train.Length - _steps - 1));
            Window(_train, start, b);
        }
        _model.Training = true;
        _model.Forward(_tokens, _logits);
        float loss = Loss.CrossEntropy(_logits, _targets, _gradient, _classes);
        _model.ZeroGradients();
        _model.Backward(_gradient);
        GradientClipping.ByNorm(_model.Gradients, _options.ClipNorm);
        Optimizer.Step(_model.Parameters, _model.Gradients);
        return loss;
    }

    /// <summary>The mean loss over fixed windows spread evenly across the validation text, in nats per character.</summary>
    public float ValidationLoss()
    {
        _model.Training = false;
        int windows = _options.ValidationBatches * _batch;
        double total = 0;
        for (int k = 0; k < windows; k += _batch)
        {
            for (int b = 0; b < _batch; b++)
            {
                int start = (int)((long)(k + b) * (_validation.Length - _steps - 1) / Math.Max(1, windows - 1));
                Window(_validation, start, b);
            }
            _model.Forward(_tokens, _logits);
            total += Loss.CrossEntropy(_logits, _targets, _gradient, _classes);
        }
        _model.Training = true;
        return (float)(total / _options.ValidationBatches);
    }

    /// <summary>Puts the window at <paramref name="start"/> into row <paramref name="row"/>: inputs, and targets one character later.</summary>
    private void Window(int[] ids, int start, int row)
    {
        ids.AsSpan(start, _steps).CopyTo(_tokens.AsSpan(row * _steps));
        ids.AsSpan(start + 1, _steps).CopyTo(_targets.AsSpan(row * _steps));
    }
}
