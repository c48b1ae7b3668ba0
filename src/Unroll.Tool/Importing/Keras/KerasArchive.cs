using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using PureHDF;

namespace Unroll.Tool.Importing.Keras;

/// <summary>
/// Reads a Keras 3 <c>.keras</c> file (<c>model.save("model.keras")</c>; keras/src/saving/saving_lib.py): a zip of
/// <c>config.json</c> (the model, as <c>serialize_keras_object</c> writes it), <c>metadata.json</c> (the Keras version)
/// and <c>model.weights.h5</c>, where each layer's variables are numbered, not named:
/// <c>layers/&lt;class in snake case&gt;[_n]/vars/0, 1…</c> in the order the layer's <c>build</c> adds them, an RNN's under
/// its <c>cell</c>, a Bidirectional's under <c>forward_layer</c> and <c>backward_layer</c>, a TimeDistributed's under
/// <c>layer</c>. Each weight is given the role it has in Keras 2's names ("kernel", "bias"…), so that
/// <see cref="KerasModelReader"/> maps both formats alike.
/// </summary>
internal static partial class KerasArchive
{
    private const string Config = "config.json", Metadata = "metadata.json", Weights = "model.weights.h5";

    /// <summary>
    /// Reads the archive: <see cref="InvalidDataException"/> when it is not a valid zip or lacks what every .keras file
    /// holds; <see cref="ImportException"/> when its weights are in a format unroll does not read.
    /// </summary>
    public static KerasFile Read(string path)
    {
        string file = Path.GetFileName(path);
        using (ZipArchive zip = Open(path))
        {
            JsonElement config = KerasFile.Json(Text(zip, Config, file), $"its {Config}", file);
            string? version = zip.GetEntry(Metadata) is null ? null : KerasModelReader.String(KerasFile.Json(Text(zip, Metadata, file), $"its {Metadata}", file), "keras_version");
            if (zip.GetEntry(Weights) is null && zip.GetEntry("model.weights.npz") is not null)
            {
                throw new ImportException($"'{file}' holds its weights as model.weights.npz (weights_format=\"npz\"); unroll reads model.weights.h5, Keras' default: save the model with model.save(\"{Path.GetFileNameWithoutExtension(path)}.keras\").");
            }
            using var weights = new MemoryStream(Bytes(zip, Weights, file));
            try
            {
                using PureHDF.VOL.Native.NativeFile h5 = H5File.Open(weights, leaveOpen: true);
                return new KerasFile { Config = config, KerasVersion = version ?? "unknown version", Weights = LayerWeights(config, h5, file) };
            }
            catch (Exception e) when (KerasFile.IsDamaged(e))
            {
                throw new InvalidDataException($"'{file}': its {Weights} is not a valid HDF5 file (truncated or damaged?): {e.Message}", e);
            }
        }
    }

