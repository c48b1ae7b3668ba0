using System.Globalization;

namespace Unroll;

/// <summary>
/// A training checkpoint in one safetensors file: the model's parameters under their PyTorch
/// state-dict names (so the weights also load into PyTorch), the optimizer's <see cref="IOptimizer.State"/>,
/// step count and learning rate, the model's dropout generator and any other generators the training
/// loop draws from (data order, say), and string metadata. Training resumed from it continues exactly
/// as the uninterrupted run would have, bit for bit.
/// </summary>
/// <remarks>
/// Tensors besides the parameters: <c>optimizer.state</c> <c>[State.Length]</c>, <c>random.dropout</c>
/// <c>[4]</c> and <c>random.0</c>, <c>random.1</c>, … <c>[4]</c> (generator words stored bit for bit).
/// Metadata: <c>format</c>, <c>optimizer</c> (its type), <c>optimizer.step</c>, <c>optimizer.learning_rate</c>,
/// then the caller's entries.
/// </remarks>
public static class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "unroll.checkpoint/1";

    private const string OptimizerState = "optimizer.state";
    private const string DropoutGenerator = "random.dropout";

    private static string Generator(int index) => "random." + index.ToString(CultureInfo.InvariantCulture);

    private static readonly string[] Reserved = ["format", "optimizer", "optimizer.step", "optimizer.learning_rate"];

    /// <summary>Writes a checkpoint (to a temporary file, then renamed over <paramref name="path"/>).</summary>
    /// <param name="path">The file to write; an existing one is replaced.</param>
    /// <param name="model">The model whose parameters and dropout generator are saved.</param>
    /// <param name="optimizer">The optimizer whose state, step count and learning rate are saved.</param>
    /// <param name="generators">Other generators the training loop draws from, restored in the same order by <see cref="Load"/>.</param>
    /// <param name="metadata">Extra strings to keep (a vocabulary, a validation loss, …).</param>
    /// <exception cref="ArgumentException">A metadata key is one the checkpoint uses itself.</exception>
    public static void Save(string path, ISequenceModel model, IOptimizer optimizer, IReadOnlyList<SeededRandom>? generators = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        generators ??= [];
        var entries = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["optimizer"] = optimizer.GetType().Name,
            ["optimizer.step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["optimizer.learning_rate"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (Array.IndexOf(Reserved, key) >= 0)
                throw new ArgumentException($"The metadata key '{key}' is one the checkpoint writes itself.", nameof(metadata));
            entries[key] = value;
        }

        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        foreach (NamedParameter p in model.NamedParameters) tensors.Add((p.Name, p.Shape.ToArray(), p.Values.ToArray()));
        tensors.Add((OptimizerState, [optimizer.State.Length], optimizer.State.ToArray()));
        tensors.Add((DropoutGenerator, [SeededRandom.StateLength], Words(model.DropoutGenerator)));
        for (int i = 0; i < generators.Count; i++) tensors.Add((Generator(i), [SeededRandom.StateLength], Words(generators[i])));
        Safetensors.Save(path, tensors, entries);
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> into a model and optimizer of the same
    /// kind. Everything is checked before anything changes.
    /// </summary>
    /// <returns>The metadata, including the caller's entries.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is not a checkpoint of this model and optimizer (a tensor missing, extra or of another shape,
    /// another optimizer type, a missing generator state); the model, optimizer and generators are unchanged.
    /// </exception>
    public static IReadOnlyDictionary<string, string> Load(string path, ISequenceModel model, IOptimizer optimizer, IReadOnlyList<SeededRandom>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        generators ??= [];
        SafetensorsFile file = SafetensorsFile.Read(path);
        IReadOnlyDictionary<string, string> metadata = file.Metadata;

        // Check everything first.
        if (metadata.GetValueOrDefault("format") != Format)
            throw new InvalidDataException($"{path}: not an Unroll checkpoint (its format is '{metadata.GetValueOrDefault("format") ?? "missing"}', expected '{Format}').");
        if (metadata.GetValueOrDefault("optimizer") != optimizer.GetType().Name)
            throw new InvalidDataException($"{path}: the checkpoint holds the state of a {metadata.GetValueOrDefault("optimizer") ?? "missing"} optimizer, not of a {optimizer.GetType().Name}.");
        if (!long.TryParse(metadata.GetValueOrDefault("optimizer.step"), NumberStyles.None, CultureInfo.InvariantCulture, out long step)
            || !float.TryParse(metadata.GetValueOrDefault("optimizer.learning_rate"), NumberStyles.Float, CultureInfo.InvariantCulture, out float learningRate))
            throw new InvalidDataException($"{path}: the optimizer's step count or learning rate is missing or not a number.");

        var state = new float[optimizer.State.Length];
        Read(file, OptimizerState, state);
        var dropout = new float[SeededRandom.StateLength];
        Read(file, DropoutGenerator, dropout);
        var words = new float[generators.Count][];
        for (int i = 0; i < generators.Count; i++) Read(file, Generator(i), words[i] = new float[SeededRandom.StateLength]);
        foreach (string name in file.Names)
        {
            bool known = name == OptimizerState || name == DropoutGenerator || (name.StartsWith("random.", StringComparison.Ordinal) && IsGenerator(name, generators.Count))
                || model.NamedParameters.Contains(name);
            if (!known) throw new InvalidDataException($"{path}: the tensor '{name}' belongs to neither the model, the optimizer nor the {generators.Count} generators given.");
        }
        foreach (float[] w in words.Append(dropout))
        {
            if (w.All(v => BitConverter.SingleToUInt32Bits(v) == 0)) throw new InvalidDataException($"{path}: a generator state is all zero, which no generator can have.");
        }

        // Then change: the parameters (checked again by Safetensors.Load, before it copies), and the rest.
        Safetensors.Load(file, model.NamedParameters, ignoreExtraTensors: true);
        state.CopyTo(optimizer.State);
        optimizer.StepCount = step;
        optimizer.LearningRate = learningRate;
        model.DropoutGenerator.LoadState(dropout);
        for (int i = 0; i < generators.Count; i++) generators[i].LoadState(words[i]);
        return metadata;
    }

    private static float[] Words(SeededRandom generator)
    {
        var words = new float[SeededRandom.StateLength];
        generator.SaveState(words);
        return words;
    }

    private static void Read(SafetensorsFile file, string name, float[] destination)
    {
        if (!file.TryGetShape(name, out ReadOnlySpan<int> shape))
            throw new InvalidDataException($"{file.Path}: the tensor '{name}' is missing; the checkpoint needs it with shape [{destination.Length}].");
        if (shape.Length != 1 || shape[0] != destination.Length)
            throw new InvalidDataException($"{file.Path}: the tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}], but [{destination.Length}] is needed.");
        file.CopyTo(name, destination);
    }

    private static bool IsGenerator(string name, int count) =>
        int.TryParse(name.AsSpan("random.".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < count && Generator(index) == name;
}
