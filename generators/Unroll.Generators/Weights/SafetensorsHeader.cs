using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Unroll.Generators.Weights;

/// <summary>One tensor of a safetensors header: where its bytes are in the data buffer (after the header).</summary>
internal sealed record TensorEntry(string Name, string Dtype, int[] Shape, long Begin, long End)
{
    public long Count
    {
        get
        {
            long count = 1;
            foreach (int d in Shape) count *= d;
            return count;
        }
    }
}

/// <summary>
/// Reads the header of a safetensors file (<c>u64 little-endian header size, JSON header, data</c>) with the rules of
/// the runtime's <c>SafetensorsFile.Read</c>: the same files are accepted at compile time and at run time. The
/// generator targets netstandard2.0 and carries no JSON library, so the header's JSON is parsed here (objects,
/// arrays, strings, numbers, literals; depth at most 16).
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted, as the runtime's <c>SafetensorsFile.MaxHeaderSize</c>.</summary>
    public const int MaxHeaderSize = 100_000_000;

    private const long MaxBufferBytes = 1L << 40;

    private SafetensorsHeader(List<TensorEntry> tensors, long dataStart)
    {
        Tensors = tensors;
        DataStart = dataStart;
    }

    /// <summary>The tensors in header order (without <c>__metadata__</c>).</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>Where the data buffer starts in the file: 8 + the header size.</summary>
    public long DataStart { get; }

    /// <summary>Reads and checks the header of <paramref name="file"/>.</summary>
    /// <exception cref="FormatException">The file is not a valid safetensors file; the message says why.</exception>
    public static SafetensorsHeader Read(byte[] file)
    {
        if (file.Length < 8) throw new FormatException($"the file has {file.Length} bytes, fewer than the 8 of the header size");
        ulong headerSize = 0;
        for (int i = 7; i >= 0; i--) headerSize = headerSize << 8 | file[i];
        if (headerSize > (ulong)(file.Length - 8)) throw new FormatException($"the header size is {headerSize} bytes, but only {file.Length - 8} bytes follow it");
        if (headerSize > MaxHeaderSize) throw new FormatException($"the header size is {headerSize} bytes, above the limit of {MaxHeaderSize}");
        if (headerSize < 2 || file[8] != (byte)'{') throw new FormatException("the header is not a JSON object");

        var json = new Json(file, 8, 8 + (int)headerSize);
        if (json.ReadValue(0) is not List<KeyValuePair<string, object?>> members) throw new FormatException("the header is not a JSON object");
        json.ExpectEnd();

        long dataLength = file.Length - 8 - (long)headerSize;
        var tensors = new List<TensorEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        foreach (var member in members)
        {
            if (member.Key == "__metadata__")
            {
                if (sawMetadata) throw new FormatException("'__metadata__' appears twice");
                sawMetadata = true;
                if (member.Value is not null and not List<KeyValuePair<string, object?>>) throw new FormatException("'__metadata__' is not an object of strings");
                continue;
            }
            if (!names.Add(member.Key)) throw new FormatException($"tensor '{member.Key}' appears twice in the header");
            tensors.Add(Entry(member.Key, member.Value));
        }
        CheckOffsets(tensors, dataLength);
        return new SafetensorsHeader(tensors, 8 + (long)headerSize);
    }

    /// <summary>Bytes per element of every safetensors dtype (the generator converts only the float ones).</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        _ => 0,
    };

    private static TensorEntry Entry(string name, object? value)
    {
        if (value is not List<KeyValuePair<string, object?>> fields) throw new FormatException($"tensor '{name}': the entry is not an object");
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (var field in fields)
        {
            switch (field.Key)
            {
                case "dtype":
                    dtype = field.Value as string ?? throw new FormatException($"tensor '{name}': 'dtype' is not a string");
                    break;
                case "shape":
                    long[] dims = Integers(name, "'shape'", field.Value);
                    shape = new int[dims.Length];
                    for (int i = 0; i < dims.Length; i++)
                    {
                        shape[i] = dims[i] <= int.MaxValue ? (int)dims[i] : throw new FormatException($"tensor '{name}': dimension {dims[i]} in 'shape' is too large");
                    }
                    break;
                case "data_offsets":
                    offsets = Integers(name, "'data_offsets'", field.Value);
                    if (offsets.Length != 2) throw new FormatException($"tensor '{name}': 'data_offsets' is not two numbers");
                    break;
            }
        }
        if (dtype is null) throw new FormatException($"tensor '{name}' has no 'dtype'");
        if (shape is null) throw new FormatException($"tensor '{name}' has no 'shape'");
        if (offsets is null) throw new FormatException($"tensor '{name}' has no 'data_offsets'");
        int size = ElementSize(dtype);
        if (size == 0) throw new FormatException($"tensor '{name}' has the unknown dtype '{dtype}'");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw new FormatException($"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        long count = 1;
        foreach (int d in shape)
        {
            if (d != 0 && count > MaxBufferBytes / d) throw new FormatException($"tensor '{name}': its shape is larger than any file can hold");
            count *= d;
        }
        if (count * size != end - begin)
        {
            throw new FormatException($"tensor '{name}': shape {Format(shape)} of {dtype} needs {count * size} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        return new TensorEntry(name, dtype, shape, begin, end);
    }

    private static long[] Integers(string name, string what, object? value)
    {
        if (value is not List<object?> items) throw new FormatException($"tensor '{name}': {what} is not an array");
        var numbers = new long[items.Count];
        for (int i = 0; i < numbers.Length; i++)
        {
            if (items[i] is not Json.Number number || !long.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]) || numbers[i] > MaxBufferBytes)
            {
                throw new FormatException($"tensor '{name}': {what} holds something other than a non-negative integer");
            }
        }
        return numbers;
    }

    /// <summary>The tensors, sorted by offset, must tile the data buffer exactly.</summary>
    private static void CheckOffsets(List<TensorEntry> tensors, long dataLength)
    {
        var sorted = new List<TensorEntry>(tensors);
        sorted.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
        long expected = 0;
        foreach (TensorEntry e in sorted)
        {
            if (e.End > dataLength) throw new FormatException($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] run past the end of the {dataLength}-byte data buffer");
            if (e.Begin != expected) throw new FormatException($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] {(e.Begin < expected ? "overlap the previous tensor" : "leave a gap")}, which ends at {expected}");
            expected = e.End;
        }
        if (expected != dataLength) throw new FormatException($"the tensors cover {expected} bytes of the data buffer, but it has {dataLength}");
    }

    /// <summary>A shape as PyTorch prints it: <c>[512, 32]</c>.</summary>
    public static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>
    /// A strict JSON reader over UTF-8 bytes: objects become lists of members (in order), arrays lists, strings
    /// strings, numbers <see cref="Number"/>, <c>true</c>/<c>false</c> booleans and <c>null</c> null.
    /// </summary>
    private sealed class Json
    {
        private const int MaxDepth = 16;
        private readonly byte[] text;
        private readonly int start, end;
        private int _position;

        public Json(byte[] text, int start, int end)
        {
            this.text = text;
            this.start = _position = start;
            this.end = end;
        }

        public sealed record Number(string Text);

        public object? ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error("nests deeper than " + MaxDepth);
            SkipSpace();
            if (_position >= end) throw Error("ends early");
            switch (text[_position])
            {
                case (byte)'{':
                    _position++;
                    var members = new List<KeyValuePair<string, object?>>();
                    if (Peek('}')) return members;
                    do
                    {
                        SkipSpace();
                        string key = ReadString();
                        Expect(':');
                        members.Add(new KeyValuePair<string, object?>(key, ReadValue(depth + 1)));
                    }
                    while (Peek(','));
                    Expect('}');
                    return members;
                case (byte)'[':
                    _position++;
                    var items = new List<object?>();
                    if (Peek(']')) return items;
                    do items.Add(ReadValue(depth + 1));
                    while (Peek(','));
                    Expect(']');
                    return items;
                case (byte)'"':
                    return ReadString();
                case (byte)'t': return Literal("true", true);
                case (byte)'f': return Literal("false", false);
                case (byte)'n': return Literal("null", null);
                default:
                    int begin = _position;
                    while (_position < end && (text[_position] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E' || text[_position] is >= (byte)'0' and <= (byte)'9')) _position++;
                    if (_position == begin) throw Error($"has an unexpected '{(char)text[begin]}'");
                    string number = Encoding.ASCII.GetString(text, begin, _position - begin);
                    if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) throw Error($"has the malformed number '{number}'");
                    return new Number(number);
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_position != end) throw Error("has content after its JSON object");
        }

        private string ReadString()
        {
            if (_position >= end || text[_position] != (byte)'"') throw Error("has something other than a string where a name belongs");
            _position++;
            var value = new StringBuilder();
            int runStart = _position;
            while (true)
            {
                if (_position >= end) throw Error("ends inside a string");
                byte b = text[_position];
                if (b == (byte)'"' || b == (byte)'\\')
                {
                    value.Append(Utf8(runStart, _position - runStart));
                    _position++;
                    if (b == (byte)'"') return value.ToString();
                    if (_position >= end) throw Error("ends inside a string");
                    char escaped = (char)text[_position++];
                    switch (escaped)
                    {
                        case '"': case '\\': case '/': value.Append(escaped); break;
                        case 'b': value.Append('\b'); break;
                        case 'f': value.Append('\f'); break;
                        case 'n': value.Append('\n'); break;
                        case 'r': value.Append('\r'); break;
                        case 't': value.Append('\t'); break;
                        case 'u':
                            if (_position + 4 > end || !int.TryParse(Encoding.ASCII.GetString(text, _position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                                throw Error("has a malformed \\u escape");
                            value.Append((char)code);
                            _position += 4;
                            break;
                        default: throw Error($"has the unknown escape '\\{escaped}'");
                    }
                    runStart = _position;
                }
                else if (b < 0x20)
                {
                    throw Error("has a control character inside a string");
                }
                else
                {
                    _position++;
                }
            }
        }

        private string Utf8(int index, int count)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text, index, count);
            }
            catch (ArgumentException)
            {
                throw Error("has a string that is not UTF-8");
            }
        }

        private object? Literal(string word, object? value)
        {
            if (_position + word.Length > end || Encoding.ASCII.GetString(text, _position, word.Length) != word) throw Error($"has an unexpected '{(char)text[_position]}'");
            _position += word.Length;
            return value;
        }

        private bool Peek(char c)
        {
            SkipSpace();
            if (_position < end && text[_position] == c)
            {
                _position++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!Peek(c)) throw Error(_position < end ? $"has '{(char)text[_position]}' where '{c}' belongs" : $"ends where '{c}' belongs");
        }

        private void SkipSpace()
        {
            while (_position < end && text[_position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') _position++;
        }

        private FormatException Error(string problem) => new($"the header is not valid JSON: it {problem} (byte {_position - start} of the header)");
    }
}