    /// <summary>Opens the archive: <see cref="InvalidDataException"/> when it is not a valid zip.</summary>
    public static ZipArchive Open(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not a valid .keras file (a zip archive; truncated or damaged?): {e.Message}", e);
        }
    }

    /// <summary>The archive's weights file, model.weights.h5, read whole.</summary>
    public static byte[] WeightsFile(ZipArchive zip, string file) => Bytes(zip, Weights, file);

    private static byte[] Bytes(ZipArchive zip, string name, string file)
    {
        ZipArchiveEntry entry = zip.GetEntry(name)
            ?? throw new InvalidDataException($"'{file}' is not a complete .keras file: it has no {name} (its entries: {string.Join(", ", zip.Entries.Select(e => e.FullName))}).");
        try
        {
            using Stream stream = entry.Open();
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            return bytes.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{file}': its {name} cannot be read (a damaged archive?): {e.Message}", e);
        }
    }

    private static string Text(ZipArchive zip, string name, string file) => System.Text.Encoding.UTF8.GetString(Bytes(zip, name, file));

    /// <summary>
    /// Each layer's weights by the layer's name, found where saving_lib's <c>_save_container_state</c> puts the model's
    /// <c>layers</c>: by class name in snake case, "_1", "_2"… for the next layers of one class. A Sequential's list
    /// omits its InputLayer (keras/src/models/sequential.py, <c>layers</c>); a Functional's has it.
    /// </summary>
    private static Dictionary<string, List<KerasWeight>> LayerWeights(JsonElement root, PureHDF.VOL.Native.NativeFile h5, string file)
    {
        var weights = new Dictionary<string, List<KerasWeight>>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("config", out JsonElement c) || c.ValueKind != JsonValueKind.Object
            || !c.TryGetProperty("layers", out JsonElement layers) || layers.ValueKind != JsonValueKind.Array)
        {
            return weights;
        }
        bool sequential = KerasModelReader.String(root, "class_name") == "Sequential";
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonElement entry in layers.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
        {
            string cls = KerasModelReader.String(entry, "class_name") ?? "";
            if (sequential && cls == "InputLayer") continue;
            string name = SnakeCase(cls);
            used[name] = used.TryGetValue(name, out int n) ? n + 1 : 0;
            string path = "layers/" + (used[name] == 0 ? name : $"{name}_{used[name]}");
            string? layer = entry.TryGetProperty("config", out JsonElement config) ? KerasModelReader.String(config, "name") : null;
            if (layer is null) continue;
            if (SavedName(h5, path) is { } saved && saved != layer)
            {
                throw new InvalidDataException($"'{file}': its {Weights} holds the weights of layer '{saved}' at {path}, where Keras saves those of layer '{layer}' ({cls}): its weights are not its config.json's model's.");
            }
            weights[layer] = Variables(h5, path, entry, layer, file);
        }
        return weights;
    }

    /// <summary>The layer name Keras 3.6 and later write on a saveable's vars group (saving_lib's <c>H5IOStore.make</c>); null before.</summary>
    private static string? SavedName(PureHDF.VOL.Native.NativeFile h5, string path) =>
        h5.LinkExists(path + "/vars") && h5.Group(path + "/vars") is { } vars && vars.AttributeExists("name") ? vars.Attribute("name").Read<string>() : null;

    /// <summary>
    /// A layer's variables at <paramref name="path"/>, each with its role: the order each layer's <c>build</c> adds
    /// them (<c>Layer.save_own_variables</c>: trainable, then non-trainable). Dense (its
    /// <c>variable_serialization_spec</c>) and Conv1D (base_conv.py): kernel, bias; Embedding: embeddings;
    /// BatchNormalization: gamma, beta, moving_mean, moving_variance (without gamma when not scale, beta when not
    /// center; with renorm, three more); LSTMCell, GRUCell, SimpleRNNCell: kernel, recurrent_kernel, bias. Nothing for a
    /// layer unroll does not map, or a quantized one.
    /// </summary>
    private static List<KerasWeight> Variables(IH5Group h5, string path, JsonElement entry, string layer, string file)
    {
        // A quantized layer's variables are not floats (KerasModelReader refuses it by its dtype policy).
        if (!entry.TryGetProperty("config", out JsonElement c) || c.ValueKind != JsonValueKind.Object || KerasModelReader.Quantization(c) is not null) return [];
        bool bias = Bool(c, "use_bias");
        switch (KerasModelReader.String(entry, "class_name"))
        {
            case "Dense" or "Conv1D":
                return Numbered(h5, path, bias ? ["kernel", "bias"] : ["kernel"], layer, file);
            case "Embedding":
                return Numbered(h5, path, ["embeddings"], layer, file);
            case "BatchNormalization":
                {
                    // With renorm, three more follow (inference uses the moving mean and variance all the same).
                    string[] renorm = KerasModelReader.Bool(c, "renorm", false) ? ["moving_stddev", "renorm_mean", "renorm_stddev"] : [];
                    return Numbered(h5, path, [.. Bool(c, "scale") ? ["gamma"] : Array.Empty<string>(), .. Bool(c, "center") ? ["beta"] : Array.Empty<string>(), "moving_mean", "moving_variance", .. renorm], layer, file);
                }
            case "LSTM" or "GRU" or "SimpleRNN":
                // rnn.py: the RNN layer holds no variables; its cell, the attribute "cell", does.
                return Numbered(h5, path + "/cell", bias ? ["kernel", "recurrent_kernel", "bias"] : ["kernel", "recurrent_kernel"], layer, file);
            case "TimeDistributed" when c.TryGetProperty("layer", out JsonElement inner):
                // wrapper.py: the wrapped layer is the attribute "layer".
                return Variables(h5, path + "/layer", inner, layer, file);
            case "Bidirectional" when c.TryGetProperty("layer", out JsonElement inner):
                {
                    // bidirectional.py: "forward_layer" is made from "layer"'s config, "backward_layer" from its own.
                    JsonElement backward = c.TryGetProperty("backward_layer", out JsonElement b) && b.ValueKind == JsonValueKind.Object ? b : inner;
                    return [.. Variables(h5, path + "/forward_layer", inner, layer, file), .. Variables(h5, path + "/backward_layer", backward, layer, file)];
                }
            default:
                return [];
        }
    }

    /// <summary>
    /// The datasets <c>path/vars/0</c>, <c>1</c>… with their roles; when their count is not the roles', each keeps its
    /// number as its role (so the reader names the weight it misses, with the ones there are).
    /// </summary>
    private static List<KerasWeight> Numbered(IH5Group h5, string path, string[] roles, string layer, string file)
    {
        var weights = new List<KerasWeight>();
        if (!h5.LinkExists(path + "/vars")) return weights;
        IH5Group vars = h5.Group(path + "/vars");
        for (int i = 0; vars.LinkExists(i.ToString(CultureInfo.InvariantCulture)); i++)
        {
            string number = i.ToString(CultureInfo.InvariantCulture);
            weights.Add(KerasFile.ReadWeight(vars.Dataset(number), $"{path}/vars/{number}", layer, file));
        }
        return weights.Count == roles.Length ? [.. weights.Select((w, i) => w with { Role = roles[i] })] : weights;
    }

    /// <summary>keras/src/utils/naming.py, <c>to_snake_case</c>: "SimpleRNN" → "simple_rnn", "Conv1D" → "conv1d".</summary>
    public static string SnakeCase(string name)
    {
        name = NonWord().Replace(name, "");
        name = WordStart().Replace(name, "$1_$2");
        return LowerUpper().Replace(name, "$1_$2").ToLowerInvariant();
    }

    [GeneratedRegex(@"\W+")]
    private static partial Regex NonWord();

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex WordStart();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();

    /// <summary>A boolean option that defaults to true (use_bias, scale, center).</summary>
    private static bool Bool(JsonElement c, string key) => KerasModelReader.Bool(c, key, true);
}
