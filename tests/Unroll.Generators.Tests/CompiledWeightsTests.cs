using System.Buffers.Binary;
using System.Text;
using Microsoft.CodeAnalysis;
using Unroll.Generators.Weights;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// <c>[Model(Weights = "...")]</c>: the generator reads the safetensors AdditionalFiles item, checks it against the
/// declaration and compiles the tensors in; every way the file can be wrong is an UNR diagnostic at the
/// <c>Weights</c> argument, and the generated code then adds no error of its own.
/// </summary>
public sealed class CompiledWeightsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "unroll-weights-" + Guid.NewGuid().ToString("N"));

    public CompiledWeightsTests() => Directory.CreateDirectory(Path.Combine(_folder, "weights"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string TinyGru = """
        using Unroll;

        namespace Devices;

        /// <summary>A tiny GRU regressor whose weights ship inside the assembly.</summary>
        [Model(SequenceLength = 4, Weights = "weights/tiny.safetensors")]
        public partial class TinyGru
        {
            [Gru(2, 3)] public partial GruLayer Rnn { get; }
            [Linear(3, 1)] public partial LinearLayer Head { get; }
        }
        """;

    private const string WeightsArgument = "\"weights/tiny.safetensors\"";

    /// <summary>TinyGru's tensors with exactly representable values (so every dtype holds them exactly).</summary>
    private static List<Tensor> TinyGruTensors(string dtype = "F32")
    {
        var tensors = new List<Tensor>();
        int k = 0;
        void Add(string name, params int[] shape)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            tensors.Add(new Tensor(name, dtype, shape, Enumerable.Range(k, count).Select(i => (i % 17 - 8) * 0.125).ToArray()));
            k += count;
        }
        Add("Rnn.weight_ih_l0", 9, 2);
        Add("Rnn.weight_hh_l0", 9, 3);
        Add("Rnn.bias_ih_l0", 9);
        Add("Rnn.bias_hh_l0", 9);
        Add("Head.weight", 1, 3);
        Add("Head.bias", 1);
        return tensors;
    }

    private string Write(string relativePath, byte[] bytes)
    {
        string path = Path.Combine(_folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private GeneratorRun RunTiny(byte[] file, string source = TinyGru) =>
        GeneratorHarness.Run(source, new[] { Write("weights/tiny.safetensors", file) }).AssertNoException();

    // ---- Compiled in ----

    [Fact]
    public void Weights_file_is_compiled_in_and_snapshot_matches()
    {
        GeneratorRun run = RunTiny(SafetensorsBytes(TinyGruTensors()));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.OutputErrors);
        Snapshot.Match("CompiledWeightsTinyGru", run.Sources["Devices.TinyGru.Weights.g.cs"]);
        string model = run.Sources["Devices.TinyGru.g.cs"];
        Assert.Contains("Creates the model with the weights compiled in from <c>weights/tiny.safetensors</c>", model);
        Assert.Contains("LoadCompiledWeights();", model);
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F64")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Every_float_dtype_compiles_to_the_same_float32_bits(string dtype)
    {
        string expected = RunTiny(SafetensorsBytes(TinyGruTensors("F32"))).Sources["Devices.TinyGru.Weights.g.cs"];
        GeneratorRun run = RunTiny(SafetensorsBytes(TinyGruTensors(dtype)));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.OutputErrors);
        string actual = run.Sources["Devices.TinyGru.Weights.g.cs"];
        Assert.Equal(Literals(expected), Literals(actual));
    }

    private static IEnumerable<string> Literals(string source) =>
        source.Split('\n').Where(l => l.Contains("ReadOnlySpan<char>")).Select(l => l.Substring(l.IndexOf("=>", StringComparison.Ordinal)));

    [Fact]
    public void Half_precision_converts_exactly_including_subnormals_infinities_and_signed_zero()
    {
        for (int bits = 0; bits <= 0xFFFF; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            uint actual = WeightsMatch.HalfToSingleBits((ushort)bits);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(actual)), $"0x{bits:X4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), actual);
        }
    }

    [Fact]
    public void Extra_tensors_are_a_warning_and_the_model_still_compiles()
    {
        var tensors = TinyGruTensors();
        tensors.Add(new Tensor("optimizer.step", "I64", new[] { 1 }, new[] { 12.0 }));
        tensors.Add(new Tensor("Rnn.weight_ih_l1", "F32", new[] { 9, 3 }, new double[27]));
        GeneratorRun run = RunTiny(SafetensorsBytes(tensors));
        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0026", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal("The weights file 'weights/tiny.safetensors' holds 2 tensor(s) that model 'TinyGru' does not have, which are left out: 'optimizer.step', 'Rnn.weight_ih_l1'",
            warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        DiagnosticAssert.AssertLocation(TinyGru, warning, WeightsArgument);
        Assert.Empty(run.OutputErrors);
    }

    [Fact]
    public void The_file_is_found_by_its_name_or_the_end_of_its_path_and_never_decoded_as_text()
    {
        string path = Write("weights/tiny.safetensors", SafetensorsBytes(TinyGruTensors()));
        string other = Write("other/unrelated.safetensors", SafetensorsBytes(TinyGruTensors()));
        foreach (string name in new[] { "tiny.safetensors", "weights/tiny.safetensors", "./weights/tiny.safetensors", "weights\\\\tiny.safetensors", path.Replace("\\", "\\\\") })
        {
            GeneratorRun run = GeneratorHarness.Run(TinyGru.Replace("weights/tiny.safetensors", name), new[] { other, path }).AssertNoException();
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.Empty(run.OutputErrors);
        }
    }

    // ---- Every bad file is a diagnostic at the Weights argument ----

    private Diagnostic SingleError(GeneratorRun run, string id, string message, string source = TinyGru)
    {
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        DiagnosticAssert.AssertLocation(source, diagnostic, source.Contains(WeightsArgument) ? WeightsArgument : "\"\"");
        // The generated code adds no error of its own: the UNR error is the only one.
        Assert.DoesNotContain(run.OutputErrors, e => !e.Contains(id, StringComparison.Ordinal));
        Assert.DoesNotContain(run.GeneratedCodeDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return diagnostic;
    }

    [Fact]
    public void Missing_file_is_UNR0023()
    {
        GeneratorRun run = GeneratorHarness.Run(TinyGru, new[] { Write("weights/other.safetensors", SafetensorsBytes(TinyGruTensors())) }).AssertNoException();
        SingleError(run, "UNR0023", "The weights file 'weights/tiny.safetensors' of model 'TinyGru' is not an AdditionalFiles item of the project: add <AdditionalFiles Include=\"weights/tiny.safetensors\" /> to it");
        Assert.Contains("throw new global::System.IO.InvalidDataException(", run.Sources["Devices.TinyGru.Weights.g.cs"]);
    }

    [Fact]
    public void Empty_name_is_UNR0023()
    {
        string source = TinyGru.Replace(WeightsArgument, "\"\"");
        GeneratorRun run = GeneratorHarness.Run(source, Array.Empty<string>()).AssertNoException();
        SingleError(run, "UNR0023", "The weights file '' of model 'TinyGru' is empty: name a .safetensors AdditionalFiles item of the project", source);
    }

    [Fact]
    public void Ambiguous_name_is_UNR0023()
    {
        string a = Write("a/weights/tiny.safetensors", SafetensorsBytes(TinyGruTensors()));
        string b = Write("b/weights/tiny.safetensors", SafetensorsBytes(TinyGruTensors()));
        GeneratorRun run = GeneratorHarness.Run(TinyGru, new[] { a, b }).AssertNoException();
        SingleError(run, "UNR0023", $"The weights file 'weights/tiny.safetensors' of model 'TinyGru' matches 2 AdditionalFiles items ({a}, {b}): name it by more of its path");
    }

    /// <summary>
    /// A clean build before the training run has written the file: a warning, a model that builds, and a parameterless
    /// constructor that says what to do; the seeded constructor still works (weights loaded at run time instead).
    /// </summary>
    [Fact]
    public void A_file_not_written_yet_is_warning_UNR0029_and_the_model_throws_until_a_build_finds_it()
    {
        string missing = Path.Combine(_folder, "weights", "tiny.safetensors");
        GeneratorRun run = GeneratorHarness.Run(TinyGru, new[] { missing }).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0029", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        DiagnosticAssert.AssertLocation(TinyGru, diagnostic, WeightsArgument);
        Assert.Empty(run.OutputErrors);

        Type model = run.Load().GetType("Devices.TinyGru")!;
        var thrown = Assert.Throws<System.Reflection.TargetInvocationException>(() => Activator.CreateInstance(model));
        var error = Assert.IsType<InvalidOperationException>(thrown.InnerException);
        Assert.Equal(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.NotNull(Activator.CreateInstance(model, 7));

        // Once the file exists, the next build compiles it in.
        Write("weights/tiny.safetensors", SafetensorsBytes(TinyGruTensors()));
        GeneratorRun rebuilt = GeneratorHarness.Run(TinyGru, new[] { missing }).AssertNoException();
        Assert.Empty(rebuilt.GeneratorDiagnostics);
        Assert.NotNull(Activator.CreateInstance(rebuilt.Load().GetType("Devices.TinyGru")!));
    }

    [Fact]
    public void Unreadable_file_is_UNR0024()
    {
        // A folder where the file should be: it exists, but cannot be read as a file.
        string folder = Path.Combine(_folder, "weights", "tiny.safetensors");
        Directory.CreateDirectory(folder);
        GeneratorRun run = GeneratorHarness.Run(TinyGru, new[] { folder }).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0024", diagnostic.Id);
        Assert.StartsWith("The weights file 'weights/tiny.safetensors' cannot be compiled into model 'TinyGru': it cannot be read: ", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("truncated", "it is not a valid safetensors file: the header size is 419 bytes, but only 99 bytes follow it")]
    [InlineData("bad json", "it is not a valid safetensors file: the header is not valid JSON: it has '}' where ':' belongs (byte 19 of the header)")]
    [InlineData("lying offsets", "it is not a valid safetensors file: tensor 'Head.bias': shape [1] of F32 needs 4 bytes, but data_offsets [264, 272] hold 8")]
    public void Corrupt_file_is_UNR0024(string how, string problem)
    {
        byte[] file = SafetensorsBytes(TinyGruTensors());
        file = how switch
        {
            "truncated" => file[..107],
            "bad json" => Corrupt(file, "\"Rnn.weight_ih_l0\":", "\"Rnn.weight_ih_l0\"}"),
            _ => Corrupt(file, "[264,268]", "[264,272]"),
        };
        SingleError(RunTiny(file), "UNR0024", "The weights file 'weights/tiny.safetensors' cannot be compiled into model 'TinyGru': " + problem);
    }

    private static byte[] Corrupt(byte[] file, string from, string to)
    {
        string text = Encoding.Latin1.GetString(file);
        Assert.Contains(from, text);
        Assert.Equal(from.Length, to.Length);
        return Encoding.Latin1.GetBytes(text.Replace(from, to));
    }

    [Fact]
    public void Model_too_large_to_compile_in_is_UNR0024()
    {
        string source = """
            using Unroll;

            [Model(SequenceLength = 1, Weights = "weights/tiny.safetensors")]
            public partial class Wide
            {
                [Linear(2000, 2001)] public partial LinearLayer Head { get; }
            }
            """;
        var tensors = new List<Tensor> { new("Head.weight", "F32", new[] { 2001, 2000 }, new double[1]), new("Head.bias", "F32", new[] { 2001 }, new double[1]) };
        GeneratorRun run = RunTiny(SafetensorsBytes(tensors, allowShort: true), source);
        SingleError(run, "UNR0024", "The weights file 'weights/tiny.safetensors' cannot be compiled into model 'Wide': its 4,004,001 parameters are more than the 4,000,000 an assembly's read-only strings hold: load them at run time with LoadSafetensors", source);
    }

    [Fact]
    public void Missing_tensor_other_shape_and_other_dtype_are_UNR0025_each()
    {
        var tensors = TinyGruTensors();
        tensors.RemoveAll(t => t.Name == "Rnn.bias_hh_l0");
        tensors[tensors.FindIndex(t => t.Name == "Rnn.weight_hh_l0")] = new Tensor("Rnn.weight_hh_l0", "F32", new[] { 3, 9 }, new double[27]);
        tensors[tensors.FindIndex(t => t.Name == "Head.bias")] = new Tensor("Head.bias", "I32", new[] { 1 }, new double[1]);
        GeneratorRun run = RunTiny(SafetensorsBytes(tensors));
        var messages = run.GeneratorDiagnostics.Select(d => (d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        const string Prefix = "The weights file 'weights/tiny.safetensors' does not fit model 'TinyGru': ";
        Assert.Equal(new[]
        {
            ("UNR0025", Prefix + "tensor 'Rnn.weight_hh_l0' has shape [3, 9], but the model's is [9, 3]"),
            ("UNR0025", Prefix + "it has no tensor 'Rnn.bias_hh_l0' (the model's is [9])"),
            ("UNR0025", Prefix + "tensor 'Head.bias' is I32, but only F32, F64, F16 and BF16 convert to float32"),
        }, messages);
        foreach (Diagnostic d in run.GeneratorDiagnostics) DiagnosticAssert.AssertLocation(TinyGru, d, WeightsArgument);
        Assert.True(!run.OutputErrors.Any(e => !e.Contains("UNR0025", StringComparison.Ordinal)), string.Join("\n", run.OutputErrors));
    }

    /// <summary>Every prefix of a valid file and every single flipped header byte is rejected with a reason or accepted; the reader never throws anything else.</summary>
    [Fact]
    public void Header_reader_rejects_every_prefix_and_flipped_byte_with_a_reason()
    {
        byte[] file = SafetensorsBytes(TinyGruTensors());
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        for (int length = 0; length < file.Length; length++)
        {
            var e = Assert.Throws<FormatException>(() => SafetensorsHeader.Read(file[..length]));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
        int accepted = 0;
        for (int i = 0; i < headerEnd; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x20, 0x80, 0xFF })
            {
                byte[] corrupt = (byte[])file.Clone();
                corrupt[i] ^= flip;
                try
                {
                    SafetensorsHeader.Read(corrupt);
                    accepted++; // e.g. a changed letter in a tensor name: still a valid file
                }
                catch (FormatException)
                {
                }
            }
        }
        Assert.InRange(accepted, 1, headerEnd * 4 / 2);
    }

    // ---- Incremental ----

    [Fact]
    public void A_changed_file_recompiles_the_weights_but_not_the_model_and_an_unrelated_edit_neither()
    {
        string path = Write("weights/tiny.safetensors", SafetensorsBytes(TinyGruTensors()));
        var text = new BinaryFile(path);
        GeneratorRun first = GeneratorHarness.Run(GeneratorHarness.CreateDriver(new[] { text }), GeneratorHarness.CreateCompilation(TinyGru));
        string before = first.Sources["Devices.TinyGru.Weights.g.cs"];

        // An unrelated edit: the weights are neither read nor compiled again.
        var edited = GeneratorHarness.CreateCompilation(new[] { (TinyGru, GeneratorHarness.UserFilePath), ("class Unrelated { }", "/src/Other.cs") });
        GeneratorRun unrelated = GeneratorHarness.Run(first.Driver, edited);
        AssertCached(unrelated, UnrollGenerator.Steps.WeightFiles);
        AssertCached(unrelated, UnrollGenerator.Steps.Weights);

        // A changed file: the weights part changes, the model's part is cached.
        var changed = TinyGruTensors();
        changed[0] = changed[0] with { Values = changed[0].Values.Select(v => v + 1).ToArray() };
        File.WriteAllBytes(path, SafetensorsBytes(changed));
        GeneratorDriver driver = unrelated.Driver.ReplaceAdditionalText(text, new BinaryFile(path));
        GeneratorRun second = GeneratorHarness.Run(driver, edited);
        Assert.NotEqual(before, second.Sources["Devices.TinyGru.Weights.g.cs"]);
        Assert.Equal(first.Sources["Devices.TinyGru.g.cs"], second.Sources["Devices.TinyGru.g.cs"]);
        AssertCached(second, UnrollGenerator.Steps.Source);
    }

    private static void AssertCached(GeneratorRun run, string step) =>
        Assert.All(run.Result.TrackedSteps[step].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));

    // ---- Writing safetensors files ----

    public sealed record Tensor(string Name, string Dtype, int[] Shape, double[] Values);

    /// <summary>A safetensors file of <paramref name="tensors"/> in order; <paramref name="allowShort"/> pads short value arrays with zeros.</summary>
    public static byte[] SafetensorsBytes(IReadOnlyList<Tensor> tensors, bool allowShort = false)
    {
        var header = new StringBuilder("{");
        var data = new MemoryStream();
        foreach (Tensor t in tensors)
        {
            long count = t.Shape.Aggregate(1L, (a, b) => a * b);
            Assert.True(allowShort || t.Values.Length == count, t.Name);
            long begin = data.Length;
            for (long i = 0; i < count; i++)
            {
                double v = i < t.Values.Length ? t.Values[i] : 0;
                byte[] bytes = t.Dtype switch
                {
                    "F32" => BitConverter.GetBytes((float)v),
                    "F64" => BitConverter.GetBytes(v),
                    "F16" => BitConverter.GetBytes((Half)v),
                    "BF16" => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits((float)v) >> 16)),
                    "I64" => BitConverter.GetBytes((long)v),
                    "I32" => BitConverter.GetBytes((int)v),
                    _ => throw new ArgumentException(t.Dtype),
                };
                data.Write(bytes);
            }
            if (header.Length > 1) header.Append(',');
            header.Append($"\"{t.Name}\":{{\"dtype\":\"{t.Dtype}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{begin},{data.Length}]}}");
        }
        header.Append('}');
        byte[] json = Encoding.UTF8.GetBytes(header.ToString());
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.ToArray().CopyTo(file, 8 + json.Length);
        return file;
    }
}
