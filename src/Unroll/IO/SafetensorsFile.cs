using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Unroll;

/// <summary>
/// A safetensors file read into memory and validated: the header is well-formed JSON, every tensor has a
/// supported dtype, a shape whose size matches its data, and the tensors cover the data buffer exactly.
/// Reading a tensor converts it to float32.
/// </summary>
/// <remarks>
/// Supported dtypes: <c>F32</c>, and, converted to float32 on reading, <c>F64</c> (rounded to nearest),
/// <c>F16</c> and <c>BF16</c> (exact), and the integers <c>I64</c> and <c>I32</c> (counts such as BatchNorm's
/// <c>num_batches_tracked</c>, exact: a value beyond ±2^24 is an <see cref="InvalidDataException"/>). Any other dtype is an
/// <see cref="InvalidDataException"/> naming the tensor.
/// The whole file is read once, so the memory used is the file's size, whatever the header claims.
/// Files over 2 GB are not supported.
/// </remarks>
public sealed class SafetensorsFile
{
    /// <summary>The header key of the string-to-string metadata, which is not a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const int MaxHeaderSize = 100_000_000;

    private readonly Dictionary<string, Entry> _entries;
    private readonly byte[] _data;

    private SafetensorsFile(string path, List<string> names, Dictionary<string, Entry> entries,
        Dictionary<string, string> metadata, byte[] data)
    {
        Path = path;
        Names = names.AsReadOnly();
        _entries = entries;
        Metadata = metadata.AsReadOnly();
        _data = data;
    }

    /// <summary>The path the file was read from.</summary>
    public string Path { get; }

