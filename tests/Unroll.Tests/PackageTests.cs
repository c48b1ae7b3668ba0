using System.Diagnostics;
using System.IO.Compression;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The package as a stranger gets it: <c>dotnet pack</c> into a temporary folder, a fresh console project outside the
/// solution with that folder as its only extra feed, a model declared there, built (the generator runs from the
/// package), trained a little and streamed; a second model there compiles PyTorch's weights in from an AdditionalFiles item.
/// </summary>
[Trait("Category", "Package")]
public class PackageTests : IClassFixture<PackageTests.Feed>
{
    /// <summary>The package, packed once for the tests of this class into a temporary feed with a version of its own.</summary>
    public sealed class Feed : IDisposable
    {
        public Feed()
        {
            Directory.CreateDirectory(Root);
            Run($"pack \"{Path.Combine(RepositoryRoot(), "src", "Unroll", "Unroll.csproj")}\" -c Release -o \"{Folder}\" -p:PackageVersion={Version} -p:ContinuousIntegrationBuild=true",
                RepositoryRoot());
            Run($"pack \"{Path.Combine(RepositoryRoot(), "src", "Unroll.Onnx", "Unroll.Onnx.csproj")}\" -c Release -o \"{Folder}\" -p:PackageVersion={Version} -p:ContinuousIntegrationBuild=true",
                RepositoryRoot());
        }

        public string Root { get; } = Path.Combine(Path.GetTempPath(), "unroll-package-" + Guid.NewGuid().ToString("N"));

        public string Folder => Path.Combine(Root, "feed");

        /// <summary>A version of its own, so that no package cached by an earlier run stands in for this one.</summary>
        public string Version { get; } = "0.0.0-check." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");

