using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// RTNeural's rows, under the names its timing harness gives them (../shared/peers/rtneural/bench.cpp; side by side:
/// <c>bash benchmarks/peers/rtneural</c>), with the same models, weights and inputs, one thread.
/// <list type="bullet">
/// <item><c>lstm16</c> … <c>gru256</c>: one <c>Step</c> (batch 1) of 8 inputs → LSTM/GRU H → Linear(H, 1), the state
/// carried on from call to call, the input the next row of a 4096-row table, cycled. Time per step.</item>
/// <item><c>seq_lstm32x128</c>: <c>ResetState</c>, then a sequence of 64 <c>Step</c>s of 32 inputs → LSTM 128. Reported
/// per step (OperationsPerInvoke = 64). The reset (zeroing 256 floats) is timed here, RTNeural's is not.</item>
/// </list>
/// Each row's setup draws the weights into <c>Parameters</c> as the harness does, then prints
/// <c>peer-check &lt;row&gt; &lt;checksum&gt; Vector512=… Vector256=… Vector128=…</c> before any timing: the checksum
/// bench.cpp prints, and which vector widths the JIT accelerates in the process that is timed (the one the
/// <c>DOTNET_Enable*</c> switches must reach).
/// </summary>
[MemoryDiagnoser]
public class PeerBenchmarks
{
    private readonly float[] _inputs8 = PeerData.Inputs(8), _inputs32 = PeerData.Inputs(32);
    private readonly float[] _out1 = new float[1], _out128 = new float[128];
    private int _row, _sequence; // the next input row (streaming rows) and the next of the table's 64 sequences

    private PeerLstm16 _lstm16 = null!;
    private PeerLstm32 _lstm32 = null!;
    private PeerLstm64 _lstm64 = null!;
    private PeerLstm128 _lstm128 = null!;
    private PeerLstm256 _lstm256 = null!;
    private PeerGru16 _gru16 = null!;
    private PeerGru32 _gru32 = null!;
    private PeerGru64 _gru64 = null!;
    private PeerGru128 _gru128 = null!;
    private PeerGru256 _gru256 = null!;
    private PeerSeqLstm32x128 _seq = null!;

    // Seeds as in bench.cpp: 1000 + H for the LSTM rows, 2000 + H for the GRU rows, 3000 for the sequence row.
    [GlobalSetup(Target = nameof(lstm16))] public void SetupLstm16() => _lstm16 = Stream<PeerLstm16>(nameof(lstm16), 1016, 16);
    [GlobalSetup(Target = nameof(lstm32))] public void SetupLstm32() => _lstm32 = Stream<PeerLstm32>(nameof(lstm32), 1032, 32);
    [GlobalSetup(Target = nameof(lstm64))] public void SetupLstm64() => _lstm64 = Stream<PeerLstm64>(nameof(lstm64), 1064, 64);
    [GlobalSetup(Target = nameof(lstm128))] public void SetupLstm128() => _lstm128 = Stream<PeerLstm128>(nameof(lstm128), 1128, 128);
    [GlobalSetup(Target = nameof(lstm256))] public void SetupLstm256() => _lstm256 = Stream<PeerLstm256>(nameof(lstm256), 1256, 256);
    [GlobalSetup(Target = nameof(gru16))] public void SetupGru16() => _gru16 = Stream<PeerGru16>(nameof(gru16), 2016, 16);
    [GlobalSetup(Target = nameof(gru32))] public void SetupGru32() => _gru32 = Stream<PeerGru32>(nameof(gru32), 2032, 32);
    [GlobalSetup(Target = nameof(gru64))] public void SetupGru64() => _gru64 = Stream<PeerGru64>(nameof(gru64), 2064, 64);
    [GlobalSetup(Target = nameof(gru128))] public void SetupGru128() => _gru128 = Stream<PeerGru128>(nameof(gru128), 2128, 128);
    [GlobalSetup(Target = nameof(gru256))] public void SetupGru256() => _gru256 = Stream<PeerGru256>(nameof(gru256), 2256, 256);

    [GlobalSetup(Target = nameof(seq_lstm32x128))]
    public void SetupSequence()
    {
        // The checksum of this row is the sum of every output (64 steps × 128) of the first sequence.
        _seq = PeerData.Load<PeerSeqLstm32x128>(3000, 128);
        PeerData.Check(nameof(seq_lstm32x128), _seq, _inputs32, steps: 64);
    }