    /// <summary>The tensor names, in the order of the header.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a whole safetensors file and validates it.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is truncated or corrupt: a header size beyond the file or above <see cref="MaxHeaderSize"/>, a header that
    /// is not JSON of the expected form, a duplicate tensor, an unsupported dtype, a shape that does not match the data
    /// length, or offsets that leave the buffer, overlap or leave gaps. The message names the file and, where there is
    /// one, the tensor.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The file is larger than 2 GB.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Error(path, null, $"the file has {fileLength} bytes, fewer than the 8 of the header size (truncated?)");
        }

        Span<byte> sizeBytes = stackalloc byte[8];
        ReadExactly(stream, path, sizeBytes);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(sizeBytes);
        if (headerSize > (ulong)(fileLength - 8))
        {
            throw Error(path, null, $"the header size is {headerSize} bytes, but only {fileLength - 8} bytes follow it (truncated or not a safetensors file)");
        }
        if (headerSize > MaxHeaderSize)
        {
            throw Error(path, null, $"the header size is {headerSize} bytes, above the limit of {MaxHeaderSize}");
        }
        if (headerSize < 2)
        {
            throw Error(path, null, $"the header size is {headerSize} bytes, too small for a JSON object");
        }
        long dataLength = fileLength - 8 - (long)headerSize;
        if (dataLength > Array.MaxLength)
        {
            throw new NotSupportedException($"Safetensors file '{path}': the data buffer has {dataLength} bytes; files over 2 GB are not supported.");
        }

        byte[] header = new byte[(int)headerSize];
        ReadExactly(stream, path, header);
        var (names, entries, metadata) = ParseHeader(path, header);
        CheckOffsets(path, names, entries, dataLength);

        byte[] data = new byte[dataLength];
        ReadExactly(stream, path, data);
        CheckIntegers(path, names, entries, data);
        return new SafetensorsFile(path, names, entries, metadata, data);
    }

    /// <summary>Whether the file holds a tensor with this name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns><see langword="true"/> if the tensor is present.</returns>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The shape of a tensor, if the file holds it.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="shape">The shape, outermost dimension first; empty for a scalar or when absent.</param>
    /// <returns><see langword="true"/> if the tensor is present.</returns>
    public bool TryGetShape(string name, out ReadOnlySpan<int> shape)
    {
        if (_entries.TryGetValue(name, out Entry? entry))
        {
            shape = entry.Shape;
            return true;
        }
        shape = default;
        return false;
    }

    /// <summary>The shape of a tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The shape, outermost dimension first.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor with that name.</exception>
    public ReadOnlySpan<int> GetShape(string name) => Get(name).Shape;

    /// <summary>The dtype of a tensor as the header spells it (<c>F32</c>, <c>F64</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c> or <c>I32</c>).</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor with that name.</exception>
    public string GetDtype(string name) => Get(name).Dtype;

    /// <summary>Copies a tensor, converted to float32, row-major, into <paramref name="destination"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">Exactly as many floats as the tensor has elements.</param>
    /// <exception cref="KeyNotFoundException">The file has no tensor with that name.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not the tensor's size.</exception>
    public void CopyTo(string name, Span<float> destination)
    {
        Entry entry = Get(name);
        if (destination.Length != entry.Count)
        {
            throw new ArgumentException(
                $"Tensor '{name}' of shape {Safetensors.Format(entry.Shape)} has {entry.Count} values; the destination has {destination.Length}.",
                nameof(destination));
        }
        ReadOnlySpan<byte> source = _data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin));
        switch (entry.Dtype)
        {
            case "F32" when BitConverter.IsLittleEndian:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case "F32":
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i));
                break;
            case "F64":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(8 * i));
                break;
            case "F16":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(2 * i));
                break;
            case "I64": // within ±2^24 (checked on reading): exact
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8 * i));
                break;
            case "I32":
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4 * i));
                break;
            default: // BF16: the upper half of a float32
                for (int i = 0; i < destination.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)) << 16);
                break;
        }
    }

    private Entry Get(string name) =>
        _entries.TryGetValue(name, out Entry? entry) ? entry : throw new KeyNotFoundException($"Safetensors file '{Path}' has no tensor '{name}'.");

    internal InvalidDataException Error(string tensor, string problem) => Error(Path, tensor, problem);

    private static InvalidDataException Error(string path, string? tensor, string problem, Exception? inner = null) =>
        new(tensor is null
            ? $"Safetensors file '{path}': {problem}."
            : $"Safetensors file '{path}', tensor '{tensor}': {problem}.", inner);

    private static void ReadExactly(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw Error(path, null, "the file ended early (it changed while being read?)", e);
        }
    }

    private sealed class Entry(string dtype, int[] shape, long count, long begin, long end)
    {
        public string Dtype { get; } = dtype;
        public int[] Shape { get; } = shape;
        public long Count { get; } = count;
        public long Begin { get; } = begin;
        public long End { get; } = end;
    }

    /// <summary>Whether a dtype holds integers (which load only into a model's integer tensors, such as <c>num_batches_tracked</c>).</summary>
    internal static bool IsInteger(string dtype) => dtype is "I64" or "I32";

    /// <summary>The largest integer magnitude a float32 holds exactly, and so the largest an integer tensor may hold.</summary>
    private const long MaxExactInteger = 1 << 24;

    /// <summary>Every value of an integer tensor must convert to float32 exactly: within ±2^24.</summary>
    private static void CheckIntegers(string path, List<string> names, Dictionary<string, Entry> entries, byte[] data)
    {
        foreach (string name in names)
        {
            Entry e = entries[name];
            if (!IsInteger(e.Dtype)) continue;
            int size = ElementSize(e.Dtype);
            for (long i = 0; i < e.Count; i++)
            {
                ReadOnlySpan<byte> bytes = data.AsSpan((int)(e.Begin + size * i), size);
                long value = size == 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : BinaryPrimitives.ReadInt32LittleEndian(bytes);
                if (value > MaxExactInteger || value < -MaxExactInteger)
                {
                    throw Error(path, name, $"holds {value} at index {i}, beyond the ±2^24 a float32 holds exactly");
                }
            }
        }
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "F32" or "I32" => 4,
        "F64" or "I64" => 8,
        "F16" or "BF16" => 2,
        _ => 0,
    };

    // ------------------------------------------------------------------------------------------------
    // Header

    private static (List<string> Names, Dictionary<string, Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header)
    {
        var names = new List<string>();
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        string? tensor = null;
        try
        {
            if (header[0] != (byte)'{')
            {
                throw Error(path, null, "the header does not start with '{' (not a safetensors file?)");
            }
            var json = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
            Next(ref json, path, null, JsonTokenType.StartObject, "the header");
            bool sawMetadata = false;
            while (true)
            {
                json.Read();
                if (json.TokenType == JsonTokenType.EndObject) break;
                string name = json.GetString()!;
                if (name == MetadataKey)
                {
                    if (sawMetadata) throw Error(path, null, "'__metadata__' appears twice");
                    sawMetadata = true;
                    ParseMetadata(ref json, path, metadata);
                    continue;
                }
                tensor = name;
                if (entries.ContainsKey(name)) throw Error(path, name, "appears twice in the header");
                entries.Add(name, ParseEntry(ref json, path, name));
                names.Add(name);
                tensor = null;
            }
            if (json.Read())
            {
                throw Error(path, null, "the header has content after its JSON object");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Error(path, tensor, "the header is not valid JSON: " + e.Message.TrimEnd('.'), e);
        }
        return (names, entries, metadata);
    }

    private static void ParseMetadata(ref Utf8JsonReader json, string path, Dictionary<string, string> metadata)
    {
        json.Read();
        if (json.TokenType == JsonTokenType.Null) return;
        if (json.TokenType != JsonTokenType.StartObject) throw Error(path, null, "'__metadata__' is not an object of strings");
        while (true)
        {
            json.Read();
            if (json.TokenType == JsonTokenType.EndObject) return;
            string key = json.GetString()!;
            json.Read();
            if (json.TokenType != JsonTokenType.String) throw Error(path, null, $"'__metadata__' entry '{key}' is not a string");
            if (!metadata.TryAdd(key, json.GetString()!)) throw Error(path, null, $"'__metadata__' entry '{key}' appears twice");
        }
    }

    private static Entry ParseEntry(ref Utf8JsonReader json, string path, string name)
    {
        Next(ref json, path, name, JsonTokenType.StartObject, "the entry");
        string? dtype = null;
        int[]? shape = null;
        long begin = -1, end = -1;
        while (true)
        {
            json.Read();
            if (json.TokenType == JsonTokenType.EndObject) break;
            string field = json.GetString()!;
            switch (field)
            {
                case "dtype":
                    if (dtype is not null) throw Error(path, name, "'dtype' appears twice");
                    Next(ref json, path, name, JsonTokenType.String, "'dtype'");
                    dtype = json.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw Error(path, name, "'shape' appears twice");
                    Next(ref json, path, name, JsonTokenType.StartArray, "'shape'");
                    var dims = new List<int>();
                    while (true)
                    {
                        json.Read();
                        if (json.TokenType == JsonTokenType.EndArray) break;
                        long d = Integer(ref json, path, name, "'shape'");
                        if (d > int.MaxValue) throw Error(path, name, $"dimension {d} in 'shape' is too large");
                        dims.Add((int)d);
                    }
                    shape = dims.ToArray();
                    break;
                case "data_offsets":
                    if (begin >= 0) throw Error(path, name, "'data_offsets' appears twice");
                    Next(ref json, path, name, JsonTokenType.StartArray, "'data_offsets'");
                    json.Read();
                    begin = Integer(ref json, path, name, "'data_offsets'");
                    json.Read();
                    end = Integer(ref json, path, name, "'data_offsets'");
                    Next(ref json, path, name, JsonTokenType.EndArray, "'data_offsets' (two numbers)");
                    break;
                default:
                    json.Read();
                    json.Skip(); // unknown fields are ignored, as the reference reader does
                    break;
            }
        }

        if (dtype is null) throw Error(path, name, "has no 'dtype'");
        if (shape is null) throw Error(path, name, "has no 'shape'");
        if (begin < 0) throw Error(path, name, "has no 'data_offsets'");
        int size = ElementSize(dtype);
        if (size == 0)
        {
            throw Error(path, name, $"has dtype '{dtype}'; only F32 (and F64, F16, BF16, I64, I32, converted to float32) can be read");
        }
        if (end < begin) throw Error(path, name, $"data_offsets [{begin}, {end}] end before they begin");

        long count = 1;
        foreach (int d in shape)
        {
            // Stop as soon as the size exceeds any possible buffer, so a lying shape cannot overflow.
            if (d != 0 && count > MaxBufferBytes / d) throw Error(path, name, $"shape {Safetensors.Format(shape)} is larger than any file this reader accepts");
            count *= d;
        }
        if (count * size != end - begin)
        {
            throw Error(path, name, $"shape {Safetensors.Format(shape)} of {dtype} needs {count * size} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        return new Entry(dtype, shape, count, begin, end);
    }

    private const long MaxBufferBytes = 1L << 40;

    private static long Integer(ref Utf8JsonReader json, string path, string name, string what)
    {
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value) || value < 0 || value > MaxBufferBytes)
        {
            throw Error(path, name, $"{what} holds something other than a non-negative integer");
        }
        return value;
    }

    private static void Next(ref Utf8JsonReader json, string path, string? name, JsonTokenType expected, string what)
    {
        json.Read();
        if (json.TokenType != expected)
        {
            throw Error(path, name, $"{what} is {Describe(json.TokenType)}, not {Describe(expected)}");
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.EndArray => "the end of an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>The tensors, sorted by offset, must tile the buffer: each begins where the previous ends, the last ends at its end.</summary>
    private static void CheckOffsets(string path, List<string> names, Dictionary<string, Entry> entries, long dataLength)
    {
        var sorted = names.ToArray();
        Array.Sort(sorted, (a, b) =>
        {
            Entry x = entries[a], y = entries[b];
            int c = x.Begin.CompareTo(y.Begin);
            return c != 0 ? c : x.End.CompareTo(y.End);
        });
        long expected = 0;
        foreach (string name in sorted)
        {
            Entry e = entries[name];
            if (e.End > dataLength)
            {
                throw Error(path, name, $"data_offsets [{e.Begin}, {e.End}] run past the end of the {dataLength}-byte data buffer (truncated?)");
            }
            if (e.Begin < expected)
            {
                throw Error(path, name, $"data_offsets [{e.Begin}, {e.End}] overlap the previous tensor, which ends at {expected}");
            }
            if (e.Begin > expected)
            {
                throw Error(path, name, $"data_offsets [{e.Begin}, {e.End}] leave a gap after byte {expected} of the data buffer");
            }
            expected = e.End;
        }
        if (expected != dataLength)
        {
            throw Error(path, null, $"the tensors cover {expected} bytes of the data buffer, but it has {dataLength}");
        }
    }
}
