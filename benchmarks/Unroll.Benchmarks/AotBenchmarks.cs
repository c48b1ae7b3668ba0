using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.NativeAot;

namespace Unroll.Benchmarks;

/// <summary>
/// The same generated code under the JIT and as Native AOT binaries, side by side in one run: streaming steps (an LSTM
/// and a GRU of 128, batch 1), the CharLm forward pass and its training step (forward and BPTT). The AOT jobs are
/// compiled for AVX-512 (<c>x86-64-v4</c>), AVX2 and FMA (<c>x86-64-v3</c>), and for baseline x64 (<c>x86-64</c>, what an
/// AOT build without an instruction set targets: warning UNR1001). One thread, as on a device.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/Unroll.Benchmarks -- --filter '*JitAndAot*'</c>: each AOT job publishes a
/// binary of this project first (about a minute each).
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Jobs))]
public class JitAndAotBenchmarks
{
    /// <summary>The JIT (the host's .NET 10) and the three Native AOT builds.</summary>
    public sealed class Jobs : ManualConfig
    {
        /// <summary>Set by <c>--quick</c>: the smoke test runs this suite in-process only (an AOT build takes minutes).</summary>
        public static bool InProcessOnly { get; set; }

        public Jobs()
        {
            if (InProcessOnly) return;
            // Publishing a Native AOT binary of this project takes minutes, beyond BenchmarkDotNet's default build timeout.
            WithBuildTimeout(TimeSpan.FromMinutes(30));
            AddJob(Job.Default.WithId("JIT").AsBaseline());
            // BenchmarkDotNet's AOT builds take the building machine's instruction set unless told: the baseline is named.
            foreach (string level in new[] { "x86-64-v4", "x86-64-v3", "x86-64" })
            {
                NativeAotToolchainBuilder builder = NativeAotToolchain.CreateBuilder().UseNuGet().IlcInstructionSet(level);
                AddJob(Job.Default.WithRuntime(NativeAotRuntime.Net10_0).WithToolchain(builder.TargetFrameworkMoniker("net10.0").ToToolchain())
                    .WithId("AOT " + level));
            }
        }
    }

    private readonly float[] _input = StepData.Input();
    private readonly LstmStep128 _lstm = new(1);
    private readonly GruStep128 _gru = new(1);
    private readonly float[] _lstmOut = new float[LstmStep128.OutputSize];
    private readonly float[] _gruOut = new float[GruStep128.OutputSize];
    private readonly CharLm _charLm = new(1);
    private readonly int[] _tokens = new int[CharLm.SequenceLength];
    private readonly float[] _logits = new float[CharLm.BatchSize * CharLm.SequenceLength * CharLm.OutputSize];
    private readonly float[] _logitsGradient = new float[CharLm.BatchSize * CharLm.SequenceLength * CharLm.OutputSize];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = 1;
        var random = new SeededRandom(42);
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = (int)(random.NextUInt32() % 65);
        random.FillUniform(_logitsGradient, -0.01f, 0.01f);
    }

    [Benchmark] public void Lstm128Step() => _lstm.Step(_input, _lstmOut);

    [Benchmark] public void Gru128Step() => _gru.Step(_input, _gruOut);

    [Benchmark] public void CharLmForward() => _charLm.Forward(_tokens, _logits);

    [Benchmark]
    public void CharLmForwardBackward()
    {
        _charLm.Forward(_tokens, _logits);
        _charLm.ZeroGradients();
        _charLm.Backward(_logitsGradient);
    }
}
