using System.ComponentModel;
using System.Globalization;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>
/// One-dimensional convolution over time, as <c>torch.nn.Conv1d(in, out, k, stride, padding, dilation, groups)</c>
/// (weight <c>[out, in/groups, k]</c>, bias <c>[out]</c>), on the time-major layout of Unroll's arena: input
/// <c>[maxTime, batch, in]</c>, output <c>[outMax, batch, out]</c> with
/// <c>outTime = ⌊(time + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1</c>. Padding is zeros, <c>padding</c>
/// steps on both sides; the causal form pads <c>(k − 1)·dilation</c> steps on the left only, so that
/// <c>outTime = ⌊(time − 1) / stride⌋ + 1</c> and output step <c>t</c> sees input steps up to <c>t·stride</c>.
/// </summary>
/// <remarks>
/// <para>
/// No im2col buffer: for each tap <c>j</c>, output steps <c>t</c> of a row take the input steps
/// <c>t·stride + j·dilation − left</c> that fall inside the row, which are evenly spaced (<c>stride·batch·in</c> floats
/// apart), so each row, tap and group is one <see cref="Blas.MultiplyTransposed"/> over strided rows, accumulated into the
/// output. The gradients are the same products the other way round (<see cref="Blas.Multiply"/> for the input,
/// <see cref="Blas.MultiplyTransposedAAdd"/> for the weight). Depthwise convolutions (one input and one output channel per
/// group) multiply whole rows instead, across channels.
/// </para>
/// <para>
/// The kernels read the weight packed by <see cref="PackWeights"/>: <c>packed[j, o, i] = weight[o, i, j]</c>, shape
/// <c>[k, out, in/groups]</c> (the tap axis moved first), so that each tap is one contiguous <c>[out, in/groups]</c> matrix
/// in PyTorch's linear-layer layout, group <c>g</c>'s rows being <c>g·out/groups</c> onwards. A depthwise weight packs to
/// <c>[k, channels]</c>. Parameters and gradients stay in PyTorch's <c>[out, in/groups, k]</c>; pack again after the
/// weight changes.
/// </para>
/// <para>
/// Rows <c>b &lt; rows ≤ batch</c> of a run of <c>length ≤ maxTime</c> steps are computed (buffers keep their full
/// <c>maxTime × batch</c> shape). Each row is a sequence of its own: its first <c>rowLengths[b]</c> steps (all
/// <c>length</c> when <c>rowLengths</c> is empty), zero-padded as that sequence would be, as PyTorch's convolution of the row
/// alone; its output steps from <c>OutputLength(rowLengths[b])</c> up to <c>OutputLength(length)</c> are zeros. Steps from
/// <c>OutputLength(length)</c> on and rows from <c>rows</c> on are left as they are.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Convolution
{
    /// <summary>
    /// The number of output steps for <paramref name="time"/> input steps, or 0 when the kernel's reach,
    /// <c>dilation·(k − 1) + 1</c>, is longer than the padded input.
    /// </summary>
    public static int OutputLength(int time, int kernelSize, int stride, int padding, int dilation, bool causal)
    {
        int padded = time + (causal ? dilation * (kernelSize - 1) : 2 * padding);
        int reach = dilation * (kernelSize - 1) + 1;
        return padded < reach ? 0 : (padded - reach) / stride + 1;
    }

    /// <summary>
    /// Packs PyTorch's weight <c>[out, in/groups, k]</c> into the layout the kernels read, <c>[k, out, in/groups]</c>:
    /// <c>packed[j, o, i] = weight[o, i, j]</c>.
    /// </summary>
    public static void PackWeights(ReadOnlySpan<float> weight, Span<float> packed, int inChannels, int outChannels, int kernelSize, int groups)
    {
        CheckChannels(inChannels, outChannels, kernelSize, groups);
        int inPerGroup = inChannels / groups, count = outChannels * inPerGroup * kernelSize;
        CheckLength(weight.Length, count, nameof(weight), "[{0}, {1}, {2}]", outChannels, inPerGroup, kernelSize);
        CheckLength(packed.Length, count, nameof(packed), "[{0}, {1}, {2}]", kernelSize, outChannels, inPerGroup);
        for (int o = 0; o < outChannels; o++)
        {
            for (int i = 0; i < inPerGroup; i++)
            {
                ReadOnlySpan<float> taps = weight.Slice((o * inPerGroup + i) * kernelSize, kernelSize);
                for (int j = 0; j < kernelSize; j++) packed[(j * outChannels + o) * inPerGroup + i] = taps[j];
            }
        }
    }

    /// <summary>
    /// <c>output[t, b, :] = bias + Σ_j weight[:, :, j] · input[t·stride + j·dilation − left, b, :]</c> (per group, zero
    /// outside row b's steps) for rows <c>b &lt; rows</c> and steps <c>t &lt; OutputLength(rowLengths[b])</c>, written, and
    /// zeros up to <c>OutputLength(length)</c>. <paramref name="packedWeight"/> comes from <see cref="PackWeights"/>;
    /// <paramref name="bias"/> may be empty (no bias); <paramref name="rowLengths"/> may be empty (every row <paramref name="length"/> steps).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> bias, Span<float> output,
        int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int inChannels, int outChannels, int kernelSize,
        int stride, int padding, int dilation, int groups, bool causal, PaddingMode paddingMode)
    {
        int outLength = Check(batch, maxTime, rows, length, rowLengths, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, causal, paddingMode);
        int outMax = OutputLength(maxTime, kernelSize, stride, padding, dilation, causal);
        CheckLength(input.Length, maxTime * batch * inChannels, nameof(input), "[{0}, {1}, {2}]", maxTime, batch, inChannels);
        CheckLength(packedWeight.Length, kernelSize * outChannels * (inChannels / groups), nameof(packedWeight), "[{0}, {1}, {2}]", kernelSize, outChannels, inChannels / groups);
        if (!bias.IsEmpty) CheckLength(bias.Length, outChannels, nameof(bias), "[{0}] or empty", outChannels);
        CheckLength(output.Length, outMax * batch * outChannels, nameof(output), "[{0}, {1}, {2}]", outMax, batch, outChannels);

        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        int left = causal ? dilation * (kernelSize - 1) : padding;
        int inStep = batch * inChannels, outStep = batch * outChannels; // floats between one row's consecutive steps
        bool depthwise = inPerGroup == 1 && outPerGroup == 1;
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOutLength = OutputLength(rowLength, kernelSize, stride, padding, dilation, causal);
            ReadOnlySpan<float> x = input.Slice(b * inChannels);
            Span<float> y = output.Slice(b * outChannels);
            // y[t, :] = bias (zeros past the row's output), then every tap adds its product.
            for (int t = 0; t < outLength; t++)
            {
                Span<float> row = y.Slice(t * outStep, outChannels);
                if (bias.IsEmpty || t >= rowOutLength) row.Clear();
                else bias.Slice(0, outChannels).CopyTo(row);
            }
            for (int j = 0; j < kernelSize; j++)
            {
                (int t0, int m, int r0) = Tap(j, rowLength, rowOutLength, stride, dilation, left);
                if (m <= 0) continue;
                ReadOnlySpan<float> tap = packedWeight.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                if (depthwise)
                {
                    // y[t, c] += x[r, c] · w[c, j] across the channels.
                    for (int t = 0; t < m; t++)
                    {
                        Span<float> target = y.Slice((t0 + t) * outStep, outChannels);
                        TensorPrimitives.MultiplyAdd(x.Slice((r0 + t * stride) * inStep, inChannels), tap, target, target);
                    }
                    continue;
                }
                // y[t, group] += x[r, group] · W_{j,group}ᵀ   (m x out/groups x in/groups), input steps stride·batch·in apart.
                for (int g = 0; g < groups; g++)
                {
                    Blas.MultiplyTransposed(x.Slice(r0 * inStep + g * inPerGroup), stride * inStep,
                        tap.Slice(g * outPerGroup * inPerGroup), inPerGroup, y.Slice(t0 * outStep + g * outPerGroup), outStep,
                        m, outPerGroup, inPerGroup, accumulate: true);
                }
            }
            if (paddingMode == PaddingMode.Zeros) continue;
            // Reflected, replicated or circular padding: the output steps whose taps fall in it read the row's own steps.
            for (int j = 0; j < kernelSize; j++)
            {
                (int t0, int m, _) = Tap(j, rowLength, rowOutLength, stride, dilation, left);
                ReadOnlySpan<float> tap = packedWeight.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                for (int t = 0; t < rowOutLength; t++)
                {
                    if (t >= t0 && t < t0 + m) continue; // inside the row: done above
                    int r = Padded(t * stride + j * dilation - left, rowLength, paddingMode) * inStep;
                    Span<float> target = y.Slice(t * outStep, outChannels);
                    if (depthwise)
                    {
                        TensorPrimitives.MultiplyAdd(x.Slice(r, inChannels), tap, target, target);
                        continue;
                    }
                    for (int g = 0; g < groups; g++)
                    {
                        Blas.MultiplyTransposed(x.Slice(r + g * inPerGroup), inChannels, tap.Slice(g * outPerGroup * inPerGroup), inPerGroup,
                            target.Slice(g * outPerGroup), outChannels, 1, outPerGroup, inPerGroup, accumulate: true);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/> from <paramref name="outputGradient"/> (<c>[outMax, batch, out]</c>, steps
    /// <c>t &lt; OutputLength(rowLengths[b])</c> of rows <c>b &lt; rows</c> read): adds into <paramref name="weightGradient"/>
    /// (PyTorch's <c>[out, in/groups, k]</c>; may be empty: a frozen weight) and <paramref name="biasGradient"/> (may be
    /// empty: no bias, or frozen), and, unless
    /// <paramref name="inputGradient"/> is empty, writes the input gradient of steps <c>t &lt; length</c> (zeros past a row's
    /// length), or adds into it when <paramref name="accumulate"/> is set (as <see cref="Blas.Multiply"/> does).
    /// <paramref name="scratch"/> holds the weight gradient in the packed layout (<c>k·out·in/groups</c> floats).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> packedWeight, ReadOnlySpan<float> outputGradient,
        Span<float> inputGradient, Span<float> weightGradient, Span<float> biasGradient, Span<float> scratch,
        int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int inChannels, int outChannels, int kernelSize,
        int stride, int padding, int dilation, int groups, bool causal, PaddingMode paddingMode, bool accumulate)
    {
        Check(batch, maxTime, rows, length, rowLengths, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, causal, paddingMode);
        int outMax = OutputLength(maxTime, kernelSize, stride, padding, dilation, causal);
        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups, weights = kernelSize * outChannels * inPerGroup;
        CheckLength(input.Length, maxTime * batch * inChannels, nameof(input), "[{0}, {1}, {2}]", maxTime, batch, inChannels);
        CheckLength(packedWeight.Length, weights, nameof(packedWeight), "[{0}, {1}, {2}]", kernelSize, outChannels, inPerGroup);
        CheckLength(outputGradient.Length, outMax * batch * outChannels, nameof(outputGradient), "[{0}, {1}, {2}]", outMax, batch, outChannels);
        if (!inputGradient.IsEmpty) CheckLength(inputGradient.Length, maxTime * batch * inChannels, nameof(inputGradient), "[{0}, {1}, {2}] or empty", maxTime, batch, inChannels);
        if (!weightGradient.IsEmpty) CheckLength(weightGradient.Length, weights, nameof(weightGradient), "[{0}, {1}, {2}] or empty", outChannels, inPerGroup, kernelSize);
        if (!biasGradient.IsEmpty) CheckLength(biasGradient.Length, outChannels, nameof(biasGradient), "[{0}] or empty", outChannels);
        CheckLength(scratch.Length, weights, nameof(scratch), "[{0}, {1}, {2}]", kernelSize, outChannels, inPerGroup);

        int left = causal ? dilation * (kernelSize - 1) : padding;
        int inStep = batch * inChannels, outStep = batch * outChannels;
        bool depthwise = inPerGroup == 1 && outPerGroup == 1, weighted = !weightGradient.IsEmpty;
        Span<float> packedGradient = scratch.Slice(0, weights);
        packedGradient.Clear();
        for (int b = 0; b < rows; b++)
        {
            int rowLength = rowLengths.IsEmpty ? length : rowLengths[b];
            int rowOutLength = OutputLength(rowLength, kernelSize, stride, padding, dilation, causal);
            ReadOnlySpan<float> x = input.Slice(b * inChannels);
            ReadOnlySpan<float> dy = outputGradient.Slice(b * outChannels);
            Span<float> dx = inputGradient.IsEmpty ? default : inputGradient.Slice(b * inChannels);
            if (!dx.IsEmpty && !accumulate)
            {
                for (int t = 0; t < length; t++) dx.Slice(t * inStep, inChannels).Clear();
            }
            // ∂bias += Σ_t ∂y[t, :]
            if (!biasGradient.IsEmpty) Blas.SumRowsAdd(dy, outStep, rowOutLength, outChannels, biasGradient);
            for (int j = 0; j < kernelSize; j++)
            {
                (int t0, int m, int r0) = Tap(j, rowLength, rowOutLength, stride, dilation, left);
                if (m <= 0) continue;
                ReadOnlySpan<float> tap = packedWeight.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                Span<float> tapGradient = packedGradient.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                if (depthwise)
                {
                    // ∂w[c, j] += ∂y[t, c] · x[r, c] and ∂x[r, c] += ∂y[t, c] · w[c, j] across the channels.
                    for (int t = 0; t < m; t++)
                    {
                        ReadOnlySpan<float> dyRow = dy.Slice((t0 + t) * outStep, outChannels);
                        int r = (r0 + t * stride) * inStep;
                        if (weighted) TensorPrimitives.MultiplyAdd(dyRow, x.Slice(r, inChannels), tapGradient, tapGradient);
                        if (dx.IsEmpty) continue;
                        Span<float> dxRow = dx.Slice(r, inChannels);
                        TensorPrimitives.MultiplyAdd(dyRow, tap, dxRow, dxRow);
                    }
                    continue;
                }
                for (int g = 0; g < groups; g++)
                {
                    ReadOnlySpan<float> dyBlock = dy.Slice(t0 * outStep + g * outPerGroup);
                    // ∂W_{j,group} += ∂y[t, group]ᵀ · x[r, group]   (out/groups x in/groups over m steps)
                    if (weighted)
                    {
                        Blas.MultiplyTransposedAAdd(dyBlock, outStep, x.Slice(r0 * inStep + g * inPerGroup), stride * inStep,
                            tapGradient.Slice(g * outPerGroup * inPerGroup), inPerGroup, m, outPerGroup, inPerGroup);
                    }
                    // ∂x[r, group] += ∂y[t, group] · W_{j,group}   (m x in/groups x out/groups), input steps stride·batch·in apart
                    if (!dx.IsEmpty)
                    {
                        Blas.Multiply(dyBlock, outStep, tap.Slice(g * outPerGroup * inPerGroup), inPerGroup,
                            dx.Slice(r0 * inStep + g * inPerGroup), stride * inStep, m, inPerGroup, outPerGroup, accumulate: true);
                    }
                }
            }
            if (paddingMode == PaddingMode.Zeros) continue;
            // Reflected, replicated or circular padding: the gradients of the steps the padding copied.
            for (int j = 0; j < kernelSize; j++)
            {
                (int t0, int m, _) = Tap(j, rowLength, rowOutLength, stride, dilation, left);
                ReadOnlySpan<float> tap = packedWeight.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                Span<float> tapGradient = packedGradient.Slice(j * outChannels * inPerGroup, outChannels * inPerGroup);
                for (int t = 0; t < rowOutLength; t++)
                {
                    if (t >= t0 && t < t0 + m) continue; // inside the row: done above
                    int r = Padded(t * stride + j * dilation - left, rowLength, paddingMode) * inStep;
                    ReadOnlySpan<float> dyRow = dy.Slice(t * outStep, outChannels);
                    if (depthwise)
                    {
                        if (weighted) TensorPrimitives.MultiplyAdd(dyRow, x.Slice(r, inChannels), tapGradient, tapGradient);
                        if (dx.IsEmpty) continue;
                        Span<float> dxRow = dx.Slice(r, inChannels);
                        TensorPrimitives.MultiplyAdd(dyRow, tap, dxRow, dxRow);
                        continue;
                    }
                    for (int g = 0; g < groups; g++)
                    {
                        if (weighted)
                        {
                            Blas.MultiplyTransposedAAdd(dyRow.Slice(g * outPerGroup), outChannels, x.Slice(r + g * inPerGroup), inChannels,
                                tapGradient.Slice(g * outPerGroup * inPerGroup), inPerGroup, 1, outPerGroup, inPerGroup);
                        }
                        if (!dx.IsEmpty)
                        {
                            Blas.Multiply(dyRow.Slice(g * outPerGroup), outChannels, tap.Slice(g * outPerGroup * inPerGroup), inPerGroup,
                                dx.Slice(r + g * inPerGroup), inChannels, 1, inPerGroup, outPerGroup, accumulate: true);
                        }
                    }
                }
            }
        }
        // ∂weight[o, i, j] += packed gradient[j, o, i]
        for (int o = 0; o < outChannels && weighted; o++)
        {
            for (int i = 0; i < inPerGroup; i++)
            {
                Span<float> taps = weightGradient.Slice((o * inPerGroup + i) * kernelSize, kernelSize);
                for (int j = 0; j < kernelSize; j++) taps[j] += packedGradient[(j * outChannels + o) * inPerGroup + i];
            }
        }
    }

    /// <summary>
    /// The row step that padding step <paramref name="r"/> (below 0 or from <paramref name="length"/> on) copies: reflected
    /// about the row's ends (−1 → 1), the nearest end, or wrapped around.
    /// </summary>
    private static int Padded(int r, int length, PaddingMode mode) => mode switch
    {
        PaddingMode.Reflect => r < 0 ? -r : 2 * (length - 1) - r,
        PaddingMode.Replicate => r < 0 ? 0 : length - 1,
        _ => r < 0 ? r + length : r - length,
    };

    /// <summary>
    /// The output steps tap <paramref name="j"/> reaches inside the sequence: from <c>t0</c>, <c>m</c> of them, reading input
    /// rows <c>r0 + t·stride</c>.
    /// </summary>
    private static (int T0, int M, int R0) Tap(int j, int length, int outLength, int stride, int dilation, int left)
    {
        int offset = j * dilation - left;                        // input row of output step 0
        int t0 = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = length - 1 - offset;                          // t·stride ≤ last
        if (last < 0) return (0, 0, 0);
        int t1 = Math.Min(outLength, last / stride + 1);
        return (t0, t1 - t0, t0 * stride + offset);
    }

    /// <summary>Checks the sizes shared by <see cref="Forward"/> and <see cref="Backward"/>; returns the output length of <paramref name="length"/> steps.</summary>
    private static int Check(int batch, int maxTime, int rows, int length, ReadOnlySpan<int> rowLengths, int inChannels, int outChannels, int kernelSize,
        int stride, int padding, int dilation, int groups, bool causal, PaddingMode paddingMode)
    {
        if (paddingMode is < PaddingMode.Zeros or > PaddingMode.Circular)
            throw new ArgumentOutOfRangeException(nameof(paddingMode), paddingMode, "Not a padding mode.");
        if (causal && paddingMode != PaddingMode.Zeros)
            throw new ArgumentException($"A causal convolution pads with zeros, not {paddingMode}.", nameof(paddingMode));
        CheckChannels(inChannels, outChannels, kernelSize, groups);
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be positive.");
        if (dilation <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "The dilation must be positive.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "The padding must not be negative.");
        if (causal && padding != 0) throw new ArgumentException($"A causal convolution pads {dilation * (kernelSize - 1)} steps on the left by itself; padding must be 0, not {padding}.", nameof(padding));
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must not be negative.");
        if (rows < 0 || rows > batch) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Expected 0 to {batch} rows.");
        if (maxTime <= 0) throw new ArgumentOutOfRangeException(nameof(maxTime), maxTime, "The time must be positive.");
        if (length <= 0 || length > maxTime) throw new ArgumentOutOfRangeException(nameof(length), length, $"Expected a length from 1 to {maxTime}.");
        if (OutputLength(maxTime, kernelSize, stride, padding, dilation, causal) == 0)
            throw new ArgumentException($"The kernel reaches {dilation * (kernelSize - 1) + 1} steps (size {kernelSize}, dilation {dilation}), longer than {maxTime} steps padded by {padding} on each side.", nameof(kernelSize));
        int outLength = OutputLength(length, kernelSize, stride, padding, dilation, causal);
        if (outLength == 0)
            throw new ArgumentException($"The kernel reaches {dilation * (kernelSize - 1) + 1} steps (size {kernelSize}, dilation {dilation}), longer than {length} steps padded by {padding} on each side.", nameof(length));
        // PyTorch's limits: reflection needs more steps than the padding, wrapping around at least as many.
        int fewest = paddingMode switch { PaddingMode.Reflect => padding + 1, PaddingMode.Circular => Math.Max(padding, 1), _ => 1 };
        if (length < fewest)
            throw new ArgumentException($"{paddingMode} padding of {padding} steps needs at least {fewest} steps, not {length}.", nameof(length));
        if (rowLengths.IsEmpty) return outLength;
        if (rowLengths.Length < rows) throw new ArgumentException($"Expected a length for each of the {rows} rows, got {rowLengths.Length}.", nameof(rowLengths));
        for (int b = 0; b < rows; b++)
        {
            if (rowLengths[b] < fewest || rowLengths[b] > length || OutputLength(rowLengths[b], kernelSize, stride, padding, dilation, causal) == 0)
                throw new ArgumentException($"Row {b} has {rowLengths[b]} steps; expected 1 to {length}, and enough for the kernel's reach of {dilation * (kernelSize - 1) + 1} steps padded by {padding} on each side.", nameof(rowLengths));
        }
        return outLength;
    }

    private static void CheckChannels(int inChannels, int outChannels, int kernelSize, int groups)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "The channel count must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "The channel count must be positive.");
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "The kernel size must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "The group count must be positive.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{groups} groups do not divide {inChannels} input and {outChannels} output channels.", nameof(groups));
    }

    /// <summary>Throws when a span holds fewer than <paramref name="expected"/> floats; the message names its shape (formatted only then).</summary>
    private static void CheckLength(int actual, int expected, string name, string shape, int d0, int d1 = 0, int d2 = 0)
    {
        if (actual < expected)
            throw new ArgumentException($"Expected at least {expected} floats ({string.Format(CultureInfo.InvariantCulture, shape, d0, d1, d2)}), got {actual}.", name);
    }
}
