using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// <see cref="Pooling"/> against double-precision loops straight from PyTorch's definitions, at channel counts around every
/// vector width (1 to 17, 31 to 33, 63 to 65): max and average windows with strides, paddings, dilations, the padding
/// counted or not, rows of their own lengths, fewer rows than the batch and a length below the buffer's time (what lies
/// outside stays as it was); ties of the maximum (values on a coarse grid) going to the first step; pooling over time
/// and its streaming step. CI runs the class again with AVX-512, AVX2 and all intrinsics switched off (its name matches
/// the <c>KernelSweep</c> filter).
/// </summary>
/// <remarks>A maximum and its gradient are exact; a mean is within <see cref="Absolute"/> + <see cref="Relative"/>·Σ|terms|.</remarks>
public class PoolingKernelSweepTests
{
    private const double Absolute = 1e-6, Relative = 2e-6;

    private const float Guard = 12345f;

    public static TheoryData<int> Channels => new(Enumerable.Range(1, 17).Concat([31, 32, 33, 63, 64, 65]));

    /// <summary>A window case: buffer shape, window, run and each row's length (null: every row <see cref="Length"/>).</summary>
    private sealed record Window(int Batch, int MaxTime, int Rows, int Length, int[]? RowLengths, int K, int Stride, int Padding, int Dilation, bool CountIncludePad)
    {
        public int OutMax => Pooling.OutputLength(MaxTime, K, Stride, Padding, Dilation);

        public int OutLength => Pooling.OutputLength(Length, K, Stride, Padding, Dilation);

        public int RowLength(int b) => RowLengths?[b] ?? Length;

        /// <summary>The input steps of output step <paramref name="t"/>'s window inside row <paramref name="b"/>, in order.</summary>
        public IEnumerable<int> Taps(int b, int t) =>
            Enumerable.Range(0, K).Select(j => t * Stride + j * Dilation - Padding).Where(r => r >= 0 && r < RowLength(b));
    }

    private static IEnumerable<Window> Windows()
    {
        yield return new Window(3, 20, 2, 17, null, 3, 2, 1, 1, true);
        yield return new Window(3, 20, 3, 18, [18, 5, 11], 4, 2, 2, 1, true);
        yield return new Window(3, 20, 3, 18, [18, 5, 11], 4, 3, 2, 1, false);
        yield return new Window(2, 19, 2, 19, [19, 6], 3, 1, 1, 2, false);
        yield return new Window(2, 16, 1, 16, null, 2, 2, 0, 1, true);
        yield return new Window(3, 21, 3, 21, [7, 21, 9], 3, 4, 0, 3, true);
        yield return new Window(2, 9, 2, 9, [9, 1], 1, 1, 0, 1, true);
    }

