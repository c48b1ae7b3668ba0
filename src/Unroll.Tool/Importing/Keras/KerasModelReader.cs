using System.Globalization;
using System.Text.Json;

namespace Unroll.Tool.Importing.Keras;

/// <summary>
/// Turns a Keras model's configuration and weights into Unroll's layers, one Keras layer at a time, checking every
/// option Unroll's layer does not have and every weight's shape; the first it cannot declare is an
/// <see cref="ImportException"/> naming the layer ("layer 4 of 5, 'attention' (MultiHeadAttention): …").
/// </summary>
internal sealed class KerasModelReader(KerasFile keras, string file, ImportOptions options)
{
    private readonly KerasLayers builder = new(options.Name);
    private JsonElement[] entries = [];
    private int index;
    private int width = -1;
    private bool time = true;

    public ImportedModel Read()
    {
        JsonElement root = keras.Config;
        string modelClass = String(root, "class_name") ?? "";
        if (modelClass is not ("Sequential" or "Functional" or "Model"))
        {
            throw new ImportException($"'{file}': the model is a '{modelClass}'; unroll imports Sequential models, and Functional ones whose layers form a chain.");
        }
        JsonElement config = root.GetProperty("config");
        JsonElement list = config.ValueKind == JsonValueKind.Array ? config : config.TryGetProperty("layers", out JsonElement l) ? l : default;
        if (list.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"'{file}': its model_config has no list of layers.");
        entries = [.. list.EnumerateArray()];
        if (modelClass != "Sequential") CheckChain(config);

        int? length = null;
        if (InputShape() is { } shape)
        {
            if (shape.Length >= 2 && shape[1] is int t) length = t;
            if (shape.Length == 3 && shape[2] is int f) width = f;
        }
        for (index = 0; index < entries.Length; index++) Layer(entries[index]);
        if (builder.Count == 0) throw new ImportException($"'{file}': the model has no layer Unroll declares.");
        int sequence = options.SequenceLength ?? length
            ?? throw new ImportException($"'{file}': the model's input leaves its time axis open (None); give the longest sequence with --sequence-length.");
        return new ImportedModel(options.Name, sequence, options.BatchSize, builder.Layers, builder.Tensors, $"{file} (Keras {keras.KerasVersion}, {modelClass})");
    }

    // ------------------------------------------------------------------------------------------------
    // The model

