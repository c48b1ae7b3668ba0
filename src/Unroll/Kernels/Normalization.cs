using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// Layer normalisation of every row, as <c>torch.nn.LayerNorm(features, eps)</c>:
/// <c>y = (x − mean) / √(var + eps) ⊙ weight + bias</c>, with the biased variance of the row; and batch normalisation of
/// every feature over the real steps of time-major rows, as <c>torch.nn.BatchNorm1d</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Normalization
{
    /// <summary>
    /// Normalises <paramref name="rows"/> rows of <paramref name="features"/>; keeps the normalised
    /// rows <paramref name="normalized"/> and each row's <c>1/√(var + eps)</c> in <paramref name="inverseDeviation"/> for backward.
    /// </summary>
    public static void LayerNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> normalized, Span<float> inverseDeviation, int rows, int features, float epsilon)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * features, features);
            Span<float> xhat = normalized.Slice(r * features, features);
            float mean = TensorPrimitives.Sum(row) / features;
            TensorPrimitives.Subtract(row, mean, xhat);
            float variance = TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)xhat) / features;
            float inverse = 1f / MathF.Sqrt(variance + epsilon);
            inverseDeviation[r] = inverse;
            TensorPrimitives.Multiply(xhat, inverse, xhat);
            Span<float> target = y.Slice(r * features, features);
            TensorPrimitives.MultiplyAdd(xhat, weight, bias, target);
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNormForward"/>: adds into the weight and bias gradients and writes
    /// <c>∂x = inv/N · (N·g − Σg − x̂·Σ(g ⊙ x̂))</c> with <c>g = ∂y ⊙ weight</c> (<paramref name="inputGradient"/> may be empty).
    /// <paramref name="scratch"/> holds one row.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weight, ReadOnlySpan<float> normalized,
        ReadOnlySpan<float> inverseDeviation, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        Span<float> scratch, int rows, int features)
    {
        Span<float> g = scratch.Slice(0, features);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(r * features, features);
            ReadOnlySpan<float> xhat = normalized.Slice(r * features, features);
            if (!weightGradient.IsEmpty) TensorPrimitives.MultiplyAdd(dy, xhat, weightGradient, weightGradient);
            if (!biasGradient.IsEmpty) TensorPrimitives.Add(biasGradient, dy, biasGradient);
            if (inputGradient.IsEmpty) continue;

            TensorPrimitives.Multiply(dy, weight, g);
            float sum = TensorPrimitives.Sum((ReadOnlySpan<float>)g);
            float dot = TensorPrimitives.Dot(g, xhat);
            Span<float> dx = inputGradient.Slice(r * features, features);
            // dx = inv · (g − (Σg + x̂ · Σ(g ⊙ x̂)) / N)
            TensorPrimitives.Multiply(xhat, dot / features, dx);
            TensorPrimitives.Add(dx, sum / features, dx);
            TensorPrimitives.Subtract(g, dx, dx);
            TensorPrimitives.Multiply(dx, inverseDeviation[r], dx);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Batch normalisation over time-major rows [length, batch, features]: row b's step t is at (t·batch + b)·features,
    // and is real when b < rows and t < rowLengths[b] (every row has length steps when rowLengths is empty). Sums run
    // in double per feature, in row order, as PyTorch's CPU kernels accumulate (so every vector width gives the same bits).

    /// <summary>Features a block of the statistics keeps its double sums for, on the stack.</summary>
    private const int Block = 64;

    /// <summary>
    /// The mean and the biased variance of every feature over the real steps of the real rows (two passes: the mean, then
    /// the squared deviations from it), as <c>BatchNorm1d</c> computes them in training.
    /// </summary>
    /// <returns>The real values per feature, n (mean and variance are 0 when there are none).</returns>
    /// <exception cref="ArgumentException">A span is shorter than the sizes say, or a row length is outside 0 to <paramref name="length"/>.</exception>
    public static int BatchNormStatistics(ReadOnlySpan<float> input, ReadOnlySpan<int> rowLengths, int rows, int batch, int length, int features,
        Span<float> mean, Span<float> variance)
    {
        int n = CheckRows(input.Length, rowLengths, rows, batch, length, features, nameof(input));
        CheckFeatures(mean.Length, features, nameof(mean));
        CheckFeatures(variance.Length, features, nameof(variance));
        Span<double> sum = stackalloc double[Block];
        for (int f = 0; f < features; f += Block)
        {
            int width = Math.Min(Block, features - f);
            Span<double> s = sum.Slice(0, width);
            Span<float> m = mean.Slice(f, width);
            s.Clear();
            for (int t = 0; t < length; t++)
            {
                for (int b = 0; b < rows; b++)
                {
                    if (IsReal(rowLengths, length, b, t)) AddWidened(input.Slice((t * batch + b) * features + f, width), s);
                }
            }
            for (int j = 0; j < width; j++) m[j] = n == 0 ? 0f : (float)(s[j] / n);
            s.Clear();
            for (int t = 0; t < length; t++)
            {
                for (int b = 0; b < rows; b++)
                {
                    if (IsReal(rowLengths, length, b, t)) AddSquaredDeviations(input.Slice((t * batch + b) * features + f, width), m, s);
                }
            }
            for (int j = 0; j < width; j++) variance[f + j] = n == 0 ? 0f : (float)(s[j] / n);
        }
        return n;
    }

    /// <summary>
    /// <c>running = (1 − momentum)·running + momentum·batch</c> for the mean and for the unbiased variance
    /// (<c>variance·n/(n − 1)</c>), in double, as PyTorch updates its running statistics.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the others' features.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 2: no unbiased variance.</exception>
    public static void BatchNormUpdateRunningStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, int count, double momentum,
        Span<float> runningMean, Span<float> runningVariance)
    {
        int features = mean.Length;
        CheckFeatures(variance.Length, features, nameof(variance));
        CheckFeatures(runningMean.Length, features, nameof(runningMean));
        CheckFeatures(runningVariance.Length, features, nameof(runningVariance));
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "The unbiased variance needs more than 1 value per feature.");
        double unbiased = count / (count - 1.0);
        for (int f = 0; f < features; f++)
        {
            runningMean[f] = (float)(momentum * mean[f] + (1 - momentum) * runningMean[f]);
            runningVariance[f] = (float)(momentum * (variance[f] * unbiased) + (1 - momentum) * runningVariance[f]);
        }
    }

    /// <summary>
    /// Each feature's affine map from its statistics: <c>1/σ = 1/√(variance + eps)</c>, <c>scale = weight/σ</c> and
    /// <c>shift = bias − mean·scale</c> (weight 1 and bias 0 when the spans are empty), as PyTorch's CPU kernel folds them.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="mean"/>'s features.</exception>
    public static void BatchNormScale(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        double epsilon, Span<float> inverseDeviation, Span<float> scale, Span<float> shift)
    {
        int features = mean.Length;
        CheckFeatures(variance.Length, features, nameof(variance));
        if (!weight.IsEmpty) CheckFeatures(weight.Length, features, nameof(weight));
        if (!bias.IsEmpty) CheckFeatures(bias.Length, features, nameof(bias));
        CheckFeatures(inverseDeviation.Length, features, nameof(inverseDeviation));
        CheckFeatures(scale.Length, features, nameof(scale));
        CheckFeatures(shift.Length, features, nameof(shift));
        for (int f = 0; f < features; f++)
        {
            float inverse = (float)(1.0 / Math.Sqrt(variance[f] + epsilon));
            inverseDeviation[f] = inverse;
            scale[f] = weight.IsEmpty ? inverse : inverse * weight[f];
            shift[f] = (bias.IsEmpty ? 0f : bias[f]) - mean[f] * scale[f];
        }
    }

    /// <summary><c>y = x ⊙ scale + shift</c> on the real steps of the real rows, 0 on the others (padding, rows past the batch).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes say, or a row length is outside 0 to <paramref name="length"/>.</exception>
    public static void BatchNormApply(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output,
        ReadOnlySpan<int> rowLengths, int rows, int batch, int length, int features)
    {
        CheckRows(input.Length, rowLengths, rows, batch, length, features, nameof(input));
        CheckFeatures(scale.Length, features, nameof(scale));
        CheckFeatures(shift.Length, features, nameof(shift));
        CheckFeatures(output.Length, length * batch * features, nameof(output));
        for (int t = 0; t < length; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int at = (t * batch + b) * features;
                Span<float> y = output.Slice(at, features);
                if (b < rows && IsReal(rowLengths, length, b, t)) TensorPrimitives.MultiplyAdd(input.Slice(at, features), scale.Slice(0, features), shift.Slice(0, features), y);
                else y.Clear();
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="BatchNormApply"/> over the real values, given each feature's mean and 1/σ: adds
    /// <c>Σ ∂y ⊙ x̂</c> (x̂ = (x − mean)/σ) into <paramref name="weightGradient"/> and <c>Σ ∂y</c> into
    /// <paramref name="biasGradient"/> (both empty without weight and bias), and writes <paramref name="inputGradient"/>
    /// (may be empty): with <paramref name="batchStatistics"/> (the statistics were the batch's, training)
    /// <c>∂x = (∂y − Σ∂y/n − (x − mean)·Σ(∂y ⊙ (x − mean))/(n·σ²))·weight/σ</c>, as PyTorch; otherwise (running statistics,
    /// a fixed affine map) <c>∂x = ∂y·weight/σ</c>. Padding and the rows past the batch get 0.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes say, or a row length is outside 0 to <paramref name="length"/>.</exception>
    public static void BatchNormBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> inverseDeviation, ReadOnlySpan<float> weight, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        ReadOnlySpan<int> rowLengths, int rows, int batch, int length, int features, bool batchStatistics)
    {
        int n = CheckRows(input.Length, rowLengths, rows, batch, length, features, nameof(input));
        CheckFeatures(outputGradient.Length, length * batch * features, nameof(outputGradient));
        CheckFeatures(mean.Length, features, nameof(mean));
        CheckFeatures(inverseDeviation.Length, features, nameof(inverseDeviation));
        if (!weight.IsEmpty) CheckFeatures(weight.Length, features, nameof(weight));
        if (!weightGradient.IsEmpty) CheckFeatures(weightGradient.Length, features, nameof(weightGradient));
        if (!biasGradient.IsEmpty) CheckFeatures(biasGradient.Length, features, nameof(biasGradient));
        if (!inputGradient.IsEmpty) CheckFeatures(inputGradient.Length, length * batch * features, nameof(inputGradient));

        Span<double> sum = stackalloc double[Block], dot = stackalloc double[Block];
        Span<float> gain = stackalloc float[Block], slope = stackalloc float[Block], offset = stackalloc float[Block];
        for (int f = 0; f < features; f += Block)
        {
            int width = Math.Min(Block, features - f);
            Span<double> s = sum.Slice(0, width), d = dot.Slice(0, width);
            ReadOnlySpan<float> m = mean.Slice(f, width);
            s.Clear();
            d.Clear();
            for (int t = 0; t < length; t++)
            {
                for (int b = 0; b < rows; b++)
                {
                    if (!IsReal(rowLengths, length, b, t)) continue;
                    int at = (t * batch + b) * features + f;
                    AddWidened(outputGradient.Slice(at, width), s);
                    AddCenteredProducts(input.Slice(at, width), m, outputGradient.Slice(at, width), d);
                }
            }
            for (int j = 0; j < width; j++)
            {
                float inverse = inverseDeviation[f + j];
                if (!weightGradient.IsEmpty) weightGradient[f + j] += (float)(d[j] * inverse);
                if (!biasGradient.IsEmpty) biasGradient[f + j] += (float)s[j];
                // ∂x = ∂y·gain + x·slope + offset: gain = weight/σ; in training slope = −gain·k, offset = gain·(k·mean − Σ∂y/n), k = Σ(∂y ⊙ (x − mean))/(n·σ²)
                gain[j] = weight.IsEmpty ? inverse : inverse * weight[f + j];
                float k = batchStatistics && n > 0 ? (float)(d[j] / n) * inverse * inverse : 0f;
                float gradientMean = batchStatistics && n > 0 ? (float)(s[j] / n) : 0f;
                slope[j] = -gain[j] * k;
                offset[j] = gain[j] * (k * m[j] - gradientMean);
            }
            if (inputGradient.IsEmpty) continue;
            for (int t = 0; t < length; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    int at = (t * batch + b) * features + f;
                    Span<float> dx = inputGradient.Slice(at, width);
                    if (b >= rows || !IsReal(rowLengths, length, b, t))
                    {
                        dx.Clear();
                        continue;
                    }
                    TensorPrimitives.MultiplyAdd(outputGradient.Slice(at, width), gain.Slice(0, width), offset.Slice(0, width), dx);
                    TensorPrimitives.MultiplyAdd(input.Slice(at, width), slope.Slice(0, width), dx, dx);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsReal(ReadOnlySpan<int> rowLengths, int length, int b, int t) => t < (rowLengths.IsEmpty ? length : rowLengths[b]);

    /// <summary>Checks the time-major input and the row lengths; returns the real values per feature.</summary>
    private static int CheckRows(int values, ReadOnlySpan<int> rowLengths, int rows, int batch, int length, int features, string name)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must have at least 1 row.");
        if (rows < 0 || rows > batch) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"The real rows must be 0 to the batch's {batch}.");
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The steps must not be negative.");
        if (features < 0) throw new ArgumentOutOfRangeException(nameof(features), features, "The features must not be negative.");
        CheckFeatures(values, (long)length * batch * features, name);
        if (rowLengths.IsEmpty) return rows * length;
        if (rowLengths.Length < rows) throw new ArgumentException($"Expected a length for each of the {rows} rows, but the span holds {rowLengths.Length}.", nameof(rowLengths));
        int n = 0;
        for (int b = 0; b < rows; b++)
        {
            if (rowLengths[b] < 0 || rowLengths[b] > length)
                throw new ArgumentException($"Row {b}'s length is {rowLengths[b]}, outside 0 to {length}.", nameof(rowLengths));
            n += rowLengths[b];
        }
        return n;
    }

    private static void CheckFeatures(int actual, long expected, string name)
    {
        if (actual < expected) throw new ArgumentException($"Expected at least {expected} values, but the span holds {actual}.", name);
    }

    /// <summary><c>sum += x</c>, each float widened to double.</summary>
    private static void AddWidened(ReadOnlySpan<float> x, Span<double> sum)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref double ss = ref MemoryMarshal.GetReference(sum);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= x.Length; i += 8)
            {
                AddWidened(Vector256.LoadUnsafe(ref xs, (nuint)i), ref ss, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= x.Length; i += 4)
            {
                AddWidened(Vector128.LoadUnsafe(ref xs, (nuint)i), ref ss, (nuint)i);
            }
        }
        for (; i < x.Length; i++) sum[i] += x[i];
    }

    /// <summary><c>sum[i..i + 8] += values</c>, widened to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(Vector256<float> values, ref double sum, nuint i)
    {
        var (low, high) = Vector256.Widen(values);
        (Vector256.LoadUnsafe(ref sum, i) + low).StoreUnsafe(ref sum, i);
        (Vector256.LoadUnsafe(ref sum, i + 4) + high).StoreUnsafe(ref sum, i + 4);
    }

    /// <summary><c>sum[i..i + 4] += values</c>, widened to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(Vector128<float> values, ref double sum, nuint i)
    {
        var (low, high) = Vector128.Widen(values);
        (Vector128.LoadUnsafe(ref sum, i) + low).StoreUnsafe(ref sum, i);
        (Vector128.LoadUnsafe(ref sum, i + 2) + high).StoreUnsafe(ref sum, i + 2);
    }

    /// <summary><c>sum += (x − mean)²</c>, the square in float (as PyTorch), widened to double.</summary>
    private static void AddSquaredDeviations(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, Span<double> sum) => AddCenteredProducts(x, mean, default, sum);

    /// <summary><c>sum += (x − mean)·g</c> (or <c>(x − mean)²</c> when <paramref name="g"/> is empty), the product in float, widened to double.</summary>
    private static void AddCenteredProducts(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> g, Span<double> sum)
    {
        bool square = g.IsEmpty;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ms = ref MemoryMarshal.GetReference(mean);
        ref float gs = ref square ? ref xs : ref MemoryMarshal.GetReference(g);
        ref double ss = ref MemoryMarshal.GetReference(sum);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= x.Length; i += 8)
            {
                Vector256<float> d = Vector256.LoadUnsafe(ref xs, (nuint)i) - Vector256.LoadUnsafe(ref ms, (nuint)i);
                AddWidened(d * (square ? d : Vector256.LoadUnsafe(ref gs, (nuint)i)), ref ss, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= x.Length; i += 4)
            {
                Vector128<float> d = Vector128.LoadUnsafe(ref xs, (nuint)i) - Vector128.LoadUnsafe(ref ms, (nuint)i);
                AddWidened(d * (square ? d : Vector128.LoadUnsafe(ref gs, (nuint)i)), ref ss, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - mean[i];
            sum[i] += d * (square ? d : g[i]);
        }
    }
}
