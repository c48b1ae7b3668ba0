using System.ComponentModel;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// Pooling over time on the time-major layout of Unroll's arena (input <c>[maxTime, batch, channels]</c>): windows as
/// <c>torch.nn.MaxPool1d(k, stride, padding, dilation)</c> and <c>torch.nn.AvgPool1d(k, stride, padding,
/// count_include_pad)</c> (output <c>[outMax, batch, channels]</c>, <c>outTime = ⌊(time + 2·padding − dilation·(k − 1) − 1) /
/// stride⌋ + 1</c>, ceil_mode off), and a row's whole sequence (<see cref="OverTime"/>: mean, max or last step, output
/// <c>[batch, channels]</c>).
/// </summary>
/// <remarks>
/// <para>
/// Rows <c>b &lt; rows ≤ batch</c> of a run of <c>length ≤ maxTime</c> steps are computed (buffers keep their full
/// <c>maxTime × batch</c> shape). Each row is a sequence of its own: its first <c>rowLengths[b]</c> steps (all
/// <c>length</c> when <c>rowLengths</c> is empty), padded at its own ends, as PyTorch pools the row alone; its output steps
/// from <c>OutputLength(rowLengths[b])</c> up to <c>OutputLength(length)</c> are zeros, and so is the input gradient past its
/// length. Steps from <c>OutputLength(length)</c> on and rows from <c>rows</c> on are left as they are.
/// </para>
/// <para>
/// Max pooling pads with −∞, which is never chosen (PyTorch requires <c>padding ≤ k/2</c>, so every window holds a step of
/// the row). Its gradient goes to the window's first step holding the maximum (the first of ties, as PyTorch's CPU kernel
/// picks), found again from the input and output, so no indices are kept; a NaN output passes no gradient on. Average
/// pooling divides by <c>k</c> with <c>countIncludePad</c> (the padding's zeros counted), else by the window's steps inside
/// the row.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pooling
{
    /// <summary>
    /// The number of output steps of a window of <paramref name="kernelSize"/> taps over <paramref name="time"/> input steps,
    /// PyTorch's <c>⌊(time + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1</c>, or 0 when the window is longer than the padded input.
    /// </summary>
    public static int OutputLength(int time, int kernelSize, int stride, int padding, int dilation)
    {
        int padded = time + 2 * padding, reach = dilation * (kernelSize - 1) + 1;
        return padded < reach ? 0 : (padded - reach) / stride + 1;
    }

    /// <summary>
    /// <c>output[t, b, c] = max_j input[t·stride + j·dilation − padding, b, c]</c> over the taps inside row b's steps, for
    /// rows <c>b &lt; rows</c> and steps <c>t &lt; OutputLength(rowLengths[b])</c>; zeros up to <c>OutputLength(length)</c>.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> input, Span<float> output, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths,
        int channels, int kernelSize, int stride, int padding, int dilation)
    {
        int outLength = CheckWindow(input.Length, output.Length, nameof(output), batch, maxTime, rows, length, rowLengths, channels, kernelSize, stride, padding, dilation);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOut = OutputLength(rowLength, kernelSize, stride, padding, dilation);
            for (int t = 0; t < outLength; t++)
            {
                Span<float> y = output.Slice(t * step + b * channels, channels);
                if (t >= rowOut)
                {
                    y.Clear();
                    continue;
                }
                (int r0, int m) = Taps(t, rowLength, kernelSize, stride, padding, dilation);
                // y = x[r0], then y = max(y, x[r]) over the window's other steps (a NaN stays)
                input.Slice(r0 * step + b * channels, channels).CopyTo(y);
                for (int j = 1; j < m; j++) TensorPrimitives.Max(y, input.Slice((r0 + j * dilation) * step + b * channels, channels), y);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="MaxForward"/>: writes the input gradient of steps <c>t &lt; length</c> of rows <c>b &lt; rows</c>,
    /// each output step's gradient going to the first step of its window that holds its maximum (<paramref name="output"/>,
    /// as <see cref="MaxForward"/> wrote it), zeros elsewhere.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int channels, int kernelSize, int stride, int padding, int dilation)
    {
        int outLength = CheckWindow(input.Length, output.Length, nameof(output), batch, maxTime, rows, length, rowLengths, channels, kernelSize, stride, padding, dilation);
        int outMax = OutputLength(maxTime, kernelSize, stride, padding, dilation);
        CheckLength(outputGradient.Length, outMax * batch * channels, nameof(outputGradient), outMax, batch, channels);
        CheckLength(inputGradient.Length, maxTime * batch * channels, nameof(inputGradient), maxTime, batch, channels);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOut = Math.Min(outLength, OutputLength(rowLength, kernelSize, stride, padding, dilation));
            for (int t = 0; t < length; t++) inputGradient.Slice(t * step + b * channels, channels).Clear();
            for (int t = 0; t < rowOut; t++)
            {
                (int r0, int m) = Taps(t, rowLength, kernelSize, stride, padding, dilation);
                int at = t * step + b * channels;
                MaxGradient(input.Slice(r0 * step + b * channels), dilation * step, m, output.Slice(at, channels), outputGradient.Slice(at, channels),
                    inputGradient.Slice(r0 * step + b * channels));
            }
        }
    }

    /// <summary>
    /// <c>output[t, b, c] = Σ_j input[t·stride + j − padding, b, c] / divisor</c> over the taps inside row b's steps, the
    /// divisor <c>k</c> with <paramref name="countIncludePad"/>, else the number of those taps; for rows <c>b &lt; rows</c> and
    /// steps <c>t &lt; OutputLength(rowLengths[b])</c>, zeros up to <c>OutputLength(length)</c>.
    /// </summary>
    public static void AverageForward(ReadOnlySpan<float> input, Span<float> output, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths,
        int channels, int kernelSize, int stride, int padding, bool countIncludePad)
    {
        int outLength = CheckWindow(input.Length, output.Length, nameof(output), batch, maxTime, rows, length, rowLengths, channels, kernelSize, stride, padding, 1);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOut = OutputLength(rowLength, kernelSize, stride, padding, 1);
            for (int t = 0; t < outLength; t++)
            {
                Span<float> y = output.Slice(t * step + b * channels, channels);
                if (t >= rowOut)
                {
                    y.Clear();
                    continue;
                }
                (int r0, int m) = Taps(t, rowLength, kernelSize, stride, padding, 1);
                // y = (x[r0] + … + x[r0 + m − 1]) / divisor
                input.Slice(r0 * step + b * channels, channels).CopyTo(y);
                for (int j = 1; j < m; j++) TensorPrimitives.Add(y, input.Slice((r0 + j) * step + b * channels, channels), y);
                TensorPrimitives.Divide(y, countIncludePad ? kernelSize : m, y);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="AverageForward"/>: writes the input gradient of steps <c>t &lt; length</c> of rows
    /// <c>b &lt; rows</c>, <c>Σ_t ∂output[t] / divisor</c> over the windows that hold the step, zeros past the row.
    /// </summary>
    public static void AverageBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths,
        int channels, int kernelSize, int stride, int padding, bool countIncludePad)
    {
        int outLength = CheckWindow(maxTime * batch * channels, outputGradient.Length, nameof(outputGradient), batch, maxTime, rows, length, rowLengths, channels, kernelSize, stride, padding, 1);
        CheckLength(inputGradient.Length, maxTime * batch * channels, nameof(inputGradient), maxTime, batch, channels);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOut = Math.Min(outLength, OutputLength(rowLength, kernelSize, stride, padding, 1));
            for (int t = 0; t < length; t++) inputGradient.Slice(t * step + b * channels, channels).Clear();
            for (int t = 0; t < rowOut; t++)
            {
                (int r0, int m) = Taps(t, rowLength, kernelSize, stride, padding, 1);
                ReadOnlySpan<float> dy = outputGradient.Slice(t * step + b * channels, channels);
                float scale = 1f / (countIncludePad ? kernelSize : m);
                for (int j = 0; j < m; j++)
                {
                    Span<float> dx = inputGradient.Slice((r0 + j) * step + b * channels, channels);
                    TensorPrimitives.MultiplyAdd(dy, scale, dx, dx);
                }
            }
        }
    }

    /// <summary>
    /// Pools each row's whole sequence, its first <c>rowLengths[b]</c> steps: <c>output[b, c]</c> is their mean, their maximum,
    /// or the last of them (<paramref name="kind"/>), for rows <c>b &lt; rows</c>.
    /// </summary>
    public static void OverTime(PoolingKind kind, ReadOnlySpan<float> input, Span<float> output, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int channels)
    {
        CheckOverTime(kind, input.Length, output.Length, batch, maxTime, rows, length, rowLengths, channels);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            Span<float> y = output.Slice(b * channels, channels);
            input.Slice((kind == PoolingKind.Last ? rowLength - 1 : 0) * step + b * channels, channels).CopyTo(y);
            if (kind == PoolingKind.Last) continue;
            for (int t = 1; t < rowLength; t++)
            {
                ReadOnlySpan<float> x = input.Slice(t * step + b * channels, channels);
                if (kind == PoolingKind.Max) TensorPrimitives.Max(y, x, y);
                else TensorPrimitives.Add(y, x, y);
            }
            if (kind == PoolingKind.Mean) TensorPrimitives.Divide(y, rowLength, y);
        }
    }

    /// <summary>
    /// Backward of <see cref="OverTime"/>: writes the input gradient of steps <c>t &lt; length</c> of rows <c>b &lt; rows</c>:
    /// <c>∂output[b] / rowLengths[b]</c> to each of the row's steps (mean), all of it to the first step holding the maximum
    /// (max, from <paramref name="output"/> as <see cref="OverTime"/> wrote it), or to the row's last step; zeros elsewhere.
    /// </summary>
    public static void OverTimeBackward(PoolingKind kind, ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int channels)
    {
        CheckOverTime(kind, input.Length, output.Length, batch, maxTime, rows, length, rowLengths, channels);
        CheckLength(outputGradient.Length, batch * channels, nameof(outputGradient), batch, channels);
        CheckLength(inputGradient.Length, maxTime * batch * channels, nameof(inputGradient), maxTime, batch, channels);
        int step = batch * channels;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            ReadOnlySpan<float> dy = outputGradient.Slice(b * channels, channels);
            for (int t = 0; t < length; t++)
            {
                Span<float> dx = inputGradient.Slice(t * step + b * channels, channels);
                if (kind == PoolingKind.Mean && t < rowLength) TensorPrimitives.Divide(dy, rowLength, dx);
                else if (kind == PoolingKind.Last && t == rowLength - 1) dy.CopyTo(dx);
                else dx.Clear();
            }
            if (kind == PoolingKind.Max)
                MaxGradient(input.Slice(b * channels), step, rowLength, output.Slice(b * channels, channels), dy, inputGradient.Slice(b * channels));
        }
    }

    /// <summary>
    /// One streaming step of <see cref="OverTime"/> for rows <c>b &lt; batch</c>: <paramref name="running"/> (<c>[batch,
    /// channels]</c>) holds the sum (mean) or the maximum (max, −∞ before the first step) of the steps so far and takes
    /// <paramref name="input"/> in; <paramref name="output"/> is then <see cref="OverTime"/> over the <paramref name="steps"/>
    /// steps so far (this one included), the same floats.
    /// </summary>
    public static void Step(PoolingKind kind, ReadOnlySpan<float> input, Span<float> running, Span<float> output, int steps, int batch, int channels)
    {
        int count = batch * channels;
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be positive.");
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be positive.");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The steps so far, this one included, must be positive.");
        CheckLength(input.Length, count, nameof(input), batch, channels);
        CheckLength(output.Length, count, nameof(output), batch, channels);
        if (kind != PoolingKind.Last) CheckLength(running.Length, count, nameof(running), batch, channels);
        switch (kind)
        {
            case PoolingKind.Mean:
                // running += x; y = running / steps
                TensorPrimitives.Add(running.Slice(0, count), input.Slice(0, count), running);
                TensorPrimitives.Divide(running.Slice(0, count), steps, output);
                break;
            case PoolingKind.Max:
                // running = max(running, x); y = running
                TensorPrimitives.Max(running.Slice(0, count), input.Slice(0, count), running);
                running.Slice(0, count).CopyTo(output);
                break;
            case PoolingKind.Last:
                input.Slice(0, count).CopyTo(output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a pooling kind.");
        }
    }

    /// <summary>The first input step of output step <paramref name="t"/>'s window inside a row of <paramref name="length"/> steps, and how many of its taps fall inside.</summary>
    private static (int R0, int M) Taps(int t, int length, int kernelSize, int stride, int padding, int dilation)
    {
        int start = t * stride - padding;                          // tap 0's step
        int j0 = start >= 0 ? 0 : (-start + dilation - 1) / dilation;  // first tap at step ≥ 0
        int j1 = Math.Min(kernelSize - 1, (length - 1 - start) / dilation); // last tap at step < length
        return (start + j0 * dilation, j1 - j0 + 1);
    }

    /// <summary>
    /// <c>dx[j·ld] += dy</c> where <c>x[j·ld] = y</c> for the first such tap <c>j &lt; taps</c> of each channel: the remaining
    /// gradient of a channel goes to the first tap equal to its maximum and no further. Vectorised across the channels.
    /// </summary>
    private static void MaxGradient(ReadOnlySpan<float> x, int ld, int taps, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = y.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dxs = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated) i = MaxGradient<Vector512<float>, W512>(ref xs, ld, taps, ref ys, ref dys, ref dxs, i, n);
        if (Vector256.IsHardwareAccelerated) i = MaxGradient<Vector256<float>, W256>(ref xs, ld, taps, ref ys, ref dys, ref dxs, i, n);
        if (Vector128.IsHardwareAccelerated) i = MaxGradient<Vector128<float>, W128>(ref xs, ld, taps, ref ys, ref dys, ref dxs, i, n);
        MaxGradient<float, W1>(ref xs, ld, taps, ref ys, ref dys, ref dxs, i, n);
    }

    /// <summary>Channels <paramref name="i"/> on, a whole vector at a time; returns the first channel left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MaxGradient<TVector, TWidth>(ref float x, int ld, int taps, ref float y, ref float dy, ref float dx, int i, int n)
        where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector zero = TWidth.Broadcast(0f);
        for (; i <= n - TWidth.Count; i += TWidth.Count)
        {
            TVector max = TWidth.Load(ref y, (nuint)i), remaining = TWidth.Load(ref dy, (nuint)i);
            for (int j = 0; j < taps; j++)
            {
                nuint at = (nuint)(j * ld + i);
                TVector value = TWidth.Load(ref x, at);
                TVector equal = TWidth.Select(TWidth.LessThanOrEqual(value, max), TWidth.LessThanOrEqual(max, value), zero); // x = max
                TWidth.Store(TWidth.Add(TWidth.Load(ref dx, at), TWidth.Select(equal, remaining, zero)), ref dx, at);
                remaining = TWidth.Select(equal, zero, remaining);
            }
        }
        return i;
    }

    /// <summary>Checks a window's sizes and spans (input and output); returns the output length of <paramref name="length"/> steps.</summary>
    private static int CheckWindow(int inputLength, int outputLength, string outputName, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths,
        int channels, int kernelSize, int stride, int padding, int dilation)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be positive.");
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "The kernel size must be positive.");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be positive.");
        if (dilation <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "The dilation must be positive.");
        if (padding < 0 || padding > kernelSize / 2)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"The padding must be from 0 to half the kernel size ({kernelSize / 2}).");
        CheckRows(batch, maxTime, rows, length);
        int outMax = OutputLength(maxTime, kernelSize, stride, padding, dilation);
        if (outMax == 0)
            throw new ArgumentException($"The window reaches {dilation * (kernelSize - 1) + 1} steps (size {kernelSize}, dilation {dilation}), longer than {maxTime} steps padded by {padding} on each side.", nameof(kernelSize));
        CheckLength(inputLength, maxTime * batch * channels, "input", maxTime, batch, channels);
        CheckLength(outputLength, outMax * batch * channels, outputName, outMax, batch, channels);
        int outLength = OutputLength(length, kernelSize, stride, padding, dilation);
        if (outLength == 0)
            throw new ArgumentException($"The window reaches {dilation * (kernelSize - 1) + 1} steps (size {kernelSize}, dilation {dilation}), longer than {length} steps padded by {padding} on each side.", nameof(length));
        CheckRowLengths(rowLengths, rows, length, kernelSize, stride, padding, dilation);
        return outLength;
    }

    private static void CheckOverTime(PoolingKind kind, int inputLength, int outputLength, int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int channels)
    {
        if (kind is not (PoolingKind.Mean or PoolingKind.Max or PoolingKind.Last)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a pooling kind.");
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be positive.");
        CheckRows(batch, maxTime, rows, length);
        CheckLength(inputLength, maxTime * batch * channels, "input", maxTime, batch, channels);
        CheckLength(outputLength, batch * channels, "output", batch, channels);
        CheckRowLengths(rowLengths, rows, length, 1, 1, 0, 1);
    }

    private static void CheckRows(int batch, int maxTime, int rows, int length)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be positive.");
        if (rows < 0 || rows > batch) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Expected 0 to {batch} rows.");
        if (maxTime <= 0) throw new ArgumentOutOfRangeException(nameof(maxTime), maxTime, "The time must be positive.");
        if (length <= 0 || length > maxTime) throw new ArgumentOutOfRangeException(nameof(length), length, $"Expected a length from 1 to {maxTime}.");
    }

    /// <summary>Each row's length from 1 to <paramref name="length"/>, and long enough for one window.</summary>
    private static void CheckRowLengths(ReadOnlySpan<int> rowLengths, int rows, int length, int kernelSize, int stride, int padding, int dilation)
    {
        if (rowLengths.IsEmpty) return;
        if (rowLengths.Length < rows) throw new ArgumentException($"Expected a length for each of the {rows} rows, got {rowLengths.Length}.", nameof(rowLengths));
        for (int b = 0; b < rows; b++)
        {
            if (rowLengths[b] < 1 || rowLengths[b] > length || OutputLength(rowLengths[b], kernelSize, stride, padding, dilation) == 0)
                throw new ArgumentException($"Row {b} has {rowLengths[b]} steps; expected 1 to {length}, and enough for one window.", nameof(rowLengths));
        }
    }

    /// <summary>Throws when a span holds fewer than <paramref name="expected"/> floats; the message names its shape (formatted only then).</summary>
    private static void CheckLength(int actual, int expected, string name, int d0, int d1, int d2 = -1)
    {
        if (actual < expected)
        {
            string shape = d2 < 0 ? string.Create(CultureInfo.InvariantCulture, $"[{d0}, {d1}]") : string.Create(CultureInfo.InvariantCulture, $"[{d0}, {d1}, {d2}]");
            throw new ArgumentException($"Expected at least {expected} floats ({shape}), got {actual}.", name);
        }
    }
}
