using System.Text.Json;
using Unroll.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests;

/// <summary>
/// The sizes of one <c>nn.Conv1d</c>, with the batch it runs on (and, with <see cref="RowLengths"/>, each row's steps), and
/// the kernels' calls for them. The tests hold batch-first data, as PyTorch's fixtures do; the calls move it to the kernels'
/// time-major layout and back.
/// </summary>
public sealed record ConvolutionCase(int Batch, int MaxTime, int In, int Out, int Kernel, int Stride = 1, int Padding = 0, int Dilation = 1,
    int Groups = 1, bool Causal = false, int? RowCount = null, int? StepCount = null, int[]? RowLengths = null, PaddingMode Mode = PaddingMode.Zeros)
{
    public int Rows => RowCount ?? Batch;
    public int Length => StepCount ?? MaxTime;
    public int RowLength(int b) => RowLengths?[b] ?? Length;
    public int RowOutLength(int b) => Convolution.OutputLength(RowLength(b), Kernel, Stride, Padding, Dilation, Causal);
    public int InPerGroup => In / Groups;
    public int OutPerGroup => Out / Groups;
    public int Left => Causal ? Dilation * (Kernel - 1) : Padding;
    public int OutMax => Convolution.OutputLength(MaxTime, Kernel, Stride, Padding, Dilation, Causal);
    public int OutLength => Convolution.OutputLength(Length, Kernel, Stride, Padding, Dilation, Causal);
    public int InputCount => Batch * MaxTime * In;
    public int OutputCount => Batch * OutMax * Out;
    public int WeightCount => Out * InPerGroup * Kernel;

    /// <summary>The kernel's forward on batch-first <paramref name="x"/> and <paramref name="y"/> (what it leaves alone stays).</summary>
    public void Forward(float[] x, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, float[] y)
    {
        float[] ty = TimeMajor(y, OutMax, Out);
        Convolution.Forward(TimeMajor(x, MaxTime, In), packed, bias, ty, Batch, MaxTime, Rows, Length, RowLengths, In, Out, Kernel, Stride, Padding,
            Dilation, Groups, Causal, Mode);
        BatchFirst(ty, OutMax, Out).CopyTo(y, 0);
    }

    /// <summary>The kernel's backward on batch-first arrays (<paramref name="dx"/> may be empty: no input gradient).</summary>
    public void Backward(float[] x, ReadOnlySpan<float> packed, float[] dy, float[] dx, Span<float> dw, Span<float> db, Span<float> scratch, bool accumulate)
    {
        float[] tdx = dx.Length == 0 ? [] : TimeMajor(dx, MaxTime, In);
        Convolution.Backward(TimeMajor(x, MaxTime, In), packed, TimeMajor(dy, OutMax, Out), tdx, dw, db, scratch, Batch, MaxTime, Rows, Length, RowLengths,
            In, Out, Kernel, Stride, Padding, Dilation, Groups, Causal, Mode, accumulate);
        if (dx.Length > 0) BatchFirst(tdx, MaxTime, In).CopyTo(dx, 0);
    }

    /// <summary><c>[batch, time, width]</c> → <c>[time, batch, width]</c>.</summary>
    public float[] TimeMajor(float[] batchFirst, int time, int width)
    {
        var result = new float[batchFirst.Length];
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < time; t++) batchFirst.AsSpan((b * time + t) * width, width).CopyTo(result.AsSpan((t * Batch + b) * width));
        return result;
    }

    /// <summary><c>[time, batch, width]</c> → <c>[batch, time, width]</c>.</summary>
    public float[] BatchFirst(float[] timeMajor, int time, int width)
    {
        var result = new float[timeMajor.Length];
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < time; t++) timeMajor.AsSpan((t * Batch + b) * width, width).CopyTo(result.AsSpan((b * time + t) * width));
        return result;
    }

    public float[] Pack(float[] weight)
    {
        var packed = new float[WeightCount];
        Convolution.PackWeights(weight, packed, In, Out, Kernel, Groups);
        return packed;
    }

    /// <summary>
    /// Convolution in double precision, straight from the definition: each result with the sum of the magnitudes of its
    /// terms (what float32 rounding scales with). Gradients start from zero; only steps and rows the kernels compute are set.
    /// </summary>
    public (double[] Y, double[] YScale, double[] Dx, double[] DxScale, double[] Dw, double[] DwScale, double[] Db, double[] DbScale) Reference(
        float[] x, float[] weight, float[]? bias, float[] dy)
    {
        double[] y = new double[OutputCount], ys = new double[OutputCount], dx = new double[InputCount], dxs = new double[InputCount];
        double[] dw = new double[WeightCount], dws = new double[WeightCount], db = new double[Out], dbs = new double[Out];
        for (int b = 0; b < Rows; b++)
        {
            for (int t = 0; t < RowOutLength(b); t++)
            {
                for (int o = 0; o < Out; o++)
                {
                    int g = o / OutPerGroup, at = (b * OutMax + t) * Out + o;
                    double sum = bias?[o] ?? 0, scale = Math.Abs(sum), grad = dy[at];
                    db[o] += grad;
                    dbs[o] += Math.Abs(grad);
                    for (int j = 0; j < Kernel; j++)
                    {
                        int r = t * Stride + j * Dilation - Left, length = RowLength(b);
                        if ((r < 0 || r >= length) && Mode == PaddingMode.Zeros) continue;
                        // The padding's copies of the row's steps, straight from PyTorch's definitions.
                        if (r < 0 || r >= length)
                        {
                            r = Mode switch
                            {
                                PaddingMode.Reflect => r < 0 ? -r : length - 2 - (r - length),
                                PaddingMode.Replicate => Math.Clamp(r, 0, length - 1),
                                _ => (r + length) % length,
                            };
                        }
                        for (int i = 0; i < InPerGroup; i++)
                        {
                            int xi = (b * MaxTime + r) * In + g * InPerGroup + i, wi = (o * InPerGroup + i) * Kernel + j;
                            double product = (double)x[xi] * weight[wi];
                            sum += product;
                            scale += Math.Abs(product);
                            dx[xi] += grad * weight[wi];
                            dxs[xi] += Math.Abs(grad * weight[wi]);
                            dw[wi] += grad * x[xi];
                            dws[wi] += Math.Abs(grad * x[xi]);
                        }
                    }
                    y[at] = sum;
                    ys[at] = scale;
                }
            }
        }
        return (y, ys, dx, dxs, dw, dws, db, dbs);
    }

    public override string ToString() =>
        $"batch {Batch} (rows {Rows}), time {MaxTime} (length {Length}{(RowLengths is null ? "" : $", rows' [{string.Join(", ", RowLengths)}]")}), {In} → {Out}, k {Kernel}, stride {Stride}, padding {(Causal ? "causal" : Padding)}, dilation {Dilation}, groups {Groups}";
}

