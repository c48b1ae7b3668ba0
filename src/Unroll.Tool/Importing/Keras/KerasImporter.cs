using System.Globalization;
using System.Text.Json;
using PureHDF;

namespace Unroll.Tool.Importing.Keras;

/// <summary>
/// Imports a Keras model: a Keras 3 <c>.keras</c> file (<see cref="KerasArchive"/>), or one saved as HDF5
/// (<c>model.save("model.h5")</c>, Keras 2's or Keras 3's legacy format): its configuration (a Sequential model, or a
/// Functional one whose layers form a chain) and its weights. Dense (also in
/// TimeDistributed), SimpleRNN, LSTM, GRU (reset_after=True), Bidirectional of these, Embedding, Conv1D,
/// BatchNormalization, Dropout and the activations become Unroll's layers with PyTorch's names and layouts; anything else
/// is an <see cref="ImportException"/> naming the layer.
/// </summary>
internal sealed class KerasImporter : IModelImporter
{
    /// <inheritdoc/>
    public string Format => "Keras (.keras, .h5)";

    /// <inheritdoc/>
    public bool Reads(string path) => Path.GetExtension(path).ToLowerInvariant() is ".h5" or ".hdf5" or ".keras";

    /// <inheritdoc/>
    public ImportedModel Import(string path, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool archive = string.Equals(Path.GetExtension(path), ".keras", StringComparison.OrdinalIgnoreCase);
        return new KerasModelReader(archive ? KerasArchive.Read(path) : KerasFile.Read(path), Path.GetFileName(path), options).Read();
    }
}

/// <summary>
/// One weight of a layer as stored: its name in the file (<c>lstm/lstm_cell/kernel:0</c>, or a .keras file's
/// <c>layers/lstm/cell/vars/0</c>), shape and values.
/// </summary>
internal sealed record KerasWeight(string Name, int[] Shape, float[] Values)
{
    /// <summary>
    /// The weight's role ("kernel", "recurrent_kernel", "gamma"): by default the last part of its name without the ":0";
    /// a .keras file numbers its weights, and <see cref="KerasArchive"/> gives each its role.
    /// </summary>
    public string Role { get; init; } = Name[(Name.LastIndexOf('/') + 1)..].Split(':')[0];

    /// <summary>The name, and the role when the name does not tell it: "'layers/lstm/cell/vars/1' (recurrent_kernel)".</summary>
    public string Described => Name.Contains(Role, StringComparison.Ordinal) ? $"'{Name}'" : $"'{Name}' ({Role})";
}

/// <summary>What a file from Keras holds: the model's configuration and every layer's weights, read whole.</summary>
internal sealed class KerasFile
{
    public required JsonElement Config { get; init; }

    public required string KerasVersion { get; init; }

    /// <summary>Each layer's weights by the layer's name, in the file's order (<c>weight_names</c>).</summary>
    public required Dictionary<string, List<KerasWeight>> Weights { get; init; }

    /// <summary>Reads an HDF5 file: <see cref="InvalidDataException"/> when it is not a valid HDF5 file or not a Keras model's.</summary>
    public static KerasFile Read(string path)
    {
        string file = Path.GetFileName(path);
        string text;
        string version;
        var weights = new Dictionary<string, List<KerasWeight>>(StringComparer.Ordinal);
        try
        {
            using PureHDF.VOL.Native.NativeFile h5 = H5File.OpenRead(path);
            if (!h5.AttributeExists("model_config"))
            {
                throw h5.LinkExists("model_weights") || h5.AttributeExists("layer_names")
                    ? new ImportException($"'{file}' holds a Keras model's weights but not its configuration (model.save_weights): save the whole model with model.save(\"{Path.GetFileNameWithoutExtension(path)}.h5\").")
                    : new InvalidDataException($"'{file}' is an HDF5 file but not a Keras model's: it has no 'model_config' attribute.");
            }
            text = h5.Attribute("model_config").Read<string>();
            version = h5.AttributeExists("keras_version") ? h5.Attribute("keras_version").Read<string>() : "unknown version";
            if (h5.LinkExists("model_weights"))
            {
                IH5Group group = h5.Group("model_weights");
                foreach (string layer in Strings(group, "layer_names"))
                {
                    IH5Group g = group.Group(layer);
                    var list = new List<KerasWeight>();
                    foreach (string name in Strings(g, "weight_names")) list.Add(ReadWeight(g.Dataset(name), name, layer, file));
                    weights[layer] = list;
                }
            }
        }
        catch (Exception e) when (IsDamaged(e))
        {
            // PureHDF reports a damaged file as it meets it: on opening, or while reading its groups and datasets.
            throw new InvalidDataException($"'{file}' is not a valid HDF5 file (truncated or damaged?): {e.Message}", e);
        }
        return new KerasFile { Config = Json(text, "its model_config", file), KerasVersion = version, Weights = weights };
    }

    /// <summary>Whether an exception met while reading a file tells of a damaged file (not one of ours, nor a missing or locked file).</summary>
    public static bool IsDamaged(Exception e) =>
        e is not (ImportException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException);

    /// <summary>A JSON document's root, <see cref="InvalidDataException"/> naming <paramref name="what"/> when it is not valid JSON.</summary>
    public static JsonElement Json(string text, string what, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}': {what} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// An attribute holding a list of names (Keras writes bytes; an empty list is stored as 0 floats), or the chunks
    /// <c>name0</c>, <c>name1</c>… Keras splits a list into when it would not fit an HDF5 object header.
    /// </summary>
    private static string[] Strings(IH5Object owner, string name)
    {
        if (owner.AttributeExists(name)) return Chunk(owner, name);
        var names = new List<string>();
        for (int k = 0; owner.AttributeExists(name + k.ToString(CultureInfo.InvariantCulture)); k++) names.AddRange(Chunk(owner, name + k.ToString(CultureInfo.InvariantCulture)));
        return [.. names];
    }

    private static string[] Chunk(IH5Object owner, string name)
    {
        IH5Attribute attribute = owner.Attribute(name);
        if (attribute.Space.Dimensions.Aggregate(1UL, (a, d) => a * d) == 0) return [];
        if (attribute.Type.Class != H5DataTypeClass.String) throw new InvalidDataException($"the attribute '{name}' of '{owner.Name}' holds {attribute.Type.Class} values, not names");
        return attribute.Space.Dimensions.Length == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>();
    }

    /// <summary>A dataset's floats (float32 or float64) as a weight named <paramref name="name"/> of <paramref name="layer"/>.</summary>
    public static KerasWeight ReadWeight(IH5Dataset dataset, string name, string layer, string file)
    {
        int[] shape = dataset.Space.Dimensions.Select(d => checked((int)d)).ToArray();
        float[] values = dataset.Type.Class == H5DataTypeClass.FloatingPoint
            ? dataset.Type.Size switch
            {
                4 => dataset.Read<float[]>(),
                8 => dataset.Read<double[]>().Select(v => (float)v).ToArray(),
                _ => throw new ImportException($"'{file}': the weight '{name}' of layer '{layer}' is a float of {dataset.Type.Size} bytes; Unroll imports float32 and float64 weights."),
            }
            : throw new ImportException($"'{file}': the weight '{name}' of layer '{layer}' holds {dataset.Type.Class} values, not floats.");
        if (values.Length != shape.Aggregate(1, (a, d) => a * d))
        {
            throw new InvalidDataException($"'{file}': the weight '{name}' of shape [{string.Join(", ", shape)}] holds {values.Length} values (a damaged file?).");
        }
        return new KerasWeight(name, shape, values);
    }
}
