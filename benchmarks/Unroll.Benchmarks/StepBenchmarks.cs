using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// Streaming inference: one <c>Step</c> of an LSTM (8 inputs, batch 1) per hidden size. The running
/// state carries on from call to call, as it does on a device reading a sensor.
/// </summary>
[MemoryDiagnoser]
public class LstmStepBenchmarks
{
    private readonly float[] _input = StepData.Input();

    /// <summary>Threads a step may use: one (the targets), and both cores, each streaming its share of the weights.</summary>
    [Params(1, 2)] public int Threads;

    [GlobalSetup] public void Setup() => Parallelism.MaxDegreeOfParallelism = Threads;

    private readonly LstmStep16 _h16 = new(1);
    private readonly LstmStep32 _h32 = new(1);
    private readonly LstmStep64 _h64 = new(1);
    private readonly LstmStep128 _h128 = new(1);
    private readonly LstmStep256 _h256 = new(1);
    private readonly float[] _out16 = new float[LstmStep16.OutputSize];
    private readonly float[] _out32 = new float[LstmStep32.OutputSize];
    private readonly float[] _out64 = new float[LstmStep64.OutputSize];
    private readonly float[] _out128 = new float[LstmStep128.OutputSize];
    private readonly float[] _out256 = new float[LstmStep256.OutputSize];

    [Benchmark] public void Hidden16() => _h16.Step(_input, _out16);
    [Benchmark] public void Hidden32() => _h32.Step(_input, _out32);
    [Benchmark] public void Hidden64() => _h64.Step(_input, _out64);
    [Benchmark] public void Hidden128() => _h128.Step(_input, _out128);
    [Benchmark] public void Hidden256() => _h256.Step(_input, _out256);
}

/// <summary>Streaming inference: one <c>Step</c> of a GRU (8 inputs, batch 1) per hidden size.</summary>
[MemoryDiagnoser]
public class GruStepBenchmarks
{
    private readonly float[] _input = StepData.Input();

    /// <summary>Threads a step may use: one (the targets), and both cores, each streaming its share of the weights.</summary>
    [Params(1, 2)] public int Threads;

    [GlobalSetup] public void Setup() => Parallelism.MaxDegreeOfParallelism = Threads;

    private readonly GruStep16 _h16 = new(1);
    private readonly GruStep32 _h32 = new(1);
    private readonly GruStep64 _h64 = new(1);
    private readonly GruStep128 _h128 = new(1);
    private readonly GruStep256 _h256 = new(1);
    private readonly float[] _out16 = new float[GruStep16.OutputSize];
    private readonly float[] _out32 = new float[GruStep32.OutputSize];
    private readonly float[] _out64 = new float[GruStep64.OutputSize];
    private readonly float[] _out128 = new float[GruStep128.OutputSize];
    private readonly float[] _out256 = new float[GruStep256.OutputSize];

    [Benchmark] public void Hidden16() => _h16.Step(_input, _out16);
    [Benchmark] public void Hidden32() => _h32.Step(_input, _out32);
    [Benchmark] public void Hidden64() => _h64.Step(_input, _out64);
    [Benchmark] public void Hidden128() => _h128.Step(_input, _out128);
    [Benchmark] public void Hidden256() => _h256.Step(_input, _out256);
}

internal static class StepData
{
    /// <summary>One step of 8 features, the same in every run.</summary>
    public static float[] Input()
    {
        var input = new float[8];
        new SeededRandom(42).FillUniform(input, -1f, 1f);
        return input;
    }
}

/// <summary>
/// The floor under a streaming step: reading as many bytes as the step's weights once (an LSTM step with input 8 reads
/// (8 + H) · 4H floats: 278 KB at H 128, 1.08 MB at H 256), with eight independent 512-bit sums and no other work, so
/// that the loads set the pace.
/// </summary>
[MemoryDiagnoser]
public class WeightStreamingBenchmarks
{
    private readonly float[] _h128 = new float[(8 + 128) * 4 * 128];
    private readonly float[] _h256 = new float[(8 + 256) * 4 * 256];

    [GlobalSetup] public void Setup() => Parallelism.MaxDegreeOfParallelism = 1;

    [Benchmark] public float Read278KB() => Read(_h128);

    [Benchmark] public float Read1080KB() => Read(_h256);

    private static float Read(float[] values)
    {
        ref float v = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(values);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int i = 0;
        for (; i + 128 <= values.Length; i += 128)
        {
            s0 += Vector512.LoadUnsafe(ref v, (nuint)i); s1 += Vector512.LoadUnsafe(ref v, (nuint)i + 16);
            s2 += Vector512.LoadUnsafe(ref v, (nuint)i + 32); s3 += Vector512.LoadUnsafe(ref v, (nuint)i + 48);
            s4 += Vector512.LoadUnsafe(ref v, (nuint)i + 64); s5 += Vector512.LoadUnsafe(ref v, (nuint)i + 80);
            s6 += Vector512.LoadUnsafe(ref v, (nuint)i + 96); s7 += Vector512.LoadUnsafe(ref v, (nuint)i + 112);
        }
        float sum = Vector512.Sum((s0 + s1) + (s2 + s3) + ((s4 + s5) + (s6 + s7)));
        for (; i < values.Length; i++) sum += values[i];
        return sum;
    }
}

/// <summary>
/// The floor under a batched training step: one core's multiply-add rate with nothing to load, 2²⁰ fused 512-bit
/// multiply-adds (less four; 16 Mi float multiply-adds) over twelve independent sums, so that neither latency nor memory limits them.
/// </summary>
[MemoryDiagnoser]
public class ComputeFloorBenchmarks
{
    private readonly float[] _seed = [1.0000001f, 0.9999999f];

    [GlobalSetup] public void Setup() => Parallelism.MaxDegreeOfParallelism = 1;

    [Benchmark]
    public float MultiplyAdds16Mi()
    {
        if (!Avx512F.IsSupported) return 0;
        var a = Vector512.Create(_seed[0]);
        var b = Vector512.Create(_seed[1]);
        Vector512<float> s0 = b, s1 = b, s2 = b, s3 = b, s4 = b, s5 = b, s6 = b, s7 = b, s8 = b, s9 = b, s10 = b, s11 = b;
        for (int i = 0; i < (1 << 20) / 12; i++)
        {
            s0 = Avx512F.FusedMultiplyAdd(s0, a, b); s1 = Avx512F.FusedMultiplyAdd(s1, a, b);
            s2 = Avx512F.FusedMultiplyAdd(s2, a, b); s3 = Avx512F.FusedMultiplyAdd(s3, a, b);
            s4 = Avx512F.FusedMultiplyAdd(s4, a, b); s5 = Avx512F.FusedMultiplyAdd(s5, a, b);
            s6 = Avx512F.FusedMultiplyAdd(s6, a, b); s7 = Avx512F.FusedMultiplyAdd(s7, a, b);
            s8 = Avx512F.FusedMultiplyAdd(s8, a, b); s9 = Avx512F.FusedMultiplyAdd(s9, a, b);
            s10 = Avx512F.FusedMultiplyAdd(s10, a, b); s11 = Avx512F.FusedMultiplyAdd(s11, a, b);
        }
        return Vector512.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)) + ((s8 + s9) + (s10 + s11)));
    }
}