/// <summary>
/// <see cref="Convolution"/> against PyTorch (Kernels/Fixtures/convolution.json, written by make_convolution_fixtures.py:
/// <c>nn.Conv1d</c> forward and autograd in float32 and float64, over strides 1, 2 and 4, paddings 0, 1 and 3, dilations 1
/// and 2, groups 1, 2, 3 and depthwise, causal padding, no bias and batches above 1), argument checks and allocations.
/// </summary>
/// <remarks>
/// Tolerance: against PyTorch's float64 results, <see cref="Tolerance.AssertClose"/>'s 10⁻⁵ + 10⁻⁴·|r| (sums of at most
/// 133 products of values near 1, all well inside it); the largest differences are logged.
/// </remarks>
public class ConvolutionTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Kernels", "Fixtures", "convolution.json");
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.Clone();
    });

    public static TheoryData<string> Names => new(Fixture.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static JsonElement Case(string name) =>
        Fixture.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static float[] Floats(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static int Int(JsonElement e, string property) => e.GetProperty(property).GetInt32();

    private static ConvolutionCase Sizes(JsonElement c) => new(Int(c, "batch"), Int(c, "time"), Int(c, "in"), Int(c, "out"), Int(c, "kernel"),
        Int(c, "stride"), Int(c, "padding"), Int(c, "dilation"), Int(c, "groups"), c.GetProperty("causal").GetBoolean(),
        Mode: Enum.Parse<PaddingMode>(c.GetProperty("padding_mode").GetString()!, ignoreCase: true));

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_and_gradients_match_pytorch(string name)
    {
        JsonElement c = Case(name);
        ConvolutionCase s = Sizes(c);
        Assert.Equal(Int(c, "out_time"), s.OutMax);
        bool hasBias = c.TryGetProperty("bias", out _);
        float[] x = Floats(c, "x"), weight = Floats(c, "weight"), dy = Floats(c, "dy"), bias = hasBias ? Floats(c, "bias") : [];
        float[] packed = s.Pack(weight);
        var y = new float[s.OutputCount];
        s.Forward(x, packed, bias, y);
        Tolerance.AssertClose(y, Doubles(c, "y_double"), $"{name} y");

        float[] dx = new float[s.InputCount], dw = new float[s.WeightCount], db = new float[hasBias ? s.Out : 0], scratch = new float[s.WeightCount];
        dx.AsSpan().Fill(float.NaN); // written, not accumulated
        s.Backward(x, packed, dy, dx, dw, db, scratch, accumulate: false);
        Tolerance.AssertClose(dx, Doubles(c, "dx_double"), $"{name} dx");
        Tolerance.AssertClose(dw, Doubles(c, "dw_double"), $"{name} dw");
        if (hasBias) Tolerance.AssertClose(db, Doubles(c, "db_double"), $"{name} db");

        output.WriteLine($"{name}: largest |difference| from PyTorch float64 / float32: " +
            $"y {Tolerance.LargestDifference(y, Doubles(c, "y_double")):E1} / {Tolerance.LargestDifference(y, Doubles(c, "y")):E1}, " +
            $"dx {Tolerance.LargestDifference(dx, Doubles(c, "dx_double")):E1} / {Tolerance.LargestDifference(dx, Doubles(c, "dx")):E1}, " +
            $"dw {Tolerance.LargestDifference(dw, Doubles(c, "dw_double")):E1} / {Tolerance.LargestDifference(dw, Doubles(c, "dw")):E1}" +
            (hasBias ? $", db {Tolerance.LargestDifference(db, Doubles(c, "db_double")):E1} / {Tolerance.LargestDifference(db, Doubles(c, "db")):E1}" : ""));
    }

    [Fact]
    public void Output_length_follows_pytorch()
    {
        // floor((time + 2·padding − dilation·(k − 1) − 1) / stride) + 1, and floor((time − 1) / stride) + 1 when causal.
        Assert.Equal(7, Convolution.OutputLength(9, 3, 1, 0, 1, causal: false));
        Assert.Equal(5, Convolution.OutputLength(10, 3, 2, 1, 1, causal: false));
        Assert.Equal(5, Convolution.OutputLength(13, 3, 4, 3, 1, causal: false));
        Assert.Equal(11, Convolution.OutputLength(11, 3, 1, 2, 2, causal: false));
        Assert.Equal(9, Convolution.OutputLength(9, 3, 1, 0, 1, causal: true));
        Assert.Equal(6, Convolution.OutputLength(11, 4, 2, 0, 3, causal: true));
        Assert.Equal(0, Convolution.OutputLength(4, 3, 1, 0, 2, causal: false));
    }

    [Fact]
    public void Packing_moves_the_tap_axis_first()
    {
        // weight [out 4, in/groups 1, k 3] of a 2-group convolution from 2 to 4 channels: packed[j, o, 0] = weight[o, 0, j].
        float[] weight = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32];
        var packed = new float[12];
        Convolution.PackWeights(weight, packed, 2, 4, 3, 2);
        Assert.Equal([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32], packed);
    }

    public static TheoryData<string> BadCalls => new(
        "input", "packedWeight", "bias", "output", "groups", "kernelSize", "kernelSize too long", "stride", "dilation", "padding", "causal padding",
        "rows", "length", "length too short", "rowLengths", "rowLengths too short", "rowLengths missing", "paddingMode", "paddingMode causal", "length reflected", "rowLengths reflected", "inChannels", "outChannels",
        "outputGradient", "inputGradient", "weightGradient", "biasGradient", "scratch");

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void Bad_calls_throw_naming_the_argument_and_write_nothing(string what)
    {
        var s = new ConvolutionCase(2, 9, 4, 6, 3, Padding: 1);
        float[] x = new float[s.InputCount], packed = new float[s.WeightCount], bias = new float[s.Out], y = new float[s.OutputCount];
        float[] dy = new float[s.OutputCount], dx = new float[s.InputCount], dw = new float[s.WeightCount], db = new float[s.Out], scratch = new float[s.WeightCount];
        x.AsSpan().Fill(1f);
        packed.AsSpan().Fill(1f);
        dy.AsSpan().Fill(1f);
        foreach (float[] written in new[] { y, dx, dw, db, scratch }) written.AsSpan().Fill(7f);
        int batch = s.Batch, maxTime = s.MaxTime, rows = s.Rows, length = s.Length, inChannels = s.In, outChannels = s.Out, kernel = s.Kernel;
        int stride = 1, padding = 1, dilation = 1, groups = 1;
        bool causal = false;
        int[] rowLengths = [];
        PaddingMode mode = PaddingMode.Zeros;
        Span<float> xs = x, ps = packed, bs = bias, ys = y, dys = dy, dxs = dx, dws = dw, dbs = db, ss = scratch;
        string expected = what.Split(' ')[0] == "causal" ? "padding" : what.Split(' ')[0];
        switch (what)
        {
            case "input": xs = xs[..^1]; break;
            case "packedWeight": ps = ps[..^1]; break;
            case "bias": bs = bs[..^1]; break;
            case "output": ys = ys[..^1]; break;
            case "groups": groups = 4; break; // 4 does not divide 6
            case "kernelSize": kernel = 0; break;
            case "kernelSize too long": kernel = 7; padding = 0; dilation = 2; break; // reaches 13 > 9 steps
            case "stride": stride = 0; break;
            case "dilation": dilation = -1; break;
            case "padding": padding = -1; break;
            case "causal padding": causal = true; break;
            case "rows": rows = 3; break;
            case "length": length = 10; break;
            case "length too short": length = 1; padding = 0; break; // a 3-tap kernel on one step
            case "rowLengths": rowLengths = [9, 10]; break;
            case "rowLengths too short": rowLengths = [9, 1]; padding = 0; break; // no output step for row 1
            case "rowLengths missing": rowLengths = [9]; break;
            case "paddingMode": mode = (PaddingMode)4; break;
            case "paddingMode causal": mode = PaddingMode.Reflect; causal = true; padding = 0; break;
            case "length reflected": mode = PaddingMode.Reflect; length = 1; break; // reflecting 1 step needs 2
            case "rowLengths reflected": mode = PaddingMode.Reflect; rowLengths = [9, 1]; break;
            case "inChannels": inChannels = 0; break;
            case "outChannels": outChannels = -6; break;
            case "outputGradient": dys = dys[..^1]; break;
            case "inputGradient": dxs = dxs[..^1]; break;
            case "weightGradient": dws = dws[..^1]; break;
            case "biasGradient": dbs = dbs[..^1]; break;
            case "scratch": ss = ss[..^1]; break;
        }
        bool backward = what is "outputGradient" or "inputGradient" or "weightGradient" or "biasGradient" or "scratch";
        ArgumentException e;
        try
        {
            if (backward)
                Convolution.Backward(xs, ps, dys, dxs, dws, dbs, ss, batch, maxTime, rows, length, rowLengths, inChannels, outChannels, kernel, stride, padding, dilation, groups, causal, mode, accumulate: false);
            else
                Convolution.Forward(xs, ps, bs, ys, batch, maxTime, rows, length, rowLengths, inChannels, outChannels, kernel, stride, padding, dilation, groups, causal, mode);
            throw new Xunit.Sdk.XunitException($"{what}: no exception");
        }
        catch (ArgumentException caught)
        {
            e = caught;
        }
        Assert.Equal(expected, e.ParamName);
        foreach (float[] written in new[] { y, dx, dw, db, scratch }) Assert.All(written, v => Assert.Equal(7f, v));
    }

    [Fact]
    public void Forward_and_backward_allocate_nothing()
    {
        foreach (var s in new[]
        {
            new ConvolutionCase(4, 64, 64, 64, 3, Padding: 1),
            new ConvolutionCase(4, 64, 32, 32, 5, Stride: 2, Dilation: 2, Groups: 32, Causal: true, RowCount: 3, StepCount: 50, RowLengths: [50, 9, 33]),
            new ConvolutionCase(2, 40, 12, 18, 3, Groups: 3, Padding: 2),
            new ConvolutionCase(2, 40, 12, 12, 3, Padding: 2, RowLengths: [40, 17], Mode: PaddingMode.Reflect),
        })
        {
            float[] x = new float[s.InputCount], weight = new float[s.WeightCount], bias = new float[s.Out], y = new float[s.OutputCount];
            float[] dx = new float[s.InputCount], dw = new float[s.WeightCount], db = new float[s.Out], scratch = new float[s.WeightCount];
            new SeededRandom(3).FillUniform(x, -1f, 1f);
            new SeededRandom(4).FillUniform(weight, -1f, 1f);
            float[] packed = s.Pack(weight);
            int[] lengths = s.RowLengths ?? [];
            Assert.Equal(0, Allocations.Of(() =>
            {
                Convolution.PackWeights(weight, packed, s.In, s.Out, s.Kernel, s.Groups);
                Convolution.Forward(x, packed, bias, y, s.Batch, s.MaxTime, s.Rows, s.Length, lengths, s.In, s.Out, s.Kernel, s.Stride, s.Padding,
                    s.Dilation, s.Groups, s.Causal, s.Mode);
                Convolution.Backward(x, packed, y, dx, dw, db, scratch, s.Batch, s.MaxTime, s.Rows, s.Length, lengths, s.In, s.Out, s.Kernel, s.Stride,
                    s.Padding, s.Dilation, s.Groups, s.Causal, s.Mode, accumulate: false);
            }));
        }
    }
}

