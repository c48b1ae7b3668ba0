using System.Text.Json;
using Unroll.Tool.Importing.Keras;

namespace Unroll.Tool.Importing.RtNeural;

/// <summary>
/// Imports an RTNeural model (<c>.json</c>) in the format RTNeural's loader reads (<c>json_parser::parseJson</c> of
/// RTNeural/model_loader.h), as its Keras exporter writes it: <c>"in_shape"</c> and <c>"layers"</c>, each with its
/// <c>"type"</c>, <c>"shape"</c>, <c>"activation"</c> and <c>"weights"</c> in Keras' layouts. <c>dense</c> and
/// <c>time-distributed-dense</c>, <c>lstm</c>, <c>gru</c>, <c>conv1d</c> (causal, as RTNeural streams it),
/// <c>batchnorm</c> and the activations tanh, relu and sigmoid become Unroll's layers; <c>prelu</c>, <c>conv2d</c>,
/// <c>batchnorm2d</c> and the softmax and elu activations are an <see cref="ImportException"/> naming the layer.
/// </summary>
/// <remarks>
/// RTNeural runs a model one sample at a time, so its files seldom fix a sequence length: unless <c>in_shape</c> gives its
/// time axis (<c>[null, 64, 1]</c>), <c>--sequence-length</c> is required (the longest sequence <c>Forward</c> takes; a
/// model that only streams with <c>Step</c> can take 1).
/// </remarks>
internal sealed class RtNeuralImporter : IModelImporter
{
    /// <inheritdoc/>
    public string Format => "RTNeural (.json)";

    /// <inheritdoc/>
    public bool Reads(string path) => string.Equals(Path.GetExtension(path), ".json", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public ImportedModel Import(string path, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string file = Path.GetFileName(path);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}' is not valid JSON (truncated or damaged?): {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("layers", out JsonElement layers) || !root.TryGetProperty("in_shape", out JsonElement shape))
        {
            if (root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Any(p => p.Name.Contains('.', StringComparison.Ordinal)))
            {
                throw new ImportException($"'{file}' looks like a PyTorch state_dict for RTNeural's torch_helpers (tensors by name, no layers): it holds weights but not the model. Declare the model with Unroll's attributes and load its weights from PyTorch's safetensors (model.LoadSafetensors).");
            }
            throw new InvalidDataException($"'{file}' is not an RTNeural model: it has no \"in_shape\" and \"layers\".");
        }
        if (shape.ValueKind != JsonValueKind.Array || layers.ValueKind != JsonValueKind.Array || shape.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"'{file}' is not an RTNeural model: its \"in_shape\" and \"layers\" must be arrays.");
        }
        return new RtNeuralModelReader(file, options, [.. shape.EnumerateArray()], [.. layers.EnumerateArray()]).Read();
    }
}

/// <summary>Maps RTNeural's layers, in order, to Unroll's, as RTNeural's loader reads them.</summary>
internal sealed class RtNeuralModelReader(string file, ImportOptions options, JsonElement[] inShape, JsonElement[] layers)
{
    private readonly KerasLayers builder = new(options.Name);
    private int index;
    private int width;

    public ImportedModel Read()
    {
        if (inShape.Length == 4) throw new ImportException($"'{file}': its in_shape has 4 axes (a conv2d model); Unroll's layers take [batch, time, features].");
        width = Dimension(inShape[^1]) ?? throw new InvalidDataException($"'{file}': the last axis of its in_shape (the features) is not a number.");
        int? length = inShape.Length == 3 ? Dimension(inShape[1]) : null;
        for (index = 0; index < layers.Length; index++) Layer(layers[index]);
        if (builder.Count == 0) throw new ImportException($"'{file}': the model has no layers.");
        int sequence = options.SequenceLength ?? length
            ?? throw new ImportException($"'{file}': RTNeural runs a model one sample at a time and its in_shape leaves the time axis open; give the longest sequence Forward takes with --sequence-length (1 for a model only streamed with Step).");
        return new ImportedModel(options.Name, sequence, options.BatchSize, builder.Layers, builder.Tensors, $"{file} (RTNeural)");
    }

