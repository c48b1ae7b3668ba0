using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Safetensors: files written by hand in Python from real PyTorch modules' <c>state_dict()</c>
/// (make_safetensors_fixtures.py) load by name and reproduce PyTorch's outputs; Unroll's files round-trip
/// bit for bit (PyTorch reading them back is checked by hand: <c>make_safetensors_fixtures.py --verify FILE CASE</c>,
/// which needs Debian's python3-torch); every corrupt file throws <see cref="InvalidDataException"/> naming
/// the file and the tensor, and leaves the model's weights as they were.
/// </summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "unroll-safetensors-" + Guid.NewGuid().ToString("N"));

    public SafetensorsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", name);

    private string Temp(string name) => Path.Combine(_folder, name);

    // ------------------------------------------------------------------------------------------------
    // PyTorch's files load and reproduce PyTorch's outputs

    private static JsonElement Expected(string name)
    {
        using var stream = File.OpenRead(Fixture(name + ".json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    private static double[] Doubles(JsonElement tensor) => tensor.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static void AssertNamesAreStateDictOrder(JsonElement expected, NamedParameterCollection parameters) =>
        Assert.Equal(expected.GetProperty("names").EnumerateArray().Select(e => e.GetString()!), parameters.Select(p => p.Name));

    [Fact]
    public void Token_lm_loaded_from_PyTorch_reproduces_its_output()
    {
        var expected = Expected("st_token_lm");
        var model = new StTokenLm(5);
        AssertNamesAreStateDictOrder(expected, model.NamedParameters);
        Safetensors.Load(Fixture("st_token_lm.safetensors"), model.NamedParameters);

        int[] tokens = expected.GetProperty("input").GetProperty("values").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var output = new float[StTokenLm.BatchSize * StTokenLm.SequenceLength * StTokenLm.OutputSize];
        model.Forward(tokens, output);
        Tolerance.AssertClose(output, Doubles(expected.GetProperty("output")), "st_token_lm output");
    }

    [Fact]
    public void Bidirectional_two_layer_lstm_loaded_from_PyTorch_reproduces_its_output()
    {
        var expected = Expected("st_bilstm");
        var model = new StBiLstm(5);
        AssertNamesAreStateDictOrder(expected, model.NamedParameters);
        Assert.Contains(model.NamedParameters, p => p.Name == "Rnn.bias_hh_l1_reverse");
        Assert.DoesNotContain(model.NamedParameters, p => p.Name == "Head.bias");
        Safetensors.Load(Fixture("st_bilstm.safetensors"), model.NamedParameters);

        float[] input = Doubles(expected.GetProperty("input")).Select(v => (float)v).ToArray();
        var output = new float[StBiLstm.BatchSize * StBiLstm.SequenceLength * StBiLstm.OutputSize];
        model.Forward(input, output);
        Tolerance.AssertClose(output, Doubles(expected.GetProperty("output")), "st_bilstm output");
    }

    [Theory]
    [InlineData("st_gru.safetensors")]
    [InlineData("st_gru_f64.safetensors")]
    public void Gru_loaded_from_PyTorch_reproduces_its_output(string file)
    {
        var expected = Expected("st_gru");
        var model = new StGru(5);
        AssertNamesAreStateDictOrder(expected, model.NamedParameters);
        Safetensors.Load(Fixture(file), model.NamedParameters);

        float[] input = Doubles(expected.GetProperty("input")).Select(v => (float)v).ToArray();
        var output = new float[StGru.BatchSize * StGru.OutputSize];
        model.Forward(input, output);
        Tolerance.AssertClose(output, Doubles(expected.GetProperty("output")), $"{file} output");
    }

    [Fact]
    public void F64_F16_and_BF16_files_convert_to_the_nearest_float32()
    {
        var f32 = new StGru();
        Safetensors.Load(Fixture("st_gru.safetensors"), f32.NamedParameters);
        float[] values = f32.Parameters.ToArray();

        var model = new StGru();
        Safetensors.Load(Fixture("st_gru_f64.safetensors"), model.NamedParameters);
        Tolerance.AssertIdentical(model.Parameters, values, "F64 (float32 values widened) read back");

        Safetensors.Load(Fixture("st_gru_f16.safetensors"), model.NamedParameters);
        Tolerance.AssertIdentical(model.Parameters, values.Select(v => (float)(Half)v).ToArray(), "F16");

        Safetensors.Load(Fixture("st_gru_bf16.safetensors"), model.NamedParameters);
        Tolerance.AssertIdentical(model.Parameters, values.Select(ToBFloat16).ToArray(), "BF16");

        var file = SafetensorsFile.Read(Fixture("st_gru_bf16.safetensors"));
        Assert.Equal("BF16", file.GetDtype("Rnn.weight_ih_l0"));
        Assert.Empty(file.Metadata);
    }

    /// <summary>float32 → bfloat16 → float32, rounding to nearest even as PyTorch does.</summary>
    private static float ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFFu + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
    }

    // ------------------------------------------------------------------------------------------------
    // Saving

    [Fact]
    public void Save_then_Load_is_bit_exact()
    {
        var source = new StBiLstm(11);
        string path = Temp("bilstm.safetensors");
        Safetensors.Save(path, source.NamedParameters);

        var target = new StBiLstm(12);
        Assert.NotEqual(source.Parameters.ToArray(), target.Parameters.ToArray());
        Safetensors.Load(path, target.NamedParameters);
        Tolerance.AssertIdentical(target.Parameters, source.Parameters, "parameters after the round trip");

        // Special values survive too.
        source.Parameters[0] = float.NaN;
        source.Parameters[1] = float.NegativeInfinity;
        source.Parameters[2] = -0f;
        source.Parameters[3] = float.Epsilon;
        Safetensors.Save(path, source.NamedParameters);
        Safetensors.Load(path, target.NamedParameters);
        Assert.Equal(
            MemoryMarshal.Cast<float, int>(source.Parameters).ToArray(),
            MemoryMarshal.Cast<float, int>(target.Parameters).ToArray());
    }

    [Fact]
    public void Saved_file_has_the_reference_layout()
    {
        var model = new StTokenLm(3);
        string path = Temp("lm.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["step"] = "42", ["note"] = "ünï \"quoted\" +/<>&" };
        Safetensors.Save(path, model.NamedParameters, metadata);
        byte[] bytes = File.ReadAllBytes(path);

        // u64 little-endian header size, a multiple of 8, then compact JSON padded with spaces.
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\",\"step\":\"42\",\"note\":", header);
        Assert.StartsWith("{\"dtype\":\"F32\",\"shape\":[11,5],\"data_offsets\":[0,220]}", header[(header.IndexOf("\"Embed.weight\":") + 15)..]);
        string trimmed = header.TrimEnd(' ');
        Assert.True(header.Length - trimmed.Length < 8);
        Assert.EndsWith("}}", trimmed);

        var root = JsonNode.Parse(trimmed)!.AsObject();
        Assert.Equal(metadata, root["__metadata__"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()));
        var names = root.Select(p => p.Key).Where(k => k != "__metadata__").ToArray();
        Assert.Equal(model.NamedParameters.Select(p => p.Name), names);

        // Tensors in NamedParameters order, each exactly after the previous, covering the buffer.
        long offset = 0;
        foreach (NamedParameter p in model.NamedParameters)
        {
            var entry = root[p.Name]!.AsObject();
            Assert.Equal("F32", entry["dtype"]!.GetValue<string>());
            Assert.Equal(p.Shape.ToArray(), entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()));
            var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            Assert.Equal(new[] { offset, offset + 4L * p.Length }, offsets);
            Assert.Equal(MemoryMarshal.AsBytes((ReadOnlySpan<float>)p.Values).ToArray(), bytes.AsSpan((int)(8 + n + offset), 4 * p.Length).ToArray());
            offset += 4L * p.Length;
        }
        Assert.Equal(bytes.Length, 8 + n + offset);

        // Saving is deterministic.
        Safetensors.Save(Temp("again.safetensors"), model.NamedParameters, metadata);
        Assert.Equal(bytes, File.ReadAllBytes(Temp("again.safetensors")));

        var file = SafetensorsFile.Read(path);
        Assert.Equal(metadata.OrderBy(kv => kv.Key).ToArray(), file.Metadata.OrderBy(kv => kv.Key).ToArray());
    }

    [Fact]
    public void Saving_over_an_existing_file_replaces_it_and_leaves_no_temporary_file()
    {
        string path = Temp("model.safetensors");
        File.WriteAllText(path, "an older, longer file that is not safetensors at all ........................................");
        var model = new StGru(21);
        Safetensors.Save(path, model.NamedParameters);
        Safetensors.Save(path, model.NamedParameters);
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));

        var loaded = new StGru(22);
        Safetensors.Load(path, loaded.NamedParameters);
        Tolerance.AssertIdentical(loaded.Parameters, model.Parameters, "parameters");
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_and_no_temporary_file()
    {
        string path = Temp("model.safetensors");
        var model = new StGru(21);
        Safetensors.Save(path, model.NamedParameters);
        byte[] before = File.ReadAllBytes(path);

        var bad = new (string, int[], ReadOnlyMemory<float>)[] { ("a", [2], new float[2]), ("b", [3], new float[2]) };
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, bad));
        Assert.Contains("'b'", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));

        // The target is a folder: the rename fails, and the temporary file is removed.
        string folder = Temp("folder.safetensors");
        Directory.CreateDirectory(folder);
        Assert.ThrowsAny<Exception>(() => Safetensors.Save(folder, model.NamedParameters));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
    }

    /// <summary>
    /// A save interrupted after any number of bytes (the disk fills, the process dies: simulated by a stream that
    /// throws after <c>k</c> bytes, for every <c>k</c> up to the whole file, and at the final flush) leaves the previous
    /// file byte for byte and no temporary file; an uninterrupted save then succeeds.
    /// </summary>
    [Fact]
    public void A_save_interrupted_at_any_byte_leaves_the_previous_file_intact()
    {
        string path = Temp("model.safetensors");
        var model = new StGru(21);
        Safetensors.Save(path, model.NamedParameters);
        byte[] previous = File.ReadAllBytes(path);
        new SeededRandom(5).FillNormal(model.Parameters); // the next save would write other values

        for (long cut = 0; cut <= previous.Length; cut++)
        {
            long limit = cut;
            var e = Assert.Throws<IOException>(() => Safetensors.Save(path, model.NamedParameters, temp => new FailingStream(File.Create(temp), limit)));
            Assert.Contains("interrupted", e.Message);
            Assert.Equal(previous, File.ReadAllBytes(path));
            Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
        }
        Safetensors.Save(path, model.NamedParameters);
        var loaded = new StGru(1);
        loaded.LoadSafetensors(path);
        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    /// <summary>Writes through to a file until <c>limit</c> bytes, then fails as a full disk would (also at the flush once the limit is reached).</summary>
    private sealed class FailingStream(Stream inner, long limit) : Stream
    {
        private long _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int allowed = (int)Math.Min(buffer.Length, limit - _written);
            inner.Write(buffer[..allowed]);
            _written += allowed;
            if (allowed < buffer.Length) throw new IOException($"interrupted after {_written} bytes");
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
            if (_written >= limit) throw new IOException($"interrupted at the flush, after {_written} bytes");
            inner.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// Every header byte of a valid file XOR-ed with 0x01, 0x20, 0x80 and 0xFF, and each of the eight size bytes: the
    /// reader either accepts the file (a changed letter in a name, a digit in a shape that still fits) or throws
    /// <see cref="InvalidDataException"/> naming the file, never another exception, and never allocates more than
    /// the file's size (plus what a few dozen names take).
    /// </summary>
    [Fact]
    public void Every_flipped_header_byte_is_rejected_or_read_within_the_files_size()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("st_gru.safetensors"));
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string path = Temp("flipped.safetensors");
        int rejected = 0, accepted = 0;
        for (int i = 0; i < headerEnd; i++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x20, 0x80, 0xFF })
            {
                byte[] corrupt = (byte[])bytes.Clone();
                corrupt[i] ^= mask;
                File.WriteAllBytes(path, corrupt);
                long before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    SafetensorsFile.Read(path);
                    accepted++;
                }
                catch (InvalidDataException e)
                {
                    Assert.Contains(path, e.Message);
                    rejected++;
                }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < 2 * bytes.Length + 64 * 1024, $"byte {i} ^ 0x{mask:X2}: {allocated} bytes allocated for a {bytes.Length}-byte file");
            }
        }
        Assert.True(rejected > accepted, $"{rejected} rejected, {accepted} accepted");
    }

    [Fact]
    public void Save_rejects_bad_tensors()
    {
        string path = Temp("bad.safetensors");
        void Bad(string fragment, params (string, int[], ReadOnlyMemory<float>)[] tensors)
        {
            var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, tensors));
            Assert.Contains(fragment, e.Message);
        }
        Bad("'x' appears twice", ("x", [1], new float[1]), ("x", [1], new float[1]));
        Bad("__metadata__", ("__metadata__", [1], new float[1]));
        Bad("''", ("", [1], new float[1]));
        Bad("negative", ("x", [-1, -2], new float[2]));
        Bad("'x' has shape [2, 3] (6 values) but 5", ("x", [2, 3], new float[5]));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    // ------------------------------------------------------------------------------------------------
    // The lower-level reader and writer (checkpoints)

    [Fact]
    public void Tensors_and_metadata_round_trip_through_the_low_level_API()
    {
        var model = new StGru(31);
        string path = Temp("checkpoint.safetensors");
        var tensors = model.NamedParameters.Select(p => (p.Name, p.Shape.ToArray(), (ReadOnlyMemory<float>)p.Values.ToArray())).ToList();
        tensors.Add(("optimizer.step_size", [], new float[] { 0.5f }));   // a scalar
        tensors.Add(("optimizer.empty", [0, 3], Array.Empty<float>()));    // no elements
        tensors.Add(("optimizer.m.Head.weight", [3, 6], Enumerable.Range(0, 18).Select(i => i * 0.25f).ToArray()));
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["step"] = "100", ["rng"] = "123456789" });

        var file = SafetensorsFile.Read(path);
        Assert.Equal(path, file.Path);
        Assert.Equal(tensors.Select(t => t.Item1), file.Names);
        Assert.Equal("100", file.Metadata["step"]);
        Assert.True(file.Contains("optimizer.step_size"));
        Assert.True(file.TryGetShape("optimizer.empty", out ReadOnlySpan<int> shape));
        Assert.Equal(new[] { 0, 3 }, shape.ToArray());
        Assert.True(file.TryGetShape("optimizer.step_size", out shape));
        Assert.Equal(0, shape.Length);
        Assert.False(file.TryGetShape("nope", out _));
        Assert.Equal(new[] { 3, 6 }, file.GetShape("optimizer.m.Head.weight").ToArray());
        Assert.Equal("F32", file.GetDtype("optimizer.m.Head.weight"));
        Assert.Throws<KeyNotFoundException>(() => file.GetShape("nope"));
        Assert.Throws<KeyNotFoundException>(() => file.CopyTo("nope", new float[1]));
        Assert.Throws<ArgumentException>(() => file.CopyTo("optimizer.m.Head.weight", new float[17]));

        var m = new float[18];
        file.CopyTo("optimizer.m.Head.weight", m);
        Assert.Equal(Enumerable.Range(0, 18).Select(i => i * 0.25f), m);
        var scalar = new float[1];
        file.CopyTo("optimizer.step_size", scalar);
        Assert.Equal(0.5f, scalar[0]);
        file.CopyTo("optimizer.empty", Span<float>.Empty);

        // The model's weights: extra tensors are an error unless the caller takes them.
        var loaded = new StGru(32);
        float[] before = loaded.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path, loaded.NamedParameters));
        Assert.Contains("'optimizer.step_size'", e.Message);
        Tolerance.AssertIdentical(loaded.Parameters, before, "parameters after the failed load");
        Safetensors.Load(file, loaded.NamedParameters, ignoreExtraTensors: true);
        Tolerance.AssertIdentical(loaded.Parameters, model.Parameters, "parameters");
    }

    // ------------------------------------------------------------------------------------------------
    // Bad files: InvalidDataException naming the file (and the tensor), weights unchanged

    /// <summary>Loads <paramref name="bytes"/> into a fresh model and checks the exception and that nothing changed.</summary>
    private InvalidDataException AssertRejected(byte[] bytes, params string[] fragments)
    {
        string path = Temp("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return AssertRejected(path, fragments);
    }

    private static InvalidDataException AssertRejected(string path, params string[] fragments)
    {
        var model = new StGru(41);
        float[] before = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path, model.NamedParameters));
        Assert.Contains(path, e.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
        Tolerance.AssertIdentical(model.Parameters, before, $"parameters after '{e.Message}'");
        return e;
    }

    /// <summary>The fixture st_gru.safetensors: its header as editable JSON and its data buffer.</summary>
    private static (JsonObject Header, byte[] Data) Valid()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("st_gru.safetensors"));
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return (JsonNode.Parse(bytes.AsSpan(8, n))!.AsObject(), bytes[(8 + n)..]);
    }

    private static byte[] File_(JsonObject header, byte[] data) => File_(Encoding.UTF8.GetBytes(header.ToJsonString()), data);

    private static byte[] File_(byte[] header, byte[] data, ulong? claimedSize = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedSize ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static JsonObject Entry(JsonObject header, string name) => header[name]!.AsObject();

    [Fact]
    public void The_unmodified_fixture_loads_and_the_helpers_rebuild_it()
    {
        var (header, data) = Valid();
        string path = Temp("rebuilt.safetensors");
        File.WriteAllBytes(path, File_(header, data));
        var model = new StGru();
        Safetensors.Load(path, model.NamedParameters);
        var reference = new StGru();
        Safetensors.Load(Fixture("st_gru.safetensors"), reference.NamedParameters);
        Tolerance.AssertIdentical(model.Parameters, reference.Parameters, "parameters");
    }

    [Fact]
    public void Every_prefix_of_a_valid_file_is_rejected()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("st_gru.safetensors"));
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var entries = JsonNode.Parse(bytes.AsSpan(8, n))!.AsObject()
            .Where(p => p.Key != "__metadata__")
            .Select(p => (Name: p.Key, End: p.Value!["data_offsets"]![1]!.GetValue<long>()))
            .OrderBy(p => p.End)
            .ToArray();
        string path = Temp("prefix.safetensors");
        var model = new StGru(41);
        float[] before = model.Parameters.ToArray();
        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path, model.NamedParameters));
            Assert.Contains(path, e.Message);
            if (length >= 8 + n)
            {
                // Cut inside the data: the message names the first tensor that no longer fits.
                string cut = entries.First(t => 8 + n + t.End > length).Name;
                Assert.Contains($"tensor '{cut}'", e.Message);
                Assert.Contains("truncated", e.Message);
            }
        }
        Tolerance.AssertIdentical(model.Parameters, before, "parameters after every prefix");
    }

    [Fact]
    public void A_truncated_file_names_the_tensor_that_was_cut()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("st_gru.safetensors"));
        var e = AssertRejected(bytes[..^1], "truncated");
        // The reference layout sorts tensors by name, so the last one in the buffer is Rnn.weight_ih_l0.
        Assert.Contains("tensor 'Rnn.weight_ih_l0'", e.Message);
        AssertRejected(bytes[..5], "5 bytes");
    }

    [Theory]
    [InlineData(0UL, "too small")]
    [InlineData(1UL, "too small")]
    [InlineData(ulong.MaxValue, "header size is 18446744073709551615")]
    [InlineData(1UL << 63, "header size")]
    [InlineData(1_000_000UL, "only")]
    public void A_bad_header_size_is_rejected(ulong claimed, string fragment)
    {
        var (header, data) = Valid();
        AssertRejected(File_(Encoding.UTF8.GetBytes(header.ToJsonString()), data, claimed), fragment);
    }

    [Fact]
    public void A_header_size_one_past_the_file_is_rejected()
    {
        var (header, data) = Valid();
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        AssertRejected(File_(json, data, (ulong)(json.Length + data.Length + 1)), "only");
        // A header size that swallows the data: then the JSON has trailing bytes that are not spaces.
        AssertRejected(File_(json, data, (ulong)(json.Length + data.Length)), "not valid JSON");
    }

    [Fact]
    public void A_header_above_100_MB_is_rejected_before_it_is_read()
    {
        string path = Temp("huge.safetensors");
        using (var stream = File.Create(path))
        {
            stream.SetLength(8 + 100_000_008L); // sparse
            var size = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(size, 100_000_001);
            stream.Write(size);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(path, "above the limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 10_000_000, "the header was read");
    }

    [Theory]
    [InlineData("not json at all!", "does not start with '{'")]
    [InlineData("[1, 2, 3]", "does not start with '{'")]
    [InlineData("{ ", "not valid JSON")]
    [InlineData("{\"Head.bias\": ", "not valid JSON")]
    [InlineData("{}  x", "not valid JSON")]
    [InlineData("{} {}", "not valid JSON")]
    [InlineData("{/* comment */}", "not valid JSON")]
    [InlineData("{\"Head.bias\": 5}", "tensor 'Head.bias'")]
    [InlineData("{\"Head.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]},}", "not valid JSON")]
    [InlineData("{\"__metadata__\": {\"step\": 5}}", "'step' is not a string")]
    [InlineData("{\"__metadata__\": [\"x\"]}", "'__metadata__' is not an object")]
    [InlineData("{\"__metadata__\": {}, \"__metadata__\": {}}", "'__metadata__' appears twice")]
    [InlineData("{\"__metadata__\": {\"a\": \"1\", \"a\": \"2\"}}", "'a' appears twice")]
    public void A_header_that_is_not_the_expected_JSON_is_rejected(string header, string fragment)
    {
        var (_, data) = Valid();
        AssertRejected(File_(Encoding.UTF8.GetBytes(header), data), fragment);
    }

    [Fact]
    public void A_header_with_invalid_UTF8_is_rejected()
    {
        var (_, data) = Valid();
        AssertRejected(File_([.. "{\"Head.bias"u8, 0xFF, .. "\": 1}"u8], data), "not valid JSON");
        AssertRejected(File_([0xEF, 0xBB, 0xBF, .. "{}"u8], data), "does not start with '{'"); // a byte-order mark
    }

    [Fact]
    public void Header_padding_and_unknown_fields_are_accepted()
    {
        var (header, data) = Valid();
        Entry(header, "Head.bias")["comment"] = new JsonObject { ["nested"] = new JsonArray(1, 2) };
        byte[] json = [.. Encoding.UTF8.GetBytes(header.ToJsonString()), .. Enumerable.Repeat((byte)' ', 37), (byte)'\n'];
        string path = Temp("padded.safetensors");
        File.WriteAllBytes(path, File_(json, data));
        var model = new StGru();
        Safetensors.Load(path, model.NamedParameters);
        var reference = new StGru();
        Safetensors.Load(Fixture("st_gru.safetensors"), reference.NamedParameters);
        Tolerance.AssertIdentical(model.Parameters, reference.Parameters, "parameters");
    }

    [Theory]
    [InlineData("U32")]     // a real safetensors dtype of the same size, that Unroll does not read
    [InlineData("I16")]
    [InlineData("F8_E4M3")]
    [InlineData("Q4_K")]    // not a dtype at all
    [InlineData("f32")]     // dtypes are case-sensitive
    public void An_unsupported_dtype_is_rejected_naming_the_tensor_and_the_dtype(string dtype)
    {
        var (header, data) = Valid();
        Entry(header, "Rnn.bias_hh_l0")["dtype"] = dtype;
        AssertRejected(File_(header, data), "tensor 'Rnn.bias_hh_l0'", $"'{dtype}'");
    }

    [Fact]
    public void A_missing_tensor_is_rejected_naming_it()
    {
        var model = new StGru(1);
        string path = Temp("missing.safetensors");
        Safetensors.Save(path, model.NamedParameters.Where(p => p.Name != "Rnn.bias_ih_l0")
            .Select(p => (p.Name, p.Shape.ToArray(), (ReadOnlyMemory<float>)p.Values.ToArray())));
        AssertRejected(path, "tensor 'Rnn.bias_ih_l0'", "missing", "[18]");
    }

    [Fact]
    public void An_extra_tensor_is_rejected_naming_it()
    {
        var model = new StGru(1);
        string path = Temp("extra.safetensors");
        Safetensors.Save(path, model.NamedParameters
            .Select(p => (p.Name, p.Shape.ToArray(), (ReadOnlyMemory<float>)p.Values.ToArray()))
            .Append(("Rnn.weight_ih_l1", [18, 6], new float[108])));
        AssertRejected(path, "tensor 'Rnn.weight_ih_l1'", "not a parameter");
    }

    [Fact]
    public void A_wrong_shape_is_rejected_naming_the_tensor_and_both_shapes()
    {
        var (header, data) = Valid();
        Entry(header, "Head.weight")["shape"] = new JsonArray(6, 3); // same size, transposed
        AssertRejected(File_(header, data), "tensor 'Head.weight'", "[6, 3]", "[3, 6]");

        (header, data) = Valid();
        Entry(header, "Head.weight")["shape"] = new JsonArray(18); // flattened
        AssertRejected(File_(header, data), "tensor 'Head.weight'", "[18]", "[3, 6]");
    }

    [Theory]
    [InlineData("[3, 7]", "needs 84 bytes")]
    [InlineData("[3]", "needs 12 bytes")]
    [InlineData("[-3, 6]", "non-negative integer")]
    [InlineData("[3.0, 6]", "non-negative integer")]
    [InlineData("[\"3\", 6]", "non-negative integer")]
    [InlineData("[2147483648, 1]", "too large")]
    [InlineData("[2147483647, 2147483647, 2147483647, 2147483647]", "larger than any file")]
    [InlineData("3", "'shape' is a number, not an array")]
    public void A_shape_that_does_not_match_the_data_is_rejected_naming_the_tensor(string shape, string fragment)
    {
        var (header, data) = Valid();
        Entry(header, "Head.weight")["shape"] = JsonNode.Parse(shape);
        AssertRejected(File_(header, data), "tensor 'Head.weight'", fragment);
    }

    [Fact]
    public void A_lying_shape_allocates_nothing_like_its_size()
    {
        var (header, data) = Valid();
        Entry(header, "Head.weight")["shape"] = new JsonArray(1_000_000_000);
        Entry(header, "Head.weight")["data_offsets"] = new JsonArray(12, 4_000_000_012L);
        byte[] bytes = File_(header, data);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(bytes, "tensor 'Head.weight'");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1_000_000, "allocated far more than the file's size");
    }

    [Theory]
    [InlineData("Head.weight", 8L, 80L, "overlap")]                   // begins inside Head.bias
    [InlineData("Head.weight", 16L, 88L, "gap")]                     // leaves 4 bytes unused
    [InlineData("Head.weight", 12L, 80L, "needs 72 bytes")]          // shorter than its shape
    [InlineData("Head.weight", 84L, 12L, "end before they begin")]
    [InlineData("Rnn.weight_ih_l0", 700L, 988L, "run past the end")] // beyond the buffer
    [InlineData("Rnn.weight_ih_l0", -4L, 284L, "non-negative integer")]
    public void Offsets_that_overlap_or_leave_the_buffer_are_rejected_naming_the_tensor(string name, long begin, long end, string fragment)
    {
        var (header, data) = Valid();
        Entry(header, name)["data_offsets"] = new JsonArray(begin, end);
        AssertRejected(File_(header, data), $"tensor '{name}'", fragment);
    }

    [Fact]
    public void Offsets_of_two_tensors_that_coincide_are_rejected()
    {
        var (header, data) = Valid();
        // Rnn.bias_ih_l0 and Rnn.bias_hh_l0 both [18]: point the second at the first's bytes.
        Entry(header, "Rnn.bias_ih_l0")["data_offsets"] = Entry(header, "Rnn.bias_hh_l0")["data_offsets"]!.DeepClone();
        AssertRejected(File_(header, data), "overlap");
    }

    [Theory]
    [InlineData("[0]")]
    [InlineData("[0, 12, 24]")]
    [InlineData("\"0, 12\"")]
    public void Malformed_data_offsets_are_rejected_naming_the_tensor(string offsets)
    {
        var (header, data) = Valid();
        Entry(header, "Head.bias")["data_offsets"] = JsonNode.Parse(offsets);
        AssertRejected(File_(header, data), "tensor 'Head.bias'");
    }

    [Fact]
    public void Trailing_bytes_after_the_last_tensor_are_rejected()
    {
        var (header, data) = Valid();
        AssertRejected(File_(header, [.. data, 0, 0, 0, 0]), "cover 948 bytes", "952");
    }

    [Theory]
    [InlineData("dtype")]
    [InlineData("shape")]
    [InlineData("data_offsets")]
    public void An_entry_without_a_field_is_rejected_naming_the_tensor(string field)
    {
        var (header, data) = Valid();
        Entry(header, "Rnn.weight_hh_l0").Remove(field);
        AssertRejected(File_(header, data), "tensor 'Rnn.weight_hh_l0'", $"'{field}'");
    }

    [Fact]
    public void A_duplicate_tensor_or_field_is_rejected_naming_the_tensor()
    {
        var (header, data) = Valid();
        string json = header.ToJsonString();
        string bias = "\"Head.bias\":" + Entry(header, "Head.bias").ToJsonString();
        AssertRejected(File_(Encoding.UTF8.GetBytes(json.Replace("{\"__metadata__\"", "{" + bias + ",\"__metadata__\"")), data),
            "tensor 'Head.bias'", "appears twice");
        AssertRejected(File_(Encoding.UTF8.GetBytes(json.Replace("\"Head.bias\":{\"dtype\":\"F32\"", "\"Head.bias\":{\"dtype\":\"F32\",\"dtype\":\"F32\"")), data),
            "tensor 'Head.bias'", "'dtype' appears twice");
    }
}