/// <summary>
/// <see cref="Convolution"/> against a double-precision loop straight from the definition, at channel counts around every
/// vector width (1 to 17, 31 to 33, 63 to 65), with strides, paddings, dilations, groups, depthwise and causal forms,
/// fewer rows than the batch and a length below the buffer's time, checking that what lies outside stays as it was.
/// CI runs the class again with AVX-512, AVX2 and all intrinsics switched off (its name matches the <c>KernelSweep</c> filter).
/// </summary>
/// <remarks>
/// Tolerance: <see cref="Absolute"/> + <see cref="Relative"/>·Σ|terms| (float32 sums of up to a few hundred products
/// round within a few float epsilons of the sum of their magnitudes).
/// </remarks>
public class ConvolutionKernelSweepTests
{
    private const double Absolute = 1e-6, Relative = 2e-6;

    private const float Guard = 12345f;

    public static TheoryData<int> Channels => new(Enumerable.Range(1, 17).Concat([31, 32, 33, 63, 64, 65]));

    private static IEnumerable<ConvolutionCase> Cases(int c)
    {
        yield return new ConvolutionCase(3, 20, c, c, 3, Padding: 1, RowCount: 2, StepCount: 17);
        yield return new ConvolutionCase(2, 19, c, c + 1, 2, Stride: 2, StepCount: 19);
        yield return new ConvolutionCase(3, 21, 3, c, 3, Dilation: 2, Causal: true, RowCount: 2, StepCount: 16);
        yield return new ConvolutionCase(2, 23, c, 5, 4, Stride: 3, Padding: 2, StepCount: 20);
        yield return new ConvolutionCase(3, 18, c, c, 3, Padding: 1, Groups: c, RowCount: 2, StepCount: 15);
        yield return new ConvolutionCase(2, 22, c, c, 5, Stride: 2, Dilation: 2, Groups: c, Causal: true, StepCount: 21);
        yield return c % 2 == 0
            ? new ConvolutionCase(2, 17, c, c + 2, 3, Stride: 1, Padding: 3, Dilation: 2, Groups: 2, StepCount: 14)
            : new ConvolutionCase(2, 17, c, 2 * c, 3, Stride: 4, Padding: 1, Groups: c, StepCount: 17);
        yield return new ConvolutionCase(2, 40, c, 17, 1, RowCount: 1, StepCount: 33);
        // Rows of their own lengths: zero-padded at each row's end, zeros past each row's output.
        yield return new ConvolutionCase(3, 20, c, c + 1, 3, Padding: 1, RowCount: 3, StepCount: 18, RowLengths: [18, 5, 11]);
        yield return new ConvolutionCase(3, 21, c, 4, 4, Stride: 3, Causal: true, RowCount: 2, StepCount: 21, RowLengths: [7, 21, 3]);
        yield return new ConvolutionCase(2, 16, c, c, 3, Dilation: 2, Groups: c, StepCount: 16, RowLengths: [5, 16]);
        // Padding that copies the row's own steps, at each row's ends.
        yield return new ConvolutionCase(3, 14, c, c + 1, 4, Stride: 2, Padding: 3, StepCount: 13, RowLengths: [13, 4, 9], Mode: PaddingMode.Reflect);
        yield return new ConvolutionCase(2, 12, c, c, 3, Padding: 2, Dilation: 2, Groups: c, RowLengths: [12, 3], Mode: PaddingMode.Replicate);
        yield return new ConvolutionCase(2, 11, c, 5, 5, Stride: 3, Padding: 4, RowCount: 1, RowLengths: [4, 11], Mode: PaddingMode.Circular);
        // Products large enough for Blas to split them across the workers.
        if (c == 64) yield return new ConvolutionCase(2, 300, c, c + 1, 3, Padding: 1, StepCount: 290);
    }