    /// <summary>The input's shape (batch first, null for an open axis): the InputLayer's, else the first layer's.</summary>
    private int?[]? InputShape()
    {
        foreach (JsonElement entry in entries.Take(2))
        {
            if (!entry.TryGetProperty("config", out JsonElement c) || c.ValueKind != JsonValueKind.Object) continue;
            foreach (string key in (string[])["batch_input_shape", "batch_shape"])
            {
                if (c.TryGetProperty(key, out JsonElement s) && s.ValueKind == JsonValueKind.Array) return Shape(s);
            }
            if (entry.TryGetProperty("build_config", out JsonElement b) && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("input_shape", out JsonElement i)
                && i.ValueKind == JsonValueKind.Array)
            {
                return Shape(i);
            }
        }
        return null;

        static int?[] Shape(JsonElement s) => [.. s.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetInt32() : (int?)null)];
    }

    /// <summary>A Functional model: each layer must take the one before it, and the last be the output.</summary>
    private void CheckChain(JsonElement config)
    {
        for (index = 0; index < entries.Length; index++)
        {
            var inbound = new List<string>();
            int nodes = 0;
            if (entries[index].TryGetProperty("inbound_nodes", out JsonElement n) && n.ValueKind == JsonValueKind.Array)
            {
                nodes = n.GetArrayLength();
                Inbound(n, inbound);
            }
            if (nodes > 1) throw Unsupported($"it is called {nodes} times (a shared layer); unroll imports Functional models whose layers form a chain");
            string? previous = index > 0 ? Name(entries[index - 1]) : null;
            bool ok = index == 0 ? inbound.Count == 0 : inbound.Count == 1 && inbound[0] == previous;
            if (!ok)
            {
                throw Unsupported(inbound.Count == 0
                    ? "it is a second input; unroll imports Functional models with one input whose layers form a chain"
                    : $"it takes {string.Join(", ", inbound.Select(i => $"'{i}'"))}, not only the layer before it{(previous is null ? "" : $" ('{previous}')")}; unroll imports Functional models whose layers form a chain");
            }
        }
        if (config.TryGetProperty("output_layers", out JsonElement outputs) && outputs.ValueKind == JsonValueKind.Array)
        {
            var names = new List<string>();
            Inbound(outputs, names);
            if (names.Count != 1 || names[0] != Name(entries[^1]))
            {
                index = entries.Length - 1;
                throw new ImportException($"'{file}': the model's outputs are {string.Join(", ", names.Select(o => $"'{o}'"))}; unroll imports one output, the last layer's.");
            }
        }
    }

    /// <summary>The layer names a node list refers to: Keras 2's [name, node, tensor, kwargs] arrays, Keras 3's keras_history.</summary>
    private static void Inbound(JsonElement e, List<string> names)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            if (e.GetArrayLength() >= 3 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.Number)
            {
                names.Add(e[0].GetString()!);
                return;
            }
            foreach (JsonElement child in e.EnumerateArray()) Inbound(child, names);
        }
        else if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("keras_history", out JsonElement h))
            {
                Inbound(h, names);
                return;
            }
            foreach (JsonProperty p in e.EnumerateObject()) Inbound(p.Value, names);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Layers

    private void Layer(JsonElement entry)
    {
        string cls = String(entry, "class_name") ?? "";
        JsonElement c = Config(entry);
        if (builder.Count == 0 && cls is "Dropout" or "Activation" or "ReLU" or "LeakyReLU")
        {
            throw Unsupported($"it is the model's first layer, where Unroll's [{(cls == "Dropout" ? "Dropout" : "Activation")}] is not valid: the first layer takes the input (an Embedding, a recurrent, Dense or Conv1D layer)");
        }
        if (Quantization(c) is { } mode) throw Unsupported($"it is quantized ({mode}); Unroll imports float weights: save the model before model.quantize");
        switch (cls)
        {
            case "InputLayer":
                return;
            case "Dense":
                Dense(c, Weights());
                return;
            case "TimeDistributed":
                {
                    JsonElement inner = Inner(c);
                    string innerClass = String(inner, "class_name") ?? "";
                    if (innerClass != "Dense") throw Unsupported($"it wraps a {innerClass}; unroll imports TimeDistributed(Dense) (a Dense on every step)");
                    Dense(Config(inner), Weights());
                    return;
                }
            case "LSTM" or "GRU" or "SimpleRNN":
                Recurrent(cls, c, [Weights()]);
                return;
            case "Bidirectional":
                Bidirectional(c);
                return;
            case "Embedding":
                Embedding(c);
                return;
            case "Conv1D":
                Conv1D(c);
                return;
            case "BatchNormalization":
                BatchNormalization(c);
                return;
            case "Dropout":
                {
                    double rate = Double(c, "rate", 0);
                    if (rate is < 0 or >= 1) throw Unsupported($"its rate {KerasLayers.Number(rate)} is not in [0, 1)");
                    builder.Dropout(builder.Property(LayerName, "Dropout"), rate, Origin());
                    return;
                }
            case "Activation":
                Activation(c, "activation", own: true);
                return;
            case "ReLU":
                {
                    double slope = Double(c, "negative_slope", 0);
                    if (c.TryGetProperty("max_value", out JsonElement max) && max.ValueKind != JsonValueKind.Null || Double(c, "threshold", 0) != 0)
                    {
                        throw Unsupported("it has a max_value or a threshold; Unroll's ReLU has neither");
                    }
                    builder.Activation(builder.Property(LayerName, "Relu"), slope == 0 ? "ActivationFunction.Relu" : $"ActivationFunction.LeakyRelu, NegativeSlope = {KerasLayers.Number(slope)}", Origin());
                    return;
                }
            case "LeakyReLU":
                {
                    double slope = Double(c, "alpha", Double(c, "negative_slope", 0.3));
                    builder.Activation(builder.Property(LayerName, "LeakyRelu"), $"ActivationFunction.LeakyRelu, NegativeSlope = {KerasLayers.Number(slope)}", Origin());
                    return;
                }
            case "MultiHeadAttention" or "Attention" or "AdditiveAttention":
                throw Unsupported("attention is not imported from Keras (Unroll's [SelfAttention] is nn.MultiheadAttention, whose weights Keras lays out differently); declare it by hand or export the model to ONNX from PyTorch");
            default:
                throw Unsupported("Unroll has no layer the Keras importer maps it to (it imports Dense, TimeDistributed(Dense), SimpleRNN, LSTM, GRU, Bidirectional, Embedding, Conv1D, BatchNormalization, Dropout, Activation, ReLU, LeakyReLU and InputLayer)");
        }
    }

    private void Dense(JsonElement c, List<KerasWeight> weights)
    {
        int units = Int(c, "units");
        int inputs = width >= 0 ? width : Find(weights, "kernel").Shape[0];
        float[] kernel = Weight(weights, "kernel", [inputs, units], $"a Dense({units}) on {inputs} features");
        float[]? bias = Bool(c, "use_bias", true) ? Weight(weights, "bias", [units], $"a Dense({units})") : null;
        string? function = ActivationFunction(c, "activation");
        builder.Linear(builder.Property(LayerName, "Dense"), inputs, units, kernel, bias, Origin());
        width = units;
        if (function is not null) builder.Activation(builder.Property(LayerName + "_activation", "Activation"), function, Origin() + $": its activation '{ActivationName(c, "activation")}'");
    }

    /// <summary>LSTM, GRU or SimpleRNN, one direction (weights[0]) or both (weights[0] forward, weights[1] backward).</summary>
    private void Recurrent(string cls, JsonElement c, List<KerasWeight>[] weights, bool bidirectional = false)
    {
        string what = bidirectional ? $"its {cls}" : "it";
        if (!time) throw Unsupported($"its input has no time axis: the layer before it returns only its last step (return_sequences=False)");
        int units = Int(c, "units");
        if (Bool(c, "return_state", false)) throw Unsupported($"{what} returns its states (return_state=True); Unroll's layer gives its outputs (its FinalHidden holds the states)");
        if (Bool(c, "go_backwards", false) && !bidirectional) throw Unsupported("it runs backwards in time alone (go_backwards=True); Unroll's recurrent layers run forward, or both ways as Bidirectional");
        if (Bool(c, "stateful", false)) throw Unsupported($"{what} is stateful (stateful=True: its state carries over from one batch to the next); Unroll's Forward starts every batch from zero states (its Step streams instead): re-save it with stateful=False");
        if (Bool(c, "time_major", false)) throw Unsupported($"{what} is time-major; Unroll's models are batch-first");
        string activation = ActivationName(c, "activation") ?? "tanh";
        string? nonlinearity = null;
        if (cls == "SimpleRNN")
        {
            if (activation is not ("tanh" or "relu")) throw Unsupported($"its activation is '{activation}'; Unroll's [Rnn] (nn.RNN) computes tanh or relu");
            if (activation == "relu") nonlinearity = "Relu";
        }
        else
        {
            if (activation != "tanh") throw Unsupported($"{what} has activation '{activation}'; Unroll's {cls} uses tanh, Keras' default");
            string recurrent = ActivationName(c, "recurrent_activation") ?? "sigmoid";
            if (recurrent != "sigmoid")
            {
                throw Unsupported($"{what} has recurrent_activation '{recurrent}'; Unroll's {cls} (PyTorch's) uses the exact sigmoid, TF2's default: retrain with recurrent_activation='sigmoid'");
            }
        }
        bool resetAfter = cls != "GRU" || Bool(c, "reset_after", true);
        if (!resetAfter)
        {
            throw Unsupported($"{what} has reset_after=False, a different cell: its reset gate multiplies the state before the recurrent product (r ⊙ h)·U, while Unroll's GRU (PyTorch's nn.GRU) applies it after, r ⊙ (h·U + b). The weights cannot be converted: retrain with reset_after=True (TF2's default)");
        }
        int gates = cls switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        int inputs = width >= 0 ? width : Find(weights[0], "kernel").Shape[0];
        bool bias = Bool(c, "use_bias", true);
        string layer = $"{(bidirectional ? "Bidirectional " : "")}{cls}({units}) on {inputs} features";
        var cells = new List<KerasLayers.Cell>();
        foreach (List<KerasWeight> w in weights)
        {
            float[] kernel = Weight(w, "kernel", [inputs, gates * units], Article(layer));
            float[] recurrentKernel = Weight(w, "recurrent_kernel", [units, gates * units], Article(layer));
            float[]? inputBias = null, recurrentBias = null;
            if (bias && cls == "GRU")
            {
                float[] b = Weight(w, "bias", [2, gates * units], Article(layer) + " (reset_after=True: input and recurrent biases)");
                inputBias = b[..(gates * units)];
                recurrentBias = b[(gates * units)..];
            }
            else if (bias)
            {
                inputBias = Weight(w, "bias", [gates * units], Article(layer));
            }
            cells.Add(new(kernel, recurrentKernel, inputBias, recurrentBias));
        }
        bool sequences = Bool(c, "return_sequences", false);
        string kind = cls switch { "LSTM" => "Lstm", "GRU" => "Gru", _ => "Rnn" };
        builder.Recurrent(builder.Property(LayerName, kind), kind, inputs, units, cells, nonlinearity, sequences, Origin());
        width = units * weights.Length;
        time = sequences;
    }

    private void Bidirectional(JsonElement c)
    {
        JsonElement inner = Inner(c);
        string cls = String(inner, "class_name") ?? "";
        if (cls is not ("LSTM" or "GRU" or "SimpleRNN")) throw Unsupported($"it wraps a {cls}; unroll imports Bidirectional(LSTM), Bidirectional(GRU) and Bidirectional(SimpleRNN)");
        string merge = String(c, "merge_mode") ?? "concat";
        if (merge != "concat") throw Unsupported($"its merge_mode is '{merge}'; Unroll's bidirectional layers concatenate the two directions (merge_mode='concat')");
        JsonElement forward = Config(inner);
        if (c.TryGetProperty("backward_layer", out JsonElement backwardEntry) && backwardEntry.ValueKind == JsonValueKind.Object)
        {
            JsonElement backward = Config(backwardEntry);
            foreach (string key in (string[])["units", "activation", "recurrent_activation", "return_sequences", "use_bias", "reset_after"])
            {
                bool has = forward.TryGetProperty(key, out JsonElement f), hasBackward = backward.TryGetProperty(key, out JsonElement b);
                if (has && hasBackward && f.GetRawText() != b.GetRawText() || String(backwardEntry, "class_name") != cls)
                {
                    throw Unsupported($"its backward layer differs from the forward one ({key}); Unroll's bidirectional layers run the same cell both ways");
                }
            }
        }
        List<KerasWeight> all = Weights();
        List<KerasWeight> backwardWeights = all.Where(w => w.Name.Split('/').Any(p => p.StartsWith("backward", StringComparison.Ordinal))).ToList();
        List<KerasWeight> forwardWeights = all.Except(backwardWeights).ToList();
        if (backwardWeights.Count == 0)
        {
            forwardWeights = all.Take(all.Count / 2).ToList();
            backwardWeights = all.Skip(all.Count / 2).ToList();
        }
        Recurrent(cls, forward, [forwardWeights, backwardWeights], bidirectional: true);
    }

    private void Embedding(JsonElement c)
    {
        if (builder.Count > 0) throw Unsupported("Unroll's [Embedding] is the first layer only (the model then takes token ids)");
        int count = Int(c, "input_dim"), dim = Int(c, "output_dim");
        if (Bool(c, "mask_zero", false))
        {
            throw Unsupported("it masks token 0 (mask_zero=True), so the layers after it skip those steps; Unroll takes each row's length instead (Forward(tokens, output, length, lengths)): re-save it with mask_zero=False and give the lengths");
        }
        float[] table = Weight(Weights(), "embeddings", [count, dim], $"an Embedding({count}, {dim})");
        builder.Embedding(builder.Property(LayerName, "Embedding"), count, dim, table, Origin());
        width = dim;
    }

    private void Conv1D(JsonElement c)
    {
        if (!time) throw Unsupported("its input has no time axis: the layer before it returns only its last step (return_sequences=False)");
        if ((String(c, "data_format") ?? "channels_last") != "channels_last") throw Unsupported("its data_format is channels_first; Unroll's sequences are [batch, time, channels] (channels_last)");
        int filters = Int(c, "filters"), size = First(c, "kernel_size", 1), stride = First(c, "strides", 1), dilation = First(c, "dilation_rate", 1);
        int groups = c.TryGetProperty("groups", out JsonElement g) && g.ValueKind == JsonValueKind.Number ? g.GetInt32() : 1;
        List<KerasWeight> weights = Weights();
        int inputs = width >= 0 ? width : Find(weights, "kernel").Shape[1] * groups;
        string padding = String(c, "padding") ?? "valid";
        var attribute = new List<string>();
        if (stride != 1) attribute.Add($"Stride = {stride}");
        int span = (size - 1) * dilation;
        switch (padding)
        {
            case "valid":
                break;
            case "causal":
                attribute.Add("Causal = true");
                break;
            case "same" when stride == 1 && span % 2 == 0:
                if (span > 0) attribute.Add($"Padding = {span / 2}");
                break;
            case "same":
                throw Unsupported($"its padding is 'same' with {(stride != 1 ? $"strides {stride}" : $"an odd span (kernel {size}, dilation {dilation})")}: Keras pads more on the right than on the left, and Unroll's Padding is the same on both sides");
            default:
                throw Unsupported($"its padding is '{padding}'");
        }
        if (dilation != 1) attribute.Add($"Dilation = {dilation}");
        string layer = $"a Conv1D({filters}, {size}{(groups != 1 ? $", groups={groups}" : "")}) on {inputs} channels";
        float[] kernel = Weight(weights, "kernel", [size, inputs / groups, filters], layer);
        float[]? bias = Bool(c, "use_bias", true) ? Weight(weights, "bias", [filters], layer) : null;
        string? function = ActivationFunction(c, "activation");
        builder.Conv1d(builder.Property(LayerName, "Conv1d"), inputs, filters, size, groups, attribute, kernel, bias, Origin());
        width = filters;
        if (function is not null) builder.Activation(builder.Property(LayerName + "_activation", "Activation"), function, Origin() + $": its activation '{ActivationName(c, "activation")}'");
    }

    private void BatchNormalization(JsonElement c)
    {
        if (width < 0) throw Unsupported("the width of its input is not known (give the model's input shape)");
        int last = time ? 2 : 1;
        if (c.TryGetProperty("axis", out JsonElement axis))
        {
            int[] axes = axis.ValueKind == JsonValueKind.Array ? [.. axis.EnumerateArray().Select(a => a.GetInt32())] : [axis.GetInt32()];
            if (axes is not [int a] || a != -1 && a != last) throw Unsupported($"it normalises over axis {axis.GetRawText()}; Unroll's [BatchNorm] normalises each feature (the last axis)");
        }
        double eps = Double(c, "epsilon", 1e-3), momentum = Double(c, "momentum", 0.99);
        decimal torchMomentum = 1m - decimal.Parse(KerasLayers.Number(momentum), NumberStyles.Float, CultureInfo.InvariantCulture);
        List<KerasWeight> weights = Weights();
        string layer = $"a BatchNormalization of {width} features";
        float[]? gamma = Bool(c, "scale", true) ? Weight(weights, "gamma", [width], layer) : null;
        float[]? beta = Bool(c, "center", true) ? Weight(weights, "beta", [width], layer) : null;
        float[] mean = Weight(weights, "moving_mean", [width], layer), variance = Weight(weights, "moving_variance", [width], layer);
        builder.BatchNorm(builder.Property(LayerName, "BatchNorm"), width, eps, torchMomentum, gamma, beta, mean, variance, Origin());
    }

    /// <summary>An Activation layer (<paramref name="own"/>) or a layer's activation option: nothing for 'linear'.</summary>
    private void Activation(JsonElement c, string key, bool own)
    {
        if (ActivationFunction(c, key) is { } function) builder.Activation(builder.Property(LayerName, own ? "Activation" : LayerName + "Activation"), function, Origin());
    }

    /// <summary>The activation option as Unroll's <c>ActivationFunction</c> (and its slope), null for 'linear'.</summary>
    private string? ActivationFunction(JsonElement c, string key)
    {
        string name = ActivationName(c, key) ?? "linear";
        return name switch
        {
            "linear" => null,
            "relu" => "ActivationFunction.Relu",
            "tanh" => "ActivationFunction.Tanh",
            "sigmoid" => "ActivationFunction.Sigmoid",
            "gelu" => "ActivationFunction.Gelu",
            "swish" or "silu" => "ActivationFunction.Silu",
            "leaky_relu" => "ActivationFunction.LeakyRelu, NegativeSlope = 0.2",
            "softmax" => throw Unsupported("its activation is 'softmax', which Unroll's [Activation] does not compute: Unroll's models give the scores before it (their losses take those); re-save with activation='linear' and apply Probabilities.Softmax to the outputs"),
            _ => throw Unsupported($"its activation is '{name}'; Unroll's [Activation] computes relu, tanh, sigmoid, gelu, swish/silu and leaky_relu (and 'linear' is none)"),
        };
    }

    /// <summary>
    /// A Keras 3 layer's quantization ("QuantizedDTypePolicy, mode 'int8'"), null when it has none: model.quantize(mode)
    /// gives the layer a QuantizedDTypePolicy or a subclass (keras/src/dtype_policies/dtype_policy.py), whose config has the mode.
    /// </summary>
    internal static string? Quantization(JsonElement c) =>
        c.ValueKind == JsonValueKind.Object && c.TryGetProperty("dtype", out JsonElement policy) && policy.ValueKind == JsonValueKind.Object
        && policy.TryGetProperty("config", out JsonElement p) && String(p, "mode") is { } mode
            ? $"{String(policy, "class_name")}, mode '{mode}'"
            : null;

    /// <summary>An activation option's name: a string, or Keras 3's serialised function.</summary>
    private static string? ActivationName(JsonElement c, string key)
    {
        if (!c.TryGetProperty(key, out JsonElement a) || a.ValueKind == JsonValueKind.Null) return null;
        if (a.ValueKind == JsonValueKind.String) return a.GetString();
        if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("config", out JsonElement config))
        {
            if (config.ValueKind == JsonValueKind.String) return config.GetString();
            if (config.ValueKind == JsonValueKind.Object && String(config, "name") is { } n) return n;
        }
        return a.ValueKind == JsonValueKind.Object ? String(a, "class_name")?.ToLowerInvariant() : a.GetRawText();
    }

    // ------------------------------------------------------------------------------------------------
    // Weights and options

    /// <summary>"a GRU(4)", "an LSTM(4)", "an Embedding(…)".</summary>
    private static string Article(string layer) => (layer.StartsWith("LSTM", StringComparison.Ordinal) || "AEIOU".Contains(layer[0], StringComparison.Ordinal) ? "an " : "a ") + layer;

    /// <summary>
    /// The layer's weights. A Keras 3 layer with LoRA (enable_lora) keeps its factors apart from its frozen kernel in
    /// an .h5 file (a .keras file holds the merged kernel): those are refused, not ignored.
    /// </summary>
    private List<KerasWeight> Weights()
    {
        List<KerasWeight> weights = keras.Weights.TryGetValue(LayerName, out List<KerasWeight>? w) ? w : [];
        if (weights.FirstOrDefault(x => x.Role.StartsWith("lora_", StringComparison.Ordinal)) is { } lora)
        {
            throw Unsupported($"its weight {lora.Described} is a LoRA factor, which the .h5 file keeps apart from the kernel; save the model as .keras (model.save(\"model.keras\") merges it into the kernel)");
        }
        return weights;
    }

    private KerasWeight Find(List<KerasWeight> weights, string role) =>
        weights.FirstOrDefault(w => w.Role == role)
        ?? throw Unsupported($"it has no weight '{role}' in the file (its weights: {(weights.Count == 0 ? "none" : string.Join(", ", weights.Select(w => w.Described)))})");

    private float[] Weight(List<KerasWeight> weights, string role, int[] shape, string layer)
    {
        KerasWeight w = Find(weights, role);
        if (!w.Shape.SequenceEqual(shape))
        {
            throw Unsupported($"its weight {w.Described} has shape [{string.Join(", ", w.Shape)}], but {layer} needs [{string.Join(", ", shape)}]");
        }
        return w.Values;
    }

    private string LayerName => Name(entries[index]);

    private string Name(JsonElement entry) =>
        (entry.TryGetProperty("config", out JsonElement c) && c.ValueKind == JsonValueKind.Object ? String(c, "name") : null) ?? String(entry, "name") ?? $"layer_{index + 1}";

    private string Where => $"layer {index + 1} of {entries.Length}, '{LayerName}' ({String(entries[index], "class_name")})";

    private string Origin() => $"Keras layer '{LayerName}' ({String(entries[index], "class_name")}, layer {index + 1} of {entries.Length})";

    private ImportException Unsupported(string why) => new($"'{file}': {Where}: {why}.");

    private JsonElement Config(JsonElement entry) =>
        entry.TryGetProperty("config", out JsonElement c) && c.ValueKind == JsonValueKind.Object ? c : throw Unsupported("it has no config");

    private JsonElement Inner(JsonElement c) =>
        c.TryGetProperty("layer", out JsonElement inner) && inner.ValueKind == JsonValueKind.Object ? inner : throw Unsupported("its config names no wrapped layer");

    internal static string? String(JsonElement e, string key) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private int Int(JsonElement c, string key) =>
        c.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0 ? i : throw Unsupported($"its config has no positive '{key}'");

    private static int First(JsonElement c, string key, int fallback) =>
        !c.TryGetProperty(key, out JsonElement v) ? fallback : v.ValueKind == JsonValueKind.Array ? v[0].GetInt32() : v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    private static double Double(JsonElement c, string key, double fallback) =>
        c.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    internal static bool Bool(JsonElement c, string key, bool fallback) =>
        c.TryGetProperty(key, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
}