    private static float[] Random(int n, ulong seed, bool grid = false)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, -1f, 1f);
        if (grid)
        {
            for (int i = 0; i < n; i++) values[i] = MathF.Round(values[i] * 2) / 2; // five values: many ties
        }
        return values;
    }

    private static float[] Guarded(int n)
    {
        var values = new float[n];
        values.AsSpan().Fill(Guard);
        return values;
    }

    private static void Near(double expected, double scale, float actual, string what)
    {
        double diff = Math.Abs(actual - expected);
        Assert.True(diff <= Absolute + Relative * scale, $"{what} = {actual:R}, expected {expected:R} (|diff| {diff:E2})");
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Max_windows_and_their_gradients_match_double_loops(int c)
    {
        foreach (Window s in Windows())
        {
            foreach (bool grid in new[] { false, true })
            {
                float[] x = Random(s.MaxTime * s.Batch * c, 1, grid), dy = Random(s.OutMax * s.Batch * c, 2);
                float[] y = Guarded(s.OutMax * s.Batch * c), dx = Guarded(x.Length);
                Pooling.MaxForward(x, y, s.Batch, s.MaxTime, s.Rows, s.Length, s.RowLengths, c, s.K, s.Stride, s.Padding, s.Dilation);
                Pooling.MaxBackward(x, y, dy, dx, s.Batch, s.MaxTime, s.Rows, s.Length, s.RowLengths, c, s.K, s.Stride, s.Padding, s.Dilation);
                var expectedDx = new double[x.Length];
                for (int b = 0; b < s.Batch; b++)
                {
                    int rowOut = Pooling.OutputLength(s.RowLength(b), s.K, s.Stride, s.Padding, s.Dilation);
                    for (int t = 0; t < s.OutMax; t++)
                    {
                        for (int k = 0; k < c; k++)
                        {
                            int at = (t * s.Batch + b) * c + k;
                            string what = $"c {c}, {s}, grid {grid}: y[{t}, {b}, {k}]";
                            if (b >= s.Rows || t >= s.OutLength) Assert.Equal(Guard, y[at]);
                            else if (t >= rowOut) Assert.Equal(0f, y[at]);
                            else
                            {
                                int first = -1;
                                foreach (int r in s.Taps(b, t))
                                {
                                    if (first < 0 || x[(r * s.Batch + b) * c + k] > x[(first * s.Batch + b) * c + k]) first = r; // ties: the first
                                }
                                Assert.True(x[(first * s.Batch + b) * c + k] == y[at], $"{what} = {y[at]:R}, expected {x[(first * s.Batch + b) * c + k]:R}");
                                expectedDx[(first * s.Batch + b) * c + k] += dy[at];
                            }
                        }
                    }
                }
                for (int i = 0; i < x.Length; i++)
                {
                    int b = i / c % s.Batch, t = i / c / s.Batch;
                    if (b >= s.Rows || t >= s.Length) Assert.Equal(Guard, dx[i]);
                    else Near(expectedDx[i], Math.Abs(expectedDx[i]), dx[i], $"c {c}, {s}, grid {grid}: dx[{i}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Average_windows_and_their_gradients_match_double_loops(int c)
    {
        foreach (Window s in Windows().Where(w => w.Dilation == 1))
        {
            float[] x = Random(s.MaxTime * s.Batch * c, 3), dy = Random(s.OutMax * s.Batch * c, 4);
            float[] y = Guarded(s.OutMax * s.Batch * c), dx = Guarded(x.Length);
            Pooling.AverageForward(x, y, s.Batch, s.MaxTime, s.Rows, s.Length, s.RowLengths, c, s.K, s.Stride, s.Padding, s.CountIncludePad);
            Pooling.AverageBackward(dy, dx, s.Batch, s.MaxTime, s.Rows, s.Length, s.RowLengths, c, s.K, s.Stride, s.Padding, s.CountIncludePad);
            var expectedDx = new double[x.Length];
            var scaleDx = new double[x.Length];
            for (int b = 0; b < s.Batch; b++)
            {
                int rowOut = Pooling.OutputLength(s.RowLength(b), s.K, s.Stride, s.Padding, 1);
                for (int t = 0; t < s.OutMax; t++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        int at = (t * s.Batch + b) * c + k;
                        if (b >= s.Rows || t >= s.OutLength) Assert.Equal(Guard, y[at]);
                        else if (t >= rowOut) Assert.Equal(0f, y[at]);
                        else
                        {
                            int[] taps = s.Taps(b, t).ToArray();
                            double divisor = s.CountIncludePad ? s.K : taps.Length, sum = 0, scale = 0;
                            foreach (int r in taps)
                            {
                                double v = x[(r * s.Batch + b) * c + k];
                                sum += v;
                                scale += Math.Abs(v);
                                expectedDx[(r * s.Batch + b) * c + k] += dy[at] / divisor;
                                scaleDx[(r * s.Batch + b) * c + k] += Math.Abs(dy[at] / divisor);
                            }
                            Near(sum / divisor, scale, y[at], $"c {c}, {s}: y[{t}, {b}, {k}]");
                        }
                    }
                }
            }
            for (int i = 0; i < x.Length; i++)
            {
                int b = i / c % s.Batch, t = i / c / s.Batch;
                if (b >= s.Rows || t >= s.Length) Assert.Equal(Guard, dx[i]);
                else Near(expectedDx[i], scaleDx[i], dx[i], $"c {c}, {s}: dx[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Pooling_over_time_its_gradient_and_its_streaming_step_match_double_loops(int c)
    {
        const int batch = 3, maxTime = 14, rows = 2, length = 12;
        int[] rowLengths = [12, 5, 9];
        foreach (PoolingKind kind in new[] { PoolingKind.Mean, PoolingKind.Max, PoolingKind.Last })
        {
            foreach (bool grid in new[] { false, true })
            {
                float[] x = Random(maxTime * batch * c, 5, grid), dy = Random(batch * c, 6);
                float[] y = Guarded(batch * c), dx = Guarded(x.Length);
                Pooling.OverTime(kind, x, y, batch, maxTime, rows, length, rowLengths, c);
                Pooling.OverTimeBackward(kind, x, y, dy, dx, batch, maxTime, rows, length, rowLengths, c);
                var expectedDx = new double[x.Length];
                for (int b = 0; b < batch; b++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        int at = b * c + k;
                        if (b >= rows)
                        {
                            Assert.Equal(Guard, y[at]);
                            continue;
                        }
                        int n = rowLengths[b];
                        double Value(int t) => x[(t * batch + b) * c + k];
                        string what = $"c {c}, {kind}, grid {grid}: y[{b}, {k}]";
                        switch (kind)
                        {
                            case PoolingKind.Mean:
                                Near(Enumerable.Range(0, n).Sum(Value) / n, Enumerable.Range(0, n).Sum(t => Math.Abs(Value(t))), y[at], what);
                                for (int t = 0; t < n; t++) expectedDx[(t * batch + b) * c + k] = dy[at] / (double)n;
                                break;
                            case PoolingKind.Max:
                                int first = Enumerable.Range(0, n).Aggregate(0, (best, t) => Value(t) > Value(best) ? t : best);
                                Assert.True(Value(first) == y[at], $"{what} = {y[at]:R}, expected {Value(first):R}");
                                expectedDx[(first * batch + b) * c + k] = dy[at];
                                break;
                            default:
                                Assert.True(Value(n - 1) == y[at], $"{what} = {y[at]:R}, expected {Value(n - 1):R}");
                                expectedDx[((n - 1) * batch + b) * c + k] = dy[at];
                                break;
                        }
                    }
                }
                for (int i = 0; i < x.Length; i++)
                {
                    int b = i / c % batch, t = i / c / batch;
                    if (b >= rows || t >= length) Assert.Equal(Guard, dx[i]);
                    else Near(expectedDx[i], Math.Abs(expectedDx[i]), dx[i], $"c {c}, {kind}, grid {grid}: dx[{i}]");
                }

                // Streaming: after n steps, the step's output is OverTime over those n steps, the same floats.
                var running = new float[batch * c];
                running.AsSpan().Fill(kind == PoolingKind.Max ? float.NegativeInfinity : 0f);
                var stepOutput = new float[batch * c];
                var whole = new float[batch * c];
                for (int n = 1; n <= maxTime; n++)
                {
                    Pooling.Step(kind, x.AsSpan((n - 1) * batch * c, batch * c), running, stepOutput, n, batch, c);
                    Pooling.OverTime(kind, x, whole, batch, maxTime, batch, n, default, c);
                    Assert.Equal(whole, stepOutput);
                }
            }
        }
    }

    [Fact]
    public void Spans_too_short_and_bad_sizes_are_refused_naming_them()
    {
        var x = new float[10 * 2 * 3];
        var y = new float[5 * 2 * 3];
        Assert.Throws<ArgumentException>("input", () => Pooling.MaxForward(x.AsSpan(1), y, 2, 10, 2, 10, default, 3, 2, 2, 0, 1));
        Assert.Throws<ArgumentException>("output", () => Pooling.MaxForward(x, y.AsSpan(1), 2, 10, 2, 10, default, 3, 2, 2, 0, 1));
        Assert.Throws<ArgumentException>("outputGradient", () => Pooling.AverageBackward(y.AsSpan(1), x, 2, 10, 2, 10, default, 3, 2, 2, 0, true));
        Assert.Throws<ArgumentException>("inputGradient", () => Pooling.MaxBackward(x, y, y, x.AsSpan(1), 2, 10, 2, 10, default, 3, 2, 2, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("padding", () => Pooling.MaxForward(x, y, 2, 10, 2, 10, default, 3, 2, 2, 2, 1));
        Assert.Throws<ArgumentException>("rowLengths", () => Pooling.MaxForward(x, y, 2, 10, 2, 10, [10, 1], 3, 2, 2, 0, 1));
        Assert.Throws<ArgumentException>("output", () => Pooling.OverTime(PoolingKind.Mean, x, y.AsSpan(0, 5), 2, 10, 2, 10, default, 3));
        Assert.Throws<ArgumentException>("running", () => Pooling.Step(PoolingKind.Max, x.AsSpan(0, 6), y.AsSpan(0, 5), y, 1, 2, 3));
    }

    [Fact]
    public void The_kernels_allocate_nothing()
    {
        var x = new float[10 * 2 * 3];
        var y = new float[5 * 2 * 3];
        var dx = new float[x.Length];
        int[] lengths = [10, 7];
        Assert.Equal(0, Allocations.Of(() => Pooling.MaxForward(x, y, 2, 10, 2, 10, lengths, 3, 2, 2, 0, 1)));
        Assert.Equal(0, Allocations.Of(() => Pooling.MaxBackward(x, y, y, dx, 2, 10, 2, 10, lengths, 3, 2, 2, 0, 1)));
        Assert.Equal(0, Allocations.Of(() => Pooling.AverageForward(x, y, 2, 10, 2, 10, lengths, 3, 2, 2, 0, false)));
        Assert.Equal(0, Allocations.Of(() => Pooling.OverTimeBackward(PoolingKind.Max, x, y.AsSpan(0, 6), y.AsSpan(0, 6), dx, 2, 10, 2, 10, lengths, 3)));
    }
}
