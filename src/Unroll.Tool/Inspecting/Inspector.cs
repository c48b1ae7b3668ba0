using System.Globalization;
using System.Text;
using Google.Protobuf;
using PureHDF;

namespace Unroll.Tool.Inspecting;

/// <summary>One tensor of a weights file: its name, shape (outermost first), element type and whether it counts as a parameter.</summary>
internal sealed record TensorInfo(string Name, long[] Shape, string Dtype, bool Parameter)
{
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// <c>unroll inspect</c>: the tensors of a safetensors file, an ONNX model (its initializers) or an HDF5 file (a Keras
/// model's datasets), with their shapes and types and the parameter count.
/// </summary>
internal static class Inspector
{
    /// <summary>The file's tensors, in the file's order.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid file of its kind, or of no kind this reads.</exception>
    public static IReadOnlyList<TensorInfo> Read(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".safetensors" => Safetensors(path),
        ".onnx" => Onnx(path),
        ".h5" or ".hdf5" => Hdf5(path, () => H5File.OpenRead(path)),
        ".keras" => Keras(path),
        _ => throw new InvalidDataException($"'{path}' is not a file unroll inspects: it reads .safetensors, .onnx, .h5 (HDF5) and .keras (Keras 3) files."),
    };

    /// <summary>The tensors as a table, then the parameter count.</summary>
    public static string Format(string path, IReadOnlyList<TensorInfo> tensors)
    {
        var rows = tensors.Select(t => (t.Name, Shape: "[" + string.Join(", ", t.Shape) + "]", t.Dtype, Count: t.Count.ToString("N0", CultureInfo.InvariantCulture))).ToList();
        rows.Insert(0, ("name", "shape", "dtype", "values"));
        int name = rows.Max(r => r.Name.Length), shape = rows.Max(r => r.Shape.Length), dtype = rows.Max(r => r.Dtype.Length), count = rows.Max(r => r.Count.Length);
        var s = new StringBuilder();
        s.Append(path).Append(": ").Append(tensors.Count).Append(tensors.Count == 1 ? " tensor\n" : " tensors\n");
        foreach (var (n, sh, dt, c) in rows) s.Append(n.PadRight(name)).Append("  ").Append(sh.PadRight(shape)).Append("  ").Append(dt.PadRight(dtype)).Append("  ").Append(c.PadLeft(count)).Append('\n');
        long parameters = tensors.Where(t => t.Parameter).Sum(t => t.Count);
        s.Append(CultureInfo.InvariantCulture, $"Parameters: {parameters:N0} (floating-point tensors{(tensors.Any(t => !t.Parameter) ? "; the others are not counted" : "")})\n");
        return s.ToString();
    }

    private static TensorInfo[] Safetensors(string path)
    {
        var file = SafetensorsFile.Read(path);
        return file.Names.Select(n => new TensorInfo(n, file.GetShape(n).ToArray().Select(d => (long)d).ToArray(), file.GetDtype(n), IsFloat(file.GetDtype(n)))).ToArray();
    }

    private static TensorInfo[] Onnx(string path)
    {
        Onnx.ModelProto model;
        try
        {
            model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX model: {e.Message}", e);
        }
        if (model.Graph is null) throw new InvalidDataException($"'{path}' is not a valid ONNX model: it has no graph.");
        return model.Graph.Initializer.Select(t =>
        {
            string dtype = ((global::Onnx.TensorProto.Types.DataType)t.DataType).ToString().ToLowerInvariant();
            return new TensorInfo(t.Name, t.Dims.ToArray(), dtype, dtype is "float" or "double" or "float16" or "bfloat16");
        }).ToArray();
    }

    /// <summary>A Keras 3 archive's tensors: those of its model.weights.h5.</summary>
    private static List<TensorInfo> Keras(string path)
    {
        using System.IO.Compression.ZipArchive zip = Importing.Keras.KerasArchive.Open(path);
        using var weights = new MemoryStream(Importing.Keras.KerasArchive.WeightsFile(zip, Path.GetFileName(path)));
        return Hdf5(path, () => H5File.Open(weights, leaveOpen: true));
    }

    private static List<TensorInfo> Hdf5(string path, Func<PureHDF.VOL.Native.NativeFile> open)
    {
        try
        {
            using PureHDF.VOL.Native.NativeFile file = open();
            // A Keras model's trained tensors are under model_weights (the file may also hold the optimizer's).
            bool keras = file.LinkExists("model_weights");
            var tensors = new List<TensorInfo>();
            Walk(file, "");
            return tensors;

            void Walk(IH5Group group, string prefix)
            {
                foreach (IH5Object child in group.Children())
                {
                    string name = prefix + child.Name;
                    if (child is IH5Group sub) Walk(sub, name + "/");
                    else if (child is IH5Dataset dataset)
                    {
                        bool floating = dataset.Type.Class == H5DataTypeClass.FloatingPoint, integer = dataset.Type.Class == H5DataTypeClass.FixedPoint;
                        string dtype = floating || integer ? (floating ? "float" : "int") + (8 * dataset.Type.Size).ToString(CultureInfo.InvariantCulture) : dataset.Type.Class.ToString().ToLowerInvariant();
                        tensors.Add(new TensorInfo(name, dataset.Space.Dimensions.Select(d => (long)d).ToArray(), dtype, floating && (!keras || name.StartsWith("model_weights/", StringComparison.Ordinal))));
                    }
                }
            }
        }
        catch (Exception e) when (e is not IOException)
        {
            // PureHDF reports a damaged file as it meets it: on opening, or while walking its groups.
            throw new InvalidDataException($"'{path}' is not a valid HDF5 file: {e.Message}", e);
        }
    }

    private static bool IsFloat(string dtype) => dtype is "F32" or "F64" or "F16" or "BF16";
}