        /// <summary>A fresh console project outside the repository, with this feed as its only extra source.</summary>
        public string NewApp(string name, string program, string items = "", string properties = "")
        {
            string app = Path.Combine(Root, name);
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="unroll" value="{Folder}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>{properties}
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Unroll" Version="{Version}" />{items}
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), program);
            return app;
        }

        public void Dispose()
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
            // The restore cached this one-off version; take it out again.
            string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "unroll", Version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
            string cachedOnnx = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(cached))!, "unroll.onnx", Version);
            if (Directory.Exists(cachedOnnx)) Directory.Delete(cachedOnnx, recursive: true);
        }
    }

    private readonly Feed _feed;

    public PackageTests(Feed feed) => _feed = feed;

    private const string Program = """
        using Unroll;

        var model = new Echo(7);
        var adam = new Adam(Echo.ParameterCount, 0.01f);
        var input = new float[Echo.BatchSize * Echo.SequenceLength * Echo.InputSize];
        var target = new float[Echo.BatchSize * Echo.SequenceLength * Echo.OutputSize];
        var output = new float[target.Length];
        var gradient = new float[target.Length];
        new SeededRandom(1).FillUniform(input, -1f, 1f);
        for (int i = 0; i < target.Length; i++) target[i] = 0.5f * input[i]; // learn to echo half the input
        float first = 0, last = 0;
        for (int step = 0; step < 200; step++)
        {
            model.Forward(input, output);
            last = Loss.MeanSquaredError(output, target, gradient);
            if (step == 0) first = last;
            model.ZeroGradients();
            model.Backward(gradient);
            adam.Step(model.Parameters, model.Gradients);
        }
        model.ResetState();
        var one = new float[Echo.OutputSize];
        model.Step(input.AsSpan(0, Echo.InputSize), one);
        Console.WriteLine($"loss {first:R} -> {last:R}; step {one[0]:R}");
        Console.WriteLine(last < first / 4 ? "LEARNED" : "DID NOT LEARN");
        Console.WriteLine($"compiled in: {string.Join(" ", new Deployed().Parameters.ToArray().Select(v => BitConverter.SingleToInt32Bits(v)))}");

        // The exporter's package: the trained model as ONNX graphs, and its output for the input 0.1, 0.2, … to compare.
        for (int i = 0; i < input.Length; i++) input[i] = 0.1f * (i + 1);
        model.Forward(input, output);
        model.ExportOnnx("echo.onnx");
        model.ExportOnnx("echo-step.onnx", OnnxGraph.Step);
        Console.WriteLine("OUTPUT " + string.Join(" ", output.Select(v => BitConverter.SingleToInt32Bits(v))));

        [Model(SequenceLength = 8, BatchSize = 1)]
        public partial class Echo
        {
            [Gru(3, 16)] public partial GruLayer Rnn { get; }
            [Linear(16, 3)] public partial LinearLayer Head { get; }
        }

        // PyTorch's weights, compiled in from an AdditionalFiles item.
        [Model(SequenceLength = 5, BatchSize = 2, InferenceOnly = true, Weights = "st_gru.safetensors")]
        public partial class Deployed
        {
            [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
            [Linear(6, 3)] public partial LinearLayer Head { get; }
        }
        """;

    [Fact]
    public void The_package_installs_into_a_new_project_whose_model_builds_trains_and_streams()
    {
        using (ZipArchive package = ZipFile.OpenRead(Path.Combine(_feed.Folder, $"Unroll.{_feed.Version}.nupkg")))
        {
            var entries = package.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("lib/net8.0/Unroll.dll", entries);
            Assert.Contains("lib/net8.0/Unroll.xml", entries);
            Assert.Contains("analyzers/dotnet/cs/Unroll.Generators.dll", entries);
            Assert.Contains("buildTransitive/Unroll.targets", entries);
            Assert.Contains("README.md", entries);
            string nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("<readme>README.md</readme>", nuspec);
            Assert.Contains("<repository type=\"git\" url=\"https://github.com/unroll-ml/unroll\"", nuspec);
            Assert.Matches("<repository [^>]*commit=\"[0-9a-f]{40}\"", nuspec); // the exact sources
            Assert.Contains("System.Numerics.Tensors", nuspec);

            // The package's README links only absolutely (a relative link breaks outside the repository), to pages that exist.
            string readme = new StreamReader(package.GetEntry("README.md")!.Open()).ReadToEnd();
            var links = System.Text.RegularExpressions.Regex.Matches(readme, @"\]\((?<target>[^)]+)\)").Select(m => m.Groups["target"].Value).ToList();
            Assert.NotEmpty(links);
            foreach (string link in links)
            {
                const string Blob = "https://github.com/unroll-ml/unroll/", Main = "/main/";
                Assert.StartsWith(Blob, link);
                string path = link[(link.IndexOf(Main, StringComparison.Ordinal) + Main.Length)..].Split('#')[0];
                Assert.True(File.Exists(Path.Combine(RepositoryRoot(), path)) || Directory.Exists(Path.Combine(RepositoryRoot(), path)), link);
            }
        }
        Assert.True(File.Exists(Path.Combine(_feed.Folder, $"Unroll.{_feed.Version}.snupkg")), "the symbols package is missing");

        string app = _feed.NewApp("app", Program,
            items: $"\n    <AdditionalFiles Include=\"st_gru.safetensors\" />\n    <PackageReference Include=\"Unroll.Onnx\" Version=\"{_feed.Version}\" />");
        string weights = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "st_gru.safetensors");
        File.Copy(weights, Path.Combine(app, "st_gru.safetensors"));
        string output = Run("run -c Release", app);
        Assert.Contains("LEARNED", output);

        // Unroll.Onnx from the feed beside the runtime: its graph of the trained model, run by ONNX Runtime here, gives the app's output.
        float[] expected = output.Split('\n').Single(l => l.StartsWith("OUTPUT ", StringComparison.Ordinal))[7..].Trim().Split(' ')
            .Select(v => BitConverter.Int32BitsToSingle(int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        float[] probe = Enumerable.Range(1, 8 * 3).Select(i => 0.1f * i).ToArray();
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(app, "echo.onnx")))
        using (var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(probe, [1, 8, 3]))]))
            Tolerance.AssertClose(results.Single().AsEnumerable<float>().ToArray(), expected.Select(v => (double)v).ToArray(), "ONNX Runtime's output", 1e-5, 1e-5);
        Assert.True(File.Exists(Path.Combine(app, "echo-step.onnx")));

        // The generator from the package compiled the file in: the same bits as loading it here.
        var loaded = new StGru(1);
        loaded.LoadSafetensors(weights);
        Assert.Contains("compiled in: " + string.Join(" ", loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits)), output);
    }

    private const string TrainAndShip = """
        using Unroll;

        // "train": trains Echo and saves the weights EchoOnDevice compiles in; otherwise runs EchoOnDevice.
        if (args is ["train"])
        {
            var model = new Echo(7);
            var adam = new Adam(Echo.ParameterCount, 0.01f);
            var input = new float[Echo.BatchSize * Echo.SequenceLength * Echo.InputSize];
            var output = new float[input.Length];
            var gradient = new float[input.Length];
            new SeededRandom(1).FillUniform(input, -1f, 1f);
            for (int step = 0; step < 50; step++)
            {
                model.Forward(input, output);
                Loss.MeanSquaredError(output, input, gradient);
                model.ZeroGradients();
                model.Backward(gradient);
                adam.Step(model.Parameters, model.Gradients);
            }
            model.SaveSafetensors("echo.safetensors");
            Console.WriteLine("SAVED");
            return;
        }
        try
        {
            var device = new EchoOnDevice();
            var trained = new Echo(0);
            trained.LoadSafetensors("echo.safetensors");
            Console.WriteLine(device.Parameters.SequenceEqual(trained.Parameters) ? "COMPILED IN THE TRAINED WEIGHTS" : "OTHER WEIGHTS");
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine("NOT YET: " + e.Message);
        }

        [Model(SequenceLength = 8, BatchSize = 4)]
        public partial class Echo
        {
            [Gru(3, 16)] public partial GruLayer Rnn { get; }
            [Linear(16, 3)] public partial LinearLayer Head { get; }
        }

        // The deployed model: Echo's layers, one row at a time, with the weights the training run writes compiled in.
        [InferenceModel(typeof(Echo), BatchSize = 1, Weights = "echo.safetensors")]
        public partial class EchoOnDevice;
        """;

    /// <summary>
    /// One project trains and ships: a clean build before the weights exist warns (UNR0029) and builds, the deployed model
    /// says what to do, the training run writes the file, and the next build compiles it in.
    /// </summary>
    [Fact]
    public void One_project_trains_and_ships_from_a_clean_build()
    {
        string app = _feed.NewApp("ship", TrainAndShip, items: "\n    <AdditionalFiles Include=\"echo.safetensors\" />",
            properties: "\n    <WarningsNotAsErrors>UNR0029</WarningsNotAsErrors>");
        Assert.Contains("warning UNR0029: The weights file 'echo.safetensors' of model 'EchoOnDevice' does not exist yet", Run("build -c Release", app));
        Assert.Contains("NOT YET: The weights file 'echo.safetensors' of model 'EchoOnDevice' does not exist yet", Run("run -c Release --no-build", app));
        Assert.Contains("SAVED", Run("run -c Release --no-build -- train", app));

        string rebuilt = Run("build -c Release", app);
        Assert.DoesNotContain("UNR0029", rebuilt);
        Assert.Contains("COMPILED IN THE TRAINED WEIGHTS", Run("run -c Release --no-build", app));
    }

    /// <summary>
    /// The README's quick start, as a newcomer follows it: its project file and its <c>Program.cs</c>, taken from the README
    /// itself, with the package from the feed; the classifier must build, train and classify its held-out sentences.
    /// </summary>
    [Fact]
    public void The_READMEs_quick_start_builds_and_learns()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        int start = readme.IndexOf("\n## Quick start in your own project", StringComparison.Ordinal);
        Assert.True(start >= 0, "The README has no quick start.");
        string section = readme[start..readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal)];
        string Block(string language) =>
            System.Text.RegularExpressions.Regex.Match(section, $"```{language}\n(?<body>.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline).Groups["body"].Value;
        string project = Block("xml"), program = Block("csharp");
        Assert.Contains("<PackageReference Include=\"Unroll\"", project);

        string app = _feed.NewApp("quickstart", program);
        File.WriteAllText(Path.Combine(app, "App.csproj"),
            System.Text.RegularExpressions.Regex.Replace(project, "Include=\"Unroll\" Version=\"[^\"]*\"", $"Include=\"Unroll\" Version=\"{_feed.Version}\""));
        string output = Run("run -c Release", app);
        var accuracy = System.Text.RegularExpressions.Regex.Match(output, @"held-out accuracy: (?<right>\d+)/(?<all>\d+)");
        Assert.True(accuracy.Success, output);
        Assert.True(int.Parse(accuracy.Groups["right"].Value) >= 0.9 * int.Parse(accuracy.Groups["all"].Value), output);
        Assert.Contains("Parameters: 4,178", output);
    }

    /// <summary>Native AOT without an instruction set warns (UNR1001) with the spelling of the target framework; with one, it does not.</summary>
    [Fact]
    public void Native_AOT_without_an_instruction_set_warns_UNR1001()
    {
        string app = _feed.NewApp("aot", "System.Console.WriteLine(new Unroll.SeededRandom(1).NextUInt32());\n",
            properties: "\n    <PublishAot>true</PublishAot>\n    <WarningsNotAsErrors>UNR1001</WarningsNotAsErrors>");
        string warned = Run("build -c Release", app);
        Assert.Contains("warning UNR1001: Native AOT is on without an IlcInstructionSet", warned);
        Assert.Contains("x86-64-v3 (AVX2 and FMA), x86-64-v4 (AVX-512)", warned);
        // MSBuild's console leaves the help link out; the targets name it, and the page is there.
        string link = "https://github.com/unroll-ml/unroll/blob/main/docs/build/UNR1001.md";
        Assert.Contains(link, File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Unroll", "buildTransitive", "Unroll.targets")));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), link["https://github.com/unroll-ml/unroll/blob/main/".Length..])));
        Run("restore -p:TargetFramework=net9.0", app);
        Assert.Contains("x86-x64-v3 (AVX2 and FMA), x86-x64-v4 (AVX-512)", Run("build -c Release --no-restore -p:TargetFramework=net9.0", app));
        Run("restore", app);
        Assert.DoesNotContain("UNR1001", Run("build -c Release -p:IlcInstructionSet=x86-64-v3", app));
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> and returns its output; a failure fails the test with that output.</summary>
    internal static string Run(string arguments, string directory)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's own MSBuild settings must not leak into a build of another project.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {arguments} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return output;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Compiler.sln"))) return directory.FullName;
        throw new InvalidOperationException("The test runs inside the repository: no Compiler.sln above " + AppContext.BaseDirectory);
    }
}