    private static float[] Random(int n, ulong seed)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, -1f, 1f);
        return values;
    }

    private static void Near(double[] expected, double[] scale, ReadOnlySpan<float> actual, ReadOnlySpan<float> before, Func<int, bool> computed, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (!computed(i))
            {
                Assert.True(actual[i].Equals(before[i]), $"{what}[{i}] = {actual[i]:R}, outside the computed part, was {before[i]:R}");
                continue;
            }
            double diff = Math.Abs(actual[i] - expected[i]);
            Assert.True(diff <= Absolute + Relative * scale[i], $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R} (|diff| {diff:E2})");
        }
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Forward_and_gradients_match_double_loops(int c)
    {
        foreach (ConvolutionCase s in Cases(c))
        {
            float[] x = Random(s.InputCount, 1), weight = Random(s.WeightCount, 2), bias = Random(s.Out, 3), dy = Random(s.OutputCount, 4);
            float[] packed = s.Pack(weight);
            var r = s.Reference(x, weight, bias, dy);
            bool OutputComputed(int i) => i / (s.OutMax * s.Out) < s.Rows && i / s.Out % s.OutMax < s.OutLength;
            bool InsideRow(int i) => OutputComputed(i) && i / s.Out % s.OutMax < s.RowOutLength(i / (s.OutMax * s.Out));
            bool InputComputed(int i) => i / (s.MaxTime * s.In) < s.Rows && i / s.In % s.MaxTime < s.Length;

            float[] y = new float[s.OutputCount];
            y.AsSpan().Fill(Guard);
            float[] yBefore = (float[])y.Clone();
            s.Forward(x, packed, bias, y);
            Near(r.Y, r.YScale, y, yBefore, OutputComputed, $"{s}: y");

            // Without a bias: the same sums less the bias.
            float[] noBias = new float[s.OutputCount];
            s.Forward(x, packed, [], noBias);
            for (int i = 0; i < noBias.Length; i++)
            {
                if (InsideRow(i)) r.Y[i] -= bias[i % s.Out];
            }
            Near(r.Y, r.YScale, noBias, new float[s.OutputCount], OutputComputed, $"{s}: y without bias");

            // Gradients: the input's written (then accumulated), the weight's and the bias's accumulated onto what was there.
            float[] dx = new float[s.InputCount], dw = Random(s.WeightCount, 5), db = Random(s.Out, 6), scratch = new float[s.WeightCount];
            dx.AsSpan().Fill(Guard);
            float[] dxBefore = (float[])dx.Clone(), dwBefore = (float[])dw.Clone(), dbBefore = (float[])db.Clone();
            s.Backward(x, packed, dy, dx, dw, db, scratch, accumulate: false);
            Near(r.Dx, r.DxScale, dx, dxBefore, InputComputed, $"{s}: dx");
            for (int i = 0; i < dw.Length; i++) r.Dw[i] += dwBefore[i];
            for (int i = 0; i < db.Length; i++) r.Db[i] += dbBefore[i];
            Near(r.Dw, r.DwScale, dw, dwBefore, _ => true, $"{s}: dw");
            Near(r.Db, r.DbScale, db, dbBefore, _ => true, $"{s}: db");

            float[] accumulated = Random(s.InputCount, 7), accumulatedBefore = (float[])accumulated.Clone();
            s.Backward(x, packed, dy, accumulated, new float[s.WeightCount], [], scratch, accumulate: true);
            for (int i = 0; i < accumulated.Length; i++) r.Dx[i] += accumulatedBefore[i];
            Near(r.Dx, r.DxScale, accumulated, accumulatedBefore, InputComputed, $"{s}: dx accumulated");

            // No input gradient asked for: the weight gradient alone.
            float[] dwOnly = new float[s.WeightCount];
            s.Backward(x, packed, dy, [], dwOnly, [], scratch, accumulate: false);
            for (int i = 0; i < dw.Length; i++) r.Dw[i] -= dwBefore[i];
            Near(r.Dw, r.DwScale, dwOnly, new float[s.WeightCount], _ => true, $"{s}: dw alone");
        }
    }
}