    // The row names are RTNeural's, so the two sides' figures join by name.
#pragma warning disable IDE1006
    [Benchmark] public void lstm16() => _lstm16.Step(NextRow(), _out1);
    [Benchmark] public void lstm32() => _lstm32.Step(NextRow(), _out1);
    [Benchmark] public void lstm64() => _lstm64.Step(NextRow(), _out1);
    [Benchmark] public void lstm128() => _lstm128.Step(NextRow(), _out1);
    [Benchmark] public void lstm256() => _lstm256.Step(NextRow(), _out1);
    [Benchmark] public void gru16() => _gru16.Step(NextRow(), _out1);
    [Benchmark] public void gru32() => _gru32.Step(NextRow(), _out1);
    [Benchmark] public void gru64() => _gru64.Step(NextRow(), _out1);
    [Benchmark] public void gru128() => _gru128.Step(NextRow(), _out1);
    [Benchmark] public void gru256() => _gru256.Step(NextRow(), _out1);

    [Benchmark(OperationsPerInvoke = PeerData.SequenceLength)]
    public void seq_lstm32x128()
    {
        _seq.ResetState();
        int first = _sequence * PeerData.SequenceLength; // sequence s reads rows 64s … 64s + 63 of the 32-wide table
        for (int k = 0; k < PeerData.SequenceLength; k++)
            _seq.Step(_inputs32.AsSpan((first + k) * 32, 32), _out128);
        _sequence = (_sequence + 1) & (PeerData.Rows / PeerData.SequenceLength - 1);
    }
#pragma warning restore IDE1006

    private ReadOnlySpan<float> NextRow()
    {
        var row = new ReadOnlySpan<float>(_inputs8, _row * 8, 8);
        _row = (_row + 1) & (PeerData.Rows - 1);
        return row;
    }

    /// <summary>A streaming row's model with bench.cpp's weights, its checksum printed, its state reset for timing.</summary>
    private T Stream<T>(string row, ulong seed, int hidden) where T : IStepModel<float>, new()
    {
        T model = PeerData.Load<T>(seed, hidden);
        PeerData.Check(row, model, _inputs8, steps: 2000);
        _row = 0;
        return model;
    }
}

/// <summary>The weights, inputs and checksums of RTNeural's harness (bench.cpp), drawn the same way.</summary>
internal static class PeerData
{
    public const int Rows = 4096, SequenceLength = 64;

    /// <summary>bench.cpp's SplitMix64 stream and its <c>uniform(bound)</c>: a 24-bit draw scaled to (−bound, bound) in double.</summary>
    private sealed class SplitMix(ulong seed)
    {
        private ulong _s = seed;

        private ulong Next()
        {
            ulong z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public float Uniform(double bound) => (float)(bound * (2.0 * (Next() >> 40) * (1.0 / 16777216.0) - 1.0));
    }

    /// <summary>The input table: 4096 rows of <paramref name="columns"/> values from U(−1, 1), SplitMix64 seeded 99, row after row.</summary>
    public static float[] Inputs(int columns)
    {
        var g = new SplitMix(99);
        var table = new float[Rows * columns];
        for (int i = 0; i < table.Length; i++) table[i] = g.Uniform(1.0);
        return table;
    }

    /// <summary>
    /// A model whose parameters are drawn from U(±1/√hidden) in state-dict order (weight_ih, weight_hh, bias_ih,
    /// bias_hh, then the head's weight and bias), the order and bound in which bench.cpp draws its PyTorch-layout
    /// tensors before loading them into RTNeural. Writing through <c>Parameters</c> marks the packed weights stale.
    /// </summary>
    public static T Load<T>(ulong seed, int hidden) where T : IStepModel<float>, new() => Load(new T(), seed, hidden);

    /// <summary><see cref="Load{T}(ulong, int)"/> into a model already made.</summary>
    public static T Load<T>(T model, ulong seed, int hidden) where T : IStepModel<float>
    {
        Parallelism.MaxDegreeOfParallelism = 1;
        var g = new SplitMix(seed);
        double bound = 1.0 / Math.Sqrt(hidden);
        foreach (ref float p in model.Parameters) p = g.Uniform(bound);
        return model;
    }

    /// <summary>
    /// bench.cpp's checksum: from a reset state, <paramref name="steps"/> steps on the table's first rows, the sum (in
    /// double) of every output. Printed with the vector widths the JIT accelerates here; the state is reset after.
    /// </summary>
    public static void Check(string row, IStepModel<float> model, float[] inputs, int steps)
    {
        int columns = inputs.Length / Rows;
        var output = new float[model.OutputSize];
        double sum = 0;
        model.ResetState();
        for (int i = 0; i < steps; i++)
        {
            model.Step(inputs.AsSpan(i % Rows * columns, columns), output);
            foreach (float y in output) sum += y;
        }
        model.ResetState();
        Console.WriteLine($"peer-check {row} {sum:E6} Vector512={Vector512.IsHardwareAccelerated} " +
                          $"Vector256={Vector256.IsHardwareAccelerated} Vector128={Vector128.IsHardwareAccelerated}");
    }
}
