using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Unroll;

/// <summary>
/// Reads and writes model weights in the <see href="https://github.com/huggingface/safetensors">safetensors</see>
/// format with PyTorch's <c>state_dict()</c> names, shapes and row-major float32 data, so a file written
/// from <c>model.state_dict()</c> loads as is and a file written here loads into PyTorch.
/// </summary>
/// <remarks>
/// <para>
/// The format: an unsigned 64-bit little-endian header size <c>N</c>; <c>N</c> bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}</c>
/// (padded with spaces); then the data buffer, which the tensors cover exactly, without gaps or overlaps,
/// at offsets relative to its start.
/// </para>
/// <para>
/// Loading is all-or-nothing: the whole file is read and checked (and checked against the model) before
/// the first value is copied, so a bad file throws <see cref="InvalidDataException"/> naming the file and the
/// tensor, and the model keeps its previous weights. Saving writes a temporary file in the same folder,
/// flushes it to disk and renames it over the target, so a crash never leaves half a file behind.
/// </para>
/// </remarks>
public static class Safetensors
{
    /// <summary>
    /// Loads every parameter from a safetensors file: each parameter must be present with PyTorch's shape,
    /// and the file must hold no other tensor (<c>__metadata__</c> is ignored).
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="parameters">The model's parameters (<c>model.NamedParameters</c>); their values are replaced.</param>
    /// <exception cref="InvalidDataException">
    /// The file is truncated or corrupt, a tensor is missing, extra, of another shape or of an unsupported dtype.
    /// The message names the file and the tensor; no parameter has been changed.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static void Load(string path, NamedParameterCollection parameters) =>
        Load(SafetensorsFile.Read(path), parameters, ignoreExtraTensors: false);

    /// <summary>
    /// Loads every parameter from an already read and validated file, for callers (checkpoints) that keep
    /// more than the model's weights in one file.
    /// </summary>
    /// <param name="file">The file, from <see cref="SafetensorsFile.Read"/>.</param>
    /// <param name="parameters">The model's parameters; their values are replaced.</param>
    /// <param name="ignoreExtraTensors">
    /// <see langword="false"/> (as <see cref="Load(string, NamedParameterCollection)"/> does): a tensor the model does
    /// not have is an error. <see langword="true"/>: other tensors (optimizer state, say) are left for the caller.
    /// </param>
    /// <exception cref="InvalidDataException">
    /// A parameter is missing or of another shape, or (unless ignored) the file holds a tensor the model does not have;
    /// no parameter has been changed.
    /// </exception>
    public static void Load(SafetensorsFile file, NamedParameterCollection parameters, bool ignoreExtraTensors = false)
    {
        ArgumentNullException.ThrowIfNull(file);

        // Check everything first; copy only once nothing can fail.
        foreach (NamedParameter p in parameters)
        {
            if (!file.TryGetShape(p.Name, out ReadOnlySpan<int> shape))
            {
                throw file.Error(p.Name, $"is missing; the model expects it with shape {Format(p.Shape)}");
            }
            if (!shape.SequenceEqual(p.Shape))
            {
                throw file.Error(p.Name, $"has shape {Format(shape)}, but the model expects {Format(p.Shape)}");
            }
            if (!p.IsInteger && SafetensorsFile.IsInteger(file.GetDtype(p.Name)))
            {
                throw file.Error(p.Name, $"has the integer dtype '{file.GetDtype(p.Name)}', but the model's tensor is float32 (F32, F64, F16 or BF16)");
            }
        }
        if (!ignoreExtraTensors)
        {
            foreach (string name in file.Names)
            {
                if (!parameters.Contains(name))
                {
                    throw file.Error(name, "is not a parameter of the model");
                }
            }
        }

        foreach (NamedParameter p in parameters)
        {
            file.CopyTo(p.Name, p.Values);
        }
    }

    /// <summary>
    /// Saves every parameter, in <c>NamedParameters</c> (state-dict) order, as float32 tensors with PyTorch's
    /// names and shapes (an integer tensor such as <c>num_batches_tracked</c> as int64, <c>I64</c>, as PyTorch keeps it). The file is written to a temporary file next to <paramref name="path"/> and renamed over it.
    /// </summary>
    /// <param name="path">The file to write; an existing file is replaced.</param>
    /// <param name="parameters">The model's parameters (<c>model.NamedParameters</c>).</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings; omitted from the header when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Two parameters have the same name, or a name is empty or <c>__metadata__</c>.</exception>
    /// <exception cref="IOException">The file cannot be written; the target is left as it was.</exception>
    public static void Save(string path, NamedParameterCollection parameters, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, new ParameterSource(parameters), metadata);

