using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The batch-normalisation kernels of <see cref="Normalization"/> against double-precision loops from the definition, at
/// every feature count from 0 to 257 (every vector width's remainders), over time-major rows with padding, rows past the
/// batch and no time axis. CI runs the class again with AVX-512, AVX2 and all intrinsics switched off (its name matches
/// the <c>KernelSweep</c> filter).
/// </summary>
public class BatchNormKernelSweepTests
{
    private const double Eps = 1e-5, Momentum = 0.1;

    /// <summary>(batch, real rows, steps, row lengths): padded with a row past the batch, every step real, no time axis.</summary>
    private static readonly (int Batch, int Rows, int Length, int[] Lengths)[] Shapes =
    {
        (3, 2, 4, new[] { 4, 2, 0 }),
        (2, 2, 3, Array.Empty<int>()),
        (5, 4, 1, Array.Empty<int>()),
    };

    private static float[] Random(int n, ulong seed, float low = -1f, float high = 1f)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, low, high);
        return values;
    }

    private static void Near(double expected, float actual, double absolute, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= absolute + relative * Math.Abs(expected), $"{what} = {actual:R}, expected {expected:R}");

    [Fact]
    public void Statistics_forward_update_and_backward_match_double_loops_at_every_width()
    {
        for (int features = 0; features <= 257; features++)
        {
            foreach (var (batch, rows, length, lengths) in Shapes)
            {
                string at = $"features {features}, batch {batch}, rows {rows}, length {length}";
                int count = length * batch * features;
                float[] x = Random(count, (ulong)features + 1, -2f, 3f), weight = Random(features, 2, 0.5f, 1.5f), bias = Random(features, 3);
                float[] dy = Random(count, 4), runningMean = Random(features, 5), runningVar = Random(features, 6, 0.5f, 2f);
                bool Real(int t, int b) => b < rows && t < (lengths.Length == 0 ? length : lengths[b]);

                // The reference, per feature, in double.
                var mean = new double[features];
                var variance = new double[features];
                int n = 0;
                for (int t = 0; t < length; t++)
                    for (int b = 0; b < rows; b++)
                        if (Real(t, b)) n++;
                for (int f = 0; f < features; f++)
                {
                    double sum = 0, squares = 0;
                    for (int t = 0; t < length; t++)
                        for (int b = 0; b < batch; b++)
                            if (Real(t, b)) sum += x[(t * batch + b) * features + f];
                    mean[f] = sum / n;
                    for (int t = 0; t < length; t++)
                        for (int b = 0; b < batch; b++)
                            if (Real(t, b)) squares += Math.Pow(x[(t * batch + b) * features + f] - mean[f], 2);
                    variance[f] = squares / n;
                }

                float[] m = new float[features], v = new float[features], inverse = new float[features], scale = new float[features], shift = new float[features];
                Assert.Equal(n, Normalization.BatchNormStatistics(x, lengths, rows, batch, length, features, m, v));
                for (int f = 0; f < features; f++)
                {
                    Near(mean[f], m[f], 1e-7, 1e-6, $"{at}: mean[{f}]");
                    Near(variance[f], v[f], 1e-7, 1e-5, $"{at}: variance[{f}]");
                }

                float[] updatedMean = (float[])runningMean.Clone(), updatedVar = (float[])runningVar.Clone();
                Normalization.BatchNormUpdateRunningStatistics(m, v, n, Momentum, updatedMean, updatedVar);
                for (int f = 0; f < features; f++)
                {
                    Near((1 - Momentum) * runningMean[f] + Momentum * mean[f], updatedMean[f], 1e-7, 1e-6, $"{at}: running_mean[{f}]");
                    Near((1 - Momentum) * runningVar[f] + Momentum * variance[f] * n / (n - 1), updatedVar[f], 1e-7, 1e-5, $"{at}: running_var[{f}]");
                }

                foreach (bool training in new[] { true, false })
                {
                    string mode = training ? "training" : "evaluation";
                    float[] useMean = training ? m : runningMean;
                    double[] refMean = training ? mean : runningMean.Select(r => (double)r).ToArray();
                    double[] refVar = training ? variance : runningVar.Select(r => (double)r).ToArray();
                    Normalization.BatchNormScale(useMean, training ? v : runningVar, weight, bias, Eps, inverse, scale, shift);
                    float[] y = Enumerable.Repeat(7f, count).ToArray();
                    Normalization.BatchNormApply(x, scale, shift, y, lengths, rows, batch, length, features);

                    float[] dw = Enumerable.Repeat(0.5f, features).ToArray(), db = Enumerable.Repeat(-0.5f, features).ToArray();
                    float[] dx = Enumerable.Repeat(7f, count).ToArray();
                    Normalization.BatchNormBackward(dy, x, useMean, inverse, weight, dw, db, dx, lengths, rows, batch, length, features, batchStatistics: training);

                    for (int f = 0; f < features; f++)
                    {
                        double invstd = 1 / Math.Sqrt(refVar[f] + Eps);
                        double sumG = 0, sumGx = 0;
                        for (int t = 0; t < length; t++)
                            for (int b = 0; b < batch; b++)
                                if (Real(t, b))
                                {
                                    int i = (t * batch + b) * features + f;
                                    sumG += dy[i];
                                    sumGx += dy[i] * (x[i] - refMean[f]) * invstd;
                                }
                        Near(0.5 + sumGx, dw[f], 1e-5, 1e-5, $"{at}, {mode}: ∂weight[{f}]");
                        Near(-0.5 + sumG, db[f], 1e-5, 1e-5, $"{at}, {mode}: ∂bias[{f}]");
                        for (int t = 0; t < length; t++)
                            for (int b = 0; b < batch; b++)
                            {
                                int i = (t * batch + b) * features + f;
                                if (!Real(t, b))
                                {
                                    Assert.True(y[i] == 0f && dx[i] == 0f, $"{at}, {mode}: padding [{t}, {b}, {f}] gives y {y[i]}, ∂x {dx[i]}");
                                    continue;
                                }
                                double xhat = (x[i] - refMean[f]) * invstd;
                                Near(xhat * weight[f] + bias[f], y[i], 1e-5, 1e-5, $"{at}, {mode}: y[{t}, {b}, {f}]");
                                double expected = training ? weight[f] * invstd * (dy[i] - sumG / n - xhat * sumGx / n) : dy[i] * weight[f] * invstd;
                                Near(expected, dx[i], 2e-5, 1e-4, $"{at}, {mode}: ∂x[{t}, {b}, {f}]");
                            }
                    }
                }
            }
        }
    }

    [Fact]
    public void Without_weight_and_bias_the_map_is_the_normalisation_and_nothing_accumulates()
    {
        float[] x = { 1f, 2f, 3f, 6f }, m = new float[2], v = new float[2], inverse = new float[2], scale = new float[2], shift = new float[2], y = new float[4];
        Assert.Equal(2, Normalization.BatchNormStatistics(x, default, 2, 2, 1, 2, m, v));
        Assert.Equal(new[] { 2f, 4f }, m);
        Assert.Equal(new[] { 1f, 4f }, v);
        Normalization.BatchNormScale(m, v, default, default, 0, inverse, scale, shift);
        Normalization.BatchNormApply(x, scale, shift, y, default, 2, 2, 1, 2);
        Assert.Equal(new[] { -1f, -1f, 1f, 1f }, y);
        float[] dx = new float[4];
        Normalization.BatchNormBackward(new[] { 1f, 0f, 0f, 0f }, x, m, inverse, default, default, default, dx, default, 2, 2, 1, 2, batchStatistics: false);
        Assert.Equal(new[] { 1f, 0f, 0f, 0f }, dx);
    }

    [Fact]
    public void Spans_and_lengths_are_checked_by_name()
    {
        float[] x = new float[2 * 3 * 4], four = new float[4], three = new float[3];
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Normalization.BatchNormStatistics(x.AsSpan(1), default, 3, 3, 2, 4, four, four)).ParamName);
        Assert.Equal("variance", Assert.Throws<ArgumentException>(() => Normalization.BatchNormStatistics(x, default, 3, 3, 2, 4, four, three)).ParamName);
        Assert.Equal("rowLengths", Assert.Throws<ArgumentException>(() => Normalization.BatchNormStatistics(x, new[] { 2, 3, 1 }, 3, 3, 2, 4, four, four)).ParamName);
        Assert.Equal("rowLengths", Assert.Throws<ArgumentException>(() => Normalization.BatchNormStatistics(x, new[] { 2 }, 2, 3, 2, 4, four, four)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => Normalization.BatchNormStatistics(x, default, 4, 3, 2, 4, four, four)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Normalization.BatchNormApply(x, four, four, x.AsSpan(4), default, 3, 3, 2, 4)).ParamName);
        Assert.Equal("shift", Assert.Throws<ArgumentException>(() => Normalization.BatchNormScale(four, four, four, four, 1e-5, four, four, three)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => Normalization.BatchNormUpdateRunningStatistics(four, four, 1, 0.1, four, four)).ParamName);
        Assert.Equal("inputGradient", Assert.Throws<ArgumentException>(() =>
            Normalization.BatchNormBackward(x, x, four, four, four, four, four, x.AsSpan(1), default, 3, 3, 2, 4, batchStatistics: true)).ParamName);
    }

    [Fact]
    public void The_kernels_allocate_nothing()
    {
        float[] x = Random(3 * 4 * 70, 1), f = new float[70], y = new float[x.Length];
        int[] lengths = { 4, 2, 3 };
        Assert.Equal(0, Allocations.Of(() =>
        {
            _ = Normalization.BatchNormStatistics(x, lengths, 3, 3, 4, 70, f, f);
            Normalization.BatchNormApply(x, f, f, y, lengths, 3, 3, 4, 70);
            Normalization.BatchNormBackward(x, x, f, f, f, f, f, y, lengths, 3, 3, 4, 70, batchStatistics: true);
        }));
    }
}
