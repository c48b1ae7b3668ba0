using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>Positional encodings: the sinusoidal table, and adding a table's rows to time-major activations.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Positions
{
    /// <summary>
    /// Fills <paramref name="table"/> (<c>[rows, width]</c>) with the sinusoidal encoding of PyTorch's transformer tutorial:
    /// <c>table[t, 2i] = sin(t·div[i])</c>, <c>table[t, 2i + 1] = cos(t·div[i])</c> with <c>div[i] = exp(2i·(−ln 10000 / width))</c>
    /// (an odd width's last column is a sine without its cosine). Each step rounds to float32 where PyTorch's float32
    /// tensors do (the scale, the exponent, <c>div</c>, the angle), and the sines and cosines are those of the float32
    /// angle, rounded once: PyTorch's table to within its own sin, cos and exp rounding (an ulp or so).
    /// </summary>
    public static void Sinusoidal(Span<float> table, int rows, int width)
    {
        if (rows < 0 || width <= 0) throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(width));
        if (table.Length < rows * width) throw new ArgumentException($"Expected at least [{rows}, {width}] floats, got {table.Length}.", nameof(table));
        float scale = (float)(-Math.Log(10000.0) / width); // -math.log(10000.0) / d_model, a float32 tensor's factor
        for (int i = 0; 2 * i < width; i++)
        {
            float div = (float)Math.Exp((float)(2 * i) * scale); // torch.exp(torch.arange(0, d, 2) * scale)
            for (int t = 0; t < rows; t++)
            {
                float angle = t * div; // position * div_term, in float32
                table[t * width + 2 * i] = (float)Math.Sin(angle);
                if (2 * i + 1 < width) table[t * width + 2 * i + 1] = (float)Math.Cos(angle);
            }
        }
    }

    /// <summary>
    /// <c>y[t, b, :] = x[t, b, :] + table[t, :]</c> for <c>t &lt; steps</c> and <c>b &lt; batch</c>, on time-major
    /// <c>[steps, batch, width]</c> rows (<paramref name="x"/> and <paramref name="y"/> may be the same span).
    /// </summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> table, Span<float> y, int steps, int batch, int width)
    {
        int count = steps * batch * width;
        if (x.Length < count) throw new ArgumentException($"Expected at least [{steps}, {batch}, {width}] floats, got {x.Length}.", nameof(x));
        if (y.Length < count) throw new ArgumentException($"Expected at least [{steps}, {batch}, {width}] floats, got {y.Length}.", nameof(y));
        if (table.Length < steps * width) throw new ArgumentException($"Expected at least [{steps}, {width}] floats, got {table.Length}.", nameof(table));
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<float> row = table.Slice(t * width, width);
            for (int b = 0; b < batch; b++)
            {
                int at = (t * batch + b) * width;
                TensorPrimitives.Add(x.Slice(at, width), row, y.Slice(at, width));
            }
        }
    }

    /// <summary><c>∂table[t, :] += Σ_b ∂y[t, b, :]</c> for <c>t &lt; steps</c>, from time-major <c>[steps, batch, width]</c> rows.</summary>
    public static void GradientAdd(ReadOnlySpan<float> outputGradient, Span<float> tableGradient, int steps, int batch, int width)
    {
        if (outputGradient.Length < steps * batch * width)
            throw new ArgumentException($"Expected at least [{steps}, {batch}, {width}] floats, got {outputGradient.Length}.", nameof(outputGradient));
        if (tableGradient.Length < steps * width) throw new ArgumentException($"Expected at least [{steps}, {width}] floats, got {tableGradient.Length}.", nameof(tableGradient));
        for (int t = 0; t < steps; t++)
        {
            Span<float> row = tableGradient.Slice(t * width, width);
            for (int b = 0; b < batch; b++) TensorPrimitives.Add(row, outputGradient.Slice((t * batch + b) * width, width), row);
        }
    }
}
