using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

// Row operations the generated passes call between products: transposes, bias rows, copies, gathers and axis swaps.
public static unsafe partial class Blas
{
    /// <summary>
    /// <c>destination[c, r] = source[r, c]</c>: a <c>[rows, columns]</c> block (row stride <paramref name="lds"/>) transposed,
    /// 8 × 8 tiles at a time in AVX registers (eight loads, 24 shuffles, eight stores), the edges element by element.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int rows, int columns)
    {
        if (rows == 0 || columns == 0) return;
        if (source.Length < (rows - 1) * lds + columns || destination.Length < (columns - 1) * ldd + rows)
            throw new ArgumentException($"A [{rows} x {columns}] block (stride {lds}) or its transpose (stride {ldd}) does not fit its span.");
        ref float s0 = ref MemoryMarshal.GetReference(source);
        ref float d0 = ref MemoryMarshal.GetReference(destination);
        int r8 = 0, c8 = 0;
        if (Avx.IsSupported)
        {
            r8 = rows & ~7;
            c8 = columns & ~7;
            for (int r = 0; r < r8; r += 8)
                for (int c = 0; c < c8; c += 8)
                    Transpose8x8(ref Unsafe.Add(ref s0, r * lds + c), lds, ref Unsafe.Add(ref d0, c * ldd + r), ldd);
        }
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref s0, r * lds);
            for (int c = r < r8 ? c8 : 0; c < columns; c++) Unsafe.Add(ref d0, c * ldd + r) = Unsafe.Add(ref row, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float s, int lds, ref float d, int ldd)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)lds);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lds)), r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lds));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lds)), r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lds));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lds)), r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lds));
        // Interleave pairs of rows, then pairs of pairs; the last step swaps 128-bit halves.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref d, (nuint)ldd);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref d, (nuint)(2 * ldd));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref d, (nuint)(3 * ldd));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref d, (nuint)(4 * ldd));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref d, (nuint)(5 * ldd));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref d, (nuint)(6 * ldd));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref d, (nuint)(7 * ldd));
    }

    /// <summary><c>C[m, n] += bias[n]</c> for every row.</summary>
    public static void AddRowVector(Span<float> c, int ldc, int m, int n, ReadOnlySpan<float> bias)
    {
        bias = bias.Slice(0, n);
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary><c>sum[n] += Σ_m A[m, n]</c>: the gradient of a bias.</summary>
    public static void SumRowsAdd(ReadOnlySpan<float> a, int lda, int m, int n, Span<float> sum)
    {
        sum = sum.Slice(0, n);
        for (int i = 0; i < m; i++)
        {
            TensorPrimitives.Add(sum, a.Slice(i * lda, n), sum);
        }
    }

    /// <summary>
    /// Reorders the rows of <paramref name="block"/> (<c>[rows, width]</c>) in place: row r becomes the
    /// old row <c>sources[r]</c>. <paramref name="scratch"/> holds a copy of the block meanwhile.
    /// </summary>
    public static void GatherRows(Span<float> block, ReadOnlySpan<int> sources, int width, Span<float> scratch)
    {
        block.CopyTo(scratch);
        for (int r = 0; r < sources.Length; r++)
        {
            scratch.Slice(sources[r] * width, width).CopyTo(block.Slice(r * width, width));
        }
    }

    /// <summary>Copies <paramref name="m"/> rows of <paramref name="n"/> floats between strided blocks.</summary>
    public static void CopyRows(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            source.Slice(i * lds, n).CopyTo(destination.Slice(i * ldd, n));
        }
    }

    /// <summary>Adds <paramref name="m"/> rows of <paramref name="n"/> floats from one strided block into another.</summary>
    public static void AddRows(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> target = destination.Slice(i * ldd, n);
            TensorPrimitives.Add(target, source.Slice(i * lds, n), target);
        }
    }

    /// <summary>
    /// Reorders <c>[outer, inner, features]</c> into <c>[inner, outer, features]</c>: batch-first
    /// user data into the time-major layout the kernels use, and back.
    /// </summary>
    public static void SwapLeadingAxes(ReadOnlySpan<float> source, Span<float> destination, int outer, int inner, int features)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                source.Slice((o * inner + i) * features, features).CopyTo(destination.Slice((i * outer + o) * features, features));
            }
        }
    }

    /// <summary>
    /// A batch of <paramref name="rows"/> sequences, batch-first <c>[rows, length, features]</c>, into the time-major
    /// <c>[length, batch, features]</c> of a model compiled for <paramref name="batch"/> rows: the rows past
    /// <paramref name="rows"/> are zeroed, so that a smaller batch runs as the first rows of a full one.
    /// </summary>
    public static void ToTimeMajor(ReadOnlySpan<float> source, Span<float> destination, int rows, int batch, int length, int features)
    {
        CheckBatch(rows, batch, length, features, source.Length, destination.Length, nameof(source), nameof(destination));
        for (int t = 0; t < length; t++)
        {
            Span<float> step = destination.Slice(t * batch * features, batch * features);
            for (int b = 0; b < rows; b++) source.Slice((b * length + t) * features, features).CopyTo(step.Slice(b * features, features));
            step.Slice(rows * features).Clear();
        }
    }

    /// <summary>The first <paramref name="rows"/> of a time-major <c>[length, batch, features]</c> as batch-first <c>[rows, length, features]</c>.</summary>
    public static void FromTimeMajor(ReadOnlySpan<float> source, Span<float> destination, int rows, int batch, int length, int features)
    {
        CheckBatch(rows, batch, length, features, destination.Length, source.Length, nameof(destination), nameof(source));
        for (int t = 0; t < length; t++)
        {
            for (int b = 0; b < rows; b++) source.Slice((t * batch + b) * features, features).CopyTo(destination.Slice((b * length + t) * features, features));
        }
    }

    /// <summary>1 to <paramref name="batch"/> rows, a batch-first span of that many, a time-major span of the whole batch.</summary>
    private static void CheckBatch(int rows, int batch, int length, int features, int batchFirst, int timeMajor, string batchFirstName, string timeMajorName)
    {
        if (rows < 1 || rows > batch) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A batch holds 1 to {batch} rows.");
        if (batchFirst < rows * length * features)
            throw new ArgumentException($"{batchFirstName} holds {batchFirst} values, fewer than the {rows * length * features} of [{rows}, {length}, {features}].", batchFirstName);
        if (timeMajor < length * batch * features)
            throw new ArgumentException($"{timeMajorName} holds {timeMajor} values, fewer than the {length * batch * features} of [{length}, {batch}, {features}].", timeMajorName);
    }
}