    /// <summary>
    /// Saves named float32 tensors, in the order given, for callers (checkpoints) that store more than a model's
    /// weights. The file is written to a temporary file next to <paramref name="path"/> and renamed over it.
    /// </summary>
    /// <param name="path">The file to write; an existing file is replaced.</param>
    /// <param name="tensors">The tensors: name, shape (outermost first) and row-major data of the shape's size.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings; omitted from the header when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// A name is empty, repeated or <c>__metadata__</c>, a dimension is negative, or the data length is not the shape's size.
    /// </exception>
    /// <exception cref="IOException">The file cannot be written; the target is left as it was.</exception>
    public static void Save(string path, IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, new ListSource(tensors.ToArray()), metadata);
    }

    /// <summary>As <see cref="Save(string, NamedParameterCollection, IReadOnlyDictionary{string, string}?)"/>, writing the temporary file through <paramref name="create"/> (tests interrupt the save there).</summary>
    internal static void Save(string path, NamedParameterCollection parameters, Func<string, Stream> create) =>
        Write(path, new ParameterSource(parameters), null, create);

    internal static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    // ------------------------------------------------------------------------------------------------
    // Writing

    private interface ITensorSource
    {
        int Count { get; }
        string Name(int index);
        ReadOnlySpan<int> Shape(int index);
        ReadOnlySpan<float> Data(int index);
        bool Integer(int index);
    }

    private readonly struct ParameterSource(NamedParameterCollection parameters) : ITensorSource
    {
        public int Count => parameters.Count;
        public string Name(int index) => parameters[index].Name;
        public ReadOnlySpan<int> Shape(int index) => parameters[index].Shape;
        public ReadOnlySpan<float> Data(int index) => parameters[index].Values;
        public bool Integer(int index) => parameters[index].IsInteger;
    }

    private readonly struct ListSource((string Name, int[] Shape, ReadOnlyMemory<float> Data)[] tensors) : ITensorSource
    {
        public int Count => tensors.Length;
        public string Name(int index) => tensors[index].Name;
        public ReadOnlySpan<int> Shape(int index) => tensors[index].Shape;
        public ReadOnlySpan<float> Data(int index) => tensors[index].Data.Span;
        public bool Integer(int index) => false;
    }

    private static void Write<TSource>(string path, TSource source, IReadOnlyDictionary<string, string>? metadata, Func<string, Stream>? create = null)
        where TSource : ITensorSource
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(source, metadata);

        string fullPath = Path.GetFullPath(path);
        string temp = fullPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (Stream stream = create?.Invoke(temp) ?? new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> size = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
                stream.Write(size);
                stream.Write(header);
                for (int i = 0; i < source.Count; i++)
                {
                    if (source.Integer(i)) WriteIntegers(stream, source.Data(i));
                    else WriteFloats(stream, source.Data(i));
                }
                if (stream is FileStream file) file.Flush(flushToDisk: true);
                else stream.Flush();
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }
        Span<byte> chunk = stackalloc byte[4096];
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, chunk.Length / 4);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk.Slice(4 * i), data[i]);
            stream.Write(chunk.Slice(0, 4 * n));
            data = data.Slice(n);
        }
    }

    /// <summary>Whole floats as int64 little-endian (an integer tensor's values are whole: counts).</summary>
    private static void WriteIntegers(Stream stream, ReadOnlySpan<float> data)
    {
        Span<byte> value = stackalloc byte[8];
        foreach (float f in data)
        {
            BinaryPrimitives.WriteInt64LittleEndian(value, (long)f);
            stream.Write(value);
        }
    }

    /// <summary>
    /// The JSON header as the reference writer lays it out: compact, <c>__metadata__</c> first, tensors in order
    /// with consecutive offsets, padded with spaces to a multiple of 8 bytes.
    /// </summary>
    private static byte[] BuildHeader<TSource>(TSource source, IReadOnlyDictionary<string, string>? metadata)
        where TSource : ITensorSource
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(SafetensorsFile.MetadataKey);
                foreach (KeyValuePair<string, string> entry in metadata)
                {
                    if (entry.Key is null || entry.Value is null)
                    {
                        throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                    }
                    json.WriteString(entry.Key, entry.Value);
                }
                json.WriteEndObject();
            }

            long offset = 0;
            // The tensors' problems are those of Save's `tensors` argument (CA2208 cannot see that far).
#pragma warning disable CA2208
            for (int i = 0; i < source.Count; i++)
            {
                string name = source.Name(i);
                ReadOnlySpan<int> shape = source.Shape(i);
                if (string.IsNullOrEmpty(name) || name == SafetensorsFile.MetadataKey)
                {
                    throw new ArgumentException($"Tensor {i} has the name '{name}', which a safetensors file cannot hold.", "tensors");
                }
                if (!names.Add(name))
                {
                    throw new ArgumentException($"Tensor '{name}' appears twice.", "tensors");
                }
                long count = 1;
                foreach (int d in shape)
                {
                    if (d < 0) throw new ArgumentException($"Tensor '{name}' has a negative dimension in shape {Format(shape)}.", "tensors");
                    count = checked(count * d);
                }
                int length = source.Data(i).Length;
                if (count != length)
                {
                    throw new ArgumentException($"Tensor '{name}' has shape {Format(shape)} ({count} values) but {length} values.", "tensors");
                }

#pragma warning restore CA2208
                json.WriteStartObject(name);
                bool integer = source.Integer(i);
                json.WriteString("dtype", integer ? "I64" : "F32");
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (integer ? 8L : 4L) * length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