    private static int? Dimension(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int d) && d > 0 ? d : null;

    private void Layer(JsonElement l)
    {
        if (l.ValueKind != JsonValueKind.Object || !l.TryGetProperty("type", out JsonElement t) || t.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"'{file}': layer {index + 1} of {layers.Length} has no \"type\".");
        }
        string type = t.GetString()!;
        JsonElement[] weights = l.TryGetProperty("weights", out JsonElement w) && w.ValueKind == JsonValueKind.Array ? [.. w.EnumerateArray()] : [];
        int units = l.TryGetProperty("shape", out JsonElement s) && s.ValueKind == JsonValueKind.Array && s.GetArrayLength() > 0 && Dimension(s[s.GetArrayLength() - 1]) is int u
            ? u
            : type == "activation" ? width : throw Unsupported(type, "its \"shape\" does not end in its width");
        switch (type)
        {
            case "dense" or "time-distributed-dense":
                {
                    float[] kernel = Weight(type, weights, 0, [width, units], $"a dense layer of {units} on {width} features");
                    float[]? bias = weights.Length >= 2 ? Weight(type, weights, 1, [units], $"a dense layer of {units}") : null;
                    builder.Linear(builder.Property("dense", "Dense"), width, units, kernel, bias, Origin(type));
                    width = units;
                    Activation(l, type);
                    return;
                }
            case "lstm" or "gru":
                {
                    int gates = type == "lstm" ? 4 : 3;
                    string layer = $"{(type == "lstm" ? "an LSTM" : "a GRU")} of {units} on {width} features";
                    float[] kernel = Weight(type, weights, 0, [width, gates * units], layer);
                    float[] recurrent = Weight(type, weights, 1, [units, gates * units], layer);
                    KerasLayers.Cell cell;
                    if (type == "gru")
                    {
                        float[] b = Weight(type, weights, 2, [2, gates * units], layer + " (input and recurrent biases, Keras' reset_after=True)");
                        cell = new(kernel, recurrent, b[..(gates * units)], b[(gates * units)..]);
                    }
                    else
                    {
                        cell = new(kernel, recurrent, Weight(type, weights, 2, [gates * units], layer), null);
                    }
                    string kind = type == "lstm" ? "Lstm" : "Gru";
                    // RTNeural's cells are Keras' (sigmoid gates, tanh), whatever "activation" says: its loader ignores it.
                    builder.Recurrent(builder.Property(type, kind), kind, width, units, [cell], null, returnSequences: true, Origin(type));
                    width = units;
                    return;
                }
            case "conv1d":
                {
                    int size = Last(l, "kernel_size") ?? throw Unsupported(type, "it has no \"kernel_size\"");
                    int dilation = Last(l, "dilation") ?? throw Unsupported(type, "it has no \"dilation\"");
                    int groups = l.TryGetProperty("groups", out JsonElement g) && Dimension(g) is int gs ? gs : 1;
                    if (width % groups != 0 || units % groups != 0) throw Unsupported(type, $"its {groups} groups do not divide its {width} input and {units} output channels");
                    string layer = $"a conv1d of {units} channels (kernel {size}, groups {groups}) on {width} channels";
                    float[] kernel = Weight(type, weights, 0, [size, width / groups, units], layer);
                    float[] bias = Weight(type, weights, 1, [units], layer);
                    // RTNeural's Conv1D streams: each output step sees the current input and the (k − 1)·dilation before it.
                    var attribute = new List<string> { "Causal = true" };
                    if (dilation != 1) attribute.Add($"Dilation = {dilation}");
                    builder.Conv1d(builder.Property("conv1d", "Conv1d"), width, units, size, groups, attribute, kernel, bias, Origin(type));
                    width = units;
                    Activation(l, type);
                    return;
                }
            case "batchnorm":
                {
                    if (units != width) throw Unsupported(type, $"its shape ends in {units}, but its input has {width} features");
                    double eps = l.TryGetProperty("epsilon", out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Unsupported(type, "it has no \"epsilon\"");
                    string layer = $"a batchnorm of {width} features";
                    bool affine = weights.Length == 4;
                    if (!affine && weights.Length != 2) throw Unsupported(type, $"it has {weights.Length} weights; RTNeural's batchnorm has 4 (gamma, beta, mean, variance) or 2 (mean, variance)");
                    int k = affine ? 2 : 0;
                    builder.BatchNorm(builder.Property("batch_norm", "BatchNorm"), width, eps, 0.1m,
                        affine ? Weight(type, weights, 0, [width], layer) : null, affine ? Weight(type, weights, 1, [width], layer) : null,
                        Weight(type, weights, k, [width], layer), Weight(type, weights, k + 1, [width], layer), Origin(type));
                    return;
                }
            case "activation":
                Activation(l, type);
                return;
            case "prelu":
                throw Unsupported(type, "Unroll has no PReLU (an activation with a learned slope per feature)");
            default:
                throw Unsupported(type, "Unroll has no layer the RTNeural importer maps it to (it imports dense, time-distributed-dense, lstm, gru, conv1d, batchnorm and activation)");
        }
    }

