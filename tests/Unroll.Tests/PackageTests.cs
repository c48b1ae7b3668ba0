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
public class PackageTests
{
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
        string repository = RepositoryRoot();
        string root = Path.Combine(Path.GetTempPath(), "unroll-package-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(root, "feed"), app = Path.Combine(root, "app");
        // A version of its own, so that no package cached by an earlier run stands in for this one.
        string version = "0.0.0-check." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        try
        {
            Directory.CreateDirectory(app);
            Run($"pack \"{Path.Combine(repository, "src", "Unroll", "Unroll.csproj")}\" -c Release -o \"{feed}\" -p:PackageVersion={version} -p:ContinuousIntegrationBuild=true", repository);

            using (ZipArchive package = ZipFile.OpenRead(Path.Combine(feed, $"Unroll.{version}.nupkg")))
            {
                var entries = package.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("lib/net8.0/Unroll.dll", entries);
                Assert.Contains("lib/net8.0/Unroll.xml", entries);
                Assert.Contains("analyzers/dotnet/cs/Unroll.Generators.dll", entries);
                Assert.Contains("README.md", entries);
                string nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
                Assert.Contains("<readme>README.md</readme>", nuspec);
                Assert.Contains("<repository type=\"git\" url=\"https://github.com/unroll-ml/unroll\"", nuspec);
                Assert.Matches("<repository [^>]*commit=\"[0-9a-f]{40}\"", nuspec); // the exact sources
                Assert.Contains("System.Numerics.Tensors", nuspec);
            }
            Assert.True(File.Exists(Path.Combine(feed, $"Unroll.{version}.snupkg")), "the symbols package is missing");

            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="unroll" value="{feed}" />
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
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Unroll" Version="{version}" />
                    <AdditionalFiles Include="st_gru.safetensors" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Program);
            string weights = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "st_gru.safetensors");
            File.Copy(weights, Path.Combine(app, "st_gru.safetensors"));
            string output = Run("run -c Release", app);
            Assert.Contains("LEARNED", output);

            // The generator from the package compiled the file in: the same bits as loading it here.
            var loaded = new StGru(1);
            loaded.LoadSafetensors(weights);
            Assert.Contains("compiled in: " + string.Join(" ", loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits)), output);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            // The restore cached this one-off version; take it out again.
            string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "unroll", version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> and returns its output; a failure fails the test with that output.</summary>
    private static string Run(string arguments, string directory)
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

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Compiler.sln"))) return directory.FullName;
        throw new InvalidOperationException("The test runs inside the repository: no Compiler.sln above " + AppContext.BaseDirectory);
    }
}
