using System.Diagnostics;
using Xunit;

namespace Unroll.Tests.Tool;

/// <summary>
/// The unroll tool as a stranger gets it: <c>dotnet pack</c> of src/Unroll.Tool into a temporary feed, <c>dotnet tool
/// install</c> from that feed into a folder of its own, and the installed <c>unroll</c> command run there.
/// </summary>
[Trait("Category", "Package")]
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "unroll-tool-" + Guid.NewGuid().ToString("N"));

    /// <summary>A version of its own, so that no package cached by an earlier run stands in for this one.</summary>
    private readonly string _version = "0.0.0-check." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");

    private string Feed => Path.Combine(_root, "feed");

    private string Tools => Path.Combine(_root, "tools");

    [Fact]
    public void The_installed_command_inspects_exports_and_refuses_what_it_cannot_import()
    {
        Directory.CreateDirectory(_root);
        PackageTests.Run($"pack \"{Path.Combine(PackageTests.RepositoryRoot(), "src", "Unroll.Tool", "Unroll.Tool.csproj")}\" -c Release -o \"{Feed}\" -p:PackageVersion={_version}",
            PackageTests.RepositoryRoot());
        Assert.True(File.Exists(Path.Combine(Feed, $"Unroll.Tool.{_version}.nupkg")));
        PackageTests.Run($"tool install Unroll.Tool --tool-path \"{Tools}\" --add-source \"{Feed}\" --version {_version}", _root);

        var (code, output, _) = Unroll("--help");
        Assert.Equal(0, code);
        Assert.Contains("import", output);
        Assert.Contains("inspect", output);
        Assert.Contains("export", output);

        (code, output, _) = Unroll($"inspect \"{Path.Combine(AppContext.BaseDirectory, "Tool", "Fixtures", "inspect", "lstm.onnx")}\"");
        Assert.Equal(0, code);
        Assert.Contains("[1, 16, 3]", output);
        Assert.Contains("Parameters: 144 ", output);

        // Export: a model class of a built assembly (this one), with weights from a file, as ONNX Runtime runs it.
        var trained = new Onnx.ExportPooledGru(5);
        string weights = Path.Combine(_root, "pooled.safetensors"), graph = Path.Combine(_root, "pooled.onnx");
        trained.SaveSafetensors(weights);
        (code, output, string exportError) = Unroll($"export \"{typeof(Onnx.ExportPooledGru).Assembly.Location}\" --model {nameof(Onnx.ExportPooledGru)} --weights \"{weights}\" -o \"{graph}\"");
        Assert.True(code == 0, exportError);
        Assert.Contains("pooled.onnx", output);
        float[] x = Enumerable.Range(0, 2 * 5 * 3).Select(i => 0.05f * i - 0.7f).ToArray();
        var expected = new float[2 * 2];
        trained.Forward(x, expected);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(graph))
        using (var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x, [2, 5, 3]))]))
            Tolerance.AssertClose(results.Single().AsEnumerable<float>().ToArray(), expected.Select(v => (double)v).ToArray(), "the exported graph's output", 1e-5, 1e-5);

        // --graph: an encoder–decoder's encoder graph, whose outputs are the step graph's inputs.
        string encode = Path.Combine(_root, "encode.onnx"), step = Path.Combine(_root, "step.onnx");
        string translator = $"export \"{typeof(Seq2Seq.FloatGruDot).Assembly.Location}\" --model {typeof(Seq2Seq.FloatGruDot).FullName}";
        (code, output, exportError) = Unroll($"{translator} --graph encode -o \"{encode}\"");
        Assert.True(code == 0, exportError);
        Assert.Contains("the encoder", output);
        (code, output, exportError) = Unroll($"{translator} --graph Step -o \"{step}\"");
        Assert.True(code == 0, exportError);
        Assert.Contains("one step", output);
        using (var encoder = new Microsoft.ML.OnnxRuntime.InferenceSession(encode))
        using (var decoder = new Microsoft.ML.OnnxRuntime.InferenceSession(step))
            Assert.Equal(["Decoder.h", "Decoder.memory"], encoder.OutputNames.Order().Intersect(decoder.InputNames));

        string notAModel = Path.Combine(_root, "notes.txt");
        File.WriteAllText(notAModel, "not a model");
        string models = Path.Combine(_root, "Models");
        (code, _, string error) = Unroll($"import \"{notAModel}\" -o \"{models}\"");
        Assert.Equal(1, code);
        Assert.Contains("is not a file unroll imports", error);
        Assert.Contains("Nothing was written", error);
        Assert.False(Directory.Exists(models));
    }

    /// <summary>Runs the installed command; its exit code, output and error output.</summary>
    private (int Code, string Output, string Error) Unroll(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(Path.Combine(Tools, "unroll"), arguments)
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "unroll.tool", _version);
        if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
    }
}