    private void Activation(JsonElement l, string type)
    {
        string name = l.TryGetProperty("activation", out JsonElement a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
        string? function = name switch
        {
            "" or "linear" => null,
            "tanh" => "ActivationFunction.Tanh",
            "relu" => "ActivationFunction.Relu",
            "sigmoid" => "ActivationFunction.Sigmoid",
            "softmax" => throw Unsupported(type, "its activation is softmax, which Unroll's [Activation] does not compute: Unroll's models give the scores before it; apply Probabilities.Softmax to the outputs"),
            _ => throw Unsupported(type, $"its activation is '{name}'; Unroll's [Activation] computes tanh, relu and sigmoid of RTNeural's"),
        };
        if (function is null)
        {
            if (type == "activation") throw Unsupported(type, "it names no activation");
            return;
        }
        if (builder.Count == 0) throw Unsupported(type, "it is the model's first layer, where Unroll's [Activation] is not valid: the first layer takes the input");
        string origin = type == "activation" ? Origin(type) : Origin(type) + $": its activation '{name}'";
        builder.Activation(builder.Property(name, "Activation"), function, origin);
    }

    private static int? Last(JsonElement l, string key) =>
        !l.TryGetProperty(key, out JsonElement v) ? null
        : v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 ? Dimension(v[v.GetArrayLength() - 1])
        : Dimension(v);

    /// <summary>Weight <paramref name="i"/> of a layer, a nested array of the expected shape, row-major.</summary>
    private float[] Weight(string type, JsonElement[] weights, int i, int[] shape, string layer)
    {
        if (i >= weights.Length) throw Unsupported(type, $"it has {weights.Length} weights; {layer} needs weight {i + 1}, of shape [{string.Join(", ", shape)}]");
        var found = new List<int>();
        var values = new List<float>();
        bool numbers = Flatten(weights[i], 0, found, values);
        if (!numbers || !found.SequenceEqual(shape))
        {
            string has = numbers ? $"shape [{string.Join(", ", found)}]" : "a ragged or non-numeric array";
            throw Unsupported(type, $"its weight {i + 1} has {has}, but {layer} needs [{string.Join(", ", shape)}]");
        }
        return [.. values];
    }

    /// <summary>A nested array's values, row-major, and its shape (false when ragged or not numbers).</summary>
    private static bool Flatten(JsonElement e, int depth, List<int> shape, List<float> values)
    {
        if (e.ValueKind == JsonValueKind.Number)
        {
            if (depth != shape.Count) return false;
            values.Add(e.GetSingle());
            return true;
        }
        if (e.ValueKind != JsonValueKind.Array) return false;
        int n = e.GetArrayLength();
        if (depth == shape.Count) shape.Add(n);
        else if (depth > shape.Count || shape[depth] != n) return false;
        foreach (JsonElement child in e.EnumerateArray())
        {
            if (!Flatten(child, depth + 1, shape, values)) return false;
        }
        return true;
    }

    private string Origin(string type) => $"RTNeural layer {index + 1} of {layers.Length} ({type})";

    private ImportException Unsupported(string type, string why) => new($"'{file}': layer {index + 1} of {layers.Length} ({type}): {why}.");
}
