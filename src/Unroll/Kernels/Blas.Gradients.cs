using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

// The weight gradients of linear maps: C += Aᵀ·B in register blocks.
public static unsafe partial class Blas
{
    /// <summary>
    /// <c>C[n, k] += Σ_m A[m, n] · B[m, k]</c>, that is <c>C += Aᵀ·B</c>: the weight gradient of a
    /// linear map over every row at once (<c>∂W += ∂yᵀ · x</c>). Four rows of <c>C</c> by two vectors
    /// stay in registers while <c>m</c> runs.
    /// </summary>
    public static void MultiplyTransposedAAdd(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k)
    {
        if (m == 0 || n == 0 || k == 0) return;
        if (a.Length < (m - 1) * lda + n || b.Length < (m - 1) * ldb + k || c.Length < (n - 1) * ldc + k)
            throw new ArgumentException($"A [{m} x {n}] (stride {lda}), B [{m} x {k}] (stride {ldb}) or C [{n} x {k}] (stride {ldc}) does not fit its span.");
        // Split across threads by blocks of four rows of C: each thread sums over all of m for its rows.
        int parts = Workers.Parts((long)m * n * k, (n + 3) / 4);
        if (parts > 1) RunParts(&MultiplyTransposedAAddPart, parts, a, lda, b, ldb, c, ldc, m, n, k, accumulate: true, wide: false);
        else MultiplyTransposedAAddRows(a, lda, b, ldb, c, ldc, m, n, k);
    }

    /// <summary>A share of <see cref="MultiplyTransposedAAdd"/>'s rows of <c>C</c> (columns of <c>A</c>), in whole blocks of four.</summary>
    private static void MultiplyTransposedAAddPart(Product* p, int part, int parts)
    {
        (int start, int rows) = Workers.Share(p->N, 4, part, parts);
        if (rows > 0) MultiplyTransposedAAddRows(p->SpanA.Slice(start), p->Lda, p->SpanB, p->Ldb, p->SpanC.Slice(start * p->Ldc), p->Ldc, p->M, rows, p->K);
    }

    private static void MultiplyTransposedAAddRows(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k)
    {
        int j = 0;
        if (k >= 2 * Vector<float>.Count)
        {
            ref float a0 = ref MemoryMarshal.GetReference(a);
            ref float b0 = ref MemoryMarshal.GetReference(b);
            ref float c0 = ref MemoryMarshal.GetReference(c);
            // The sum over m runs in chunks, so that the rows of A and B a chunk reads stay in cache while every block of C takes them.
            const int Chunk = 64;
            int n4 = n & ~3, pad = 2 * Vector<float>.Count;
            // The last columns, fewer than Block4's two vectors: B's copied zero-padded to two vectors, C's summed beside.
            Span<float> bTail = stackalloc float[Chunk * pad], cTail = stackalloc float[4 * pad];
            for (int i0 = 0; i0 < m; i0 += Chunk)
            {
                int rows = Math.Min(Chunk, m - i0), done = 0;
                ref float aChunk = ref Unsafe.Add(ref a0, i0 * lda);
                ref float bChunk = ref Unsafe.Add(ref b0, i0 * ldb);
                // Row r of a block of C reads column j + r of A: element stride lda along m, 1 across r.
                for (int jb = 0; jb < n4; jb += 4)
                    done = Block4(ref Unsafe.Add(ref aChunk, jb), 1, lda, ref bChunk, ldb, ref Unsafe.Add(ref c0, jb * ldc), ldc, k, rows, accumulate: true);
                int tail = k - done;
                if (tail == 0 || n4 == 0) continue;
                bTail.Clear();
                for (int i = 0; i < rows; i++) b.Slice((i0 + i) * ldb + done, tail).CopyTo(bTail.Slice(i * pad));
                for (int jb = 0; jb < n4; jb += 4)
                {
                    Block4(ref Unsafe.Add(ref aChunk, jb), 1, lda, ref MemoryMarshal.GetReference(bTail), pad, ref MemoryMarshal.GetReference(cTail), pad, pad, rows, accumulate: false);
                    for (int r = 0; r < 4; r++)
                    {
                        Span<float> target = c.Slice((jb + r) * ldc + done, tail);
                        TensorPrimitives.Add(target, cTail.Slice(r * pad, tail), target);
                    }
                }
            }
            j = n4;
        }
        for (; j < n; j++)
        {
            Span<float> target = c.Slice(j * ldc, k);
            for (int i = 0; i < m; i++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(i * ldb, k), a[i * lda + j], target, target);
            }
        }
    }

    /// <summary>
    /// The register block of <see cref="Multiply"/> and <see cref="MultiplyTransposedAAdd"/>: for four
    /// rows r of <c>C</c> and columns in steps of two vectors, <c>C[r, :] (+)= Σ_p x(r, p) · B[p, :]</c>,
    /// where <c>x(r, p)</c> is at <c>x + r·rowStride + p·innerStride</c>. Returns how many columns it did
    /// (a multiple of two vectors); the caller finishes the rest.
    /// </summary>
    private static int Block4(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc,
        int columns, int inner, bool accumulate)
    {
        int width = Vector<float>.Count;
        int j = 0;
        if (Vector512.IsHardwareAccelerated) j = Block4x512(ref x, rowStride, innerStride, ref b, ldb, ref c, ldc, columns, inner, accumulate);
        for (; j + 2 * width <= columns; j += 2 * width)
        {
            ref float c0 = ref Unsafe.Add(ref c, j);
            ref float c1 = ref Unsafe.Add(ref c0, ldc);
            ref float c2 = ref Unsafe.Add(ref c1, ldc);
            ref float c3 = ref Unsafe.Add(ref c2, ldc);
            Vector<float> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector<float> s20 = default, s21 = default, s30 = default, s31 = default;
            if (accumulate)
            {
                s00 = Load(ref c0, 0); s01 = Load(ref c0, width);
                s10 = Load(ref c1, 0); s11 = Load(ref c1, width);
                s20 = Load(ref c2, 0); s21 = Load(ref c2, width);
                s30 = Load(ref c3, 0); s31 = Load(ref c3, width);
            }
            ref float bRow = ref Unsafe.Add(ref b, j);
            ref float xp = ref x;
            for (int p = 0; p < inner; p++)
            {
                Vector<float> b0 = Load(ref bRow, 0), b1 = Load(ref bRow, width);
                var x0 = new Vector<float>(xp);
                var x1 = new Vector<float>(Unsafe.Add(ref xp, rowStride));
                var x2 = new Vector<float>(Unsafe.Add(ref xp, 2 * rowStride));
                var x3 = new Vector<float>(Unsafe.Add(ref xp, 3 * rowStride));
                s00 += x0 * b0; s01 += x0 * b1;
                s10 += x1 * b0; s11 += x1 * b1;
                s20 += x2 * b0; s21 += x2 * b1;
                s30 += x3 * b0; s31 += x3 * b1;
                bRow = ref Unsafe.Add(ref bRow, ldb);
                xp = ref Unsafe.Add(ref xp, innerStride);
            }
            Store(s00, ref c0, 0); Store(s01, ref c0, width);
            Store(s10, ref c1, 0); Store(s11, ref c1, width);
            Store(s20, ref c2, 0); Store(s21, ref c2, width);
            Store(s30, ref c3, 0); Store(s31, ref c3, width);
        }
        return j;
    }

    /// <summary><see cref="Block4"/> with 512-bit vectors: four rows by two vectors of 16, fused multiply-adds.</summary>
    private static int Block4x512(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc,
        int columns, int inner, bool accumulate)
    {
        const int W = 16;
        int j = 0;
        for (; j + 4 * W <= columns; j += 4 * W)
            Tile4x64(ref x, rowStride, innerStride, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, inner, accumulate);
        for (; j + 2 * W <= columns; j += 2 * W)
        {
            ref float c0 = ref Unsafe.Add(ref c, j);
            ref float c1 = ref Unsafe.Add(ref c0, ldc);
            ref float c2 = ref Unsafe.Add(ref c1, ldc);
            ref float c3 = ref Unsafe.Add(ref c2, ldc);
            Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector512<float> s20 = default, s21 = default, s30 = default, s31 = default;
            if (accumulate)
            {
                s00 = Vector512.LoadUnsafe(ref c0); s01 = Vector512.LoadUnsafe(ref c0, W);
                s10 = Vector512.LoadUnsafe(ref c1); s11 = Vector512.LoadUnsafe(ref c1, W);
                s20 = Vector512.LoadUnsafe(ref c2); s21 = Vector512.LoadUnsafe(ref c2, W);
                s30 = Vector512.LoadUnsafe(ref c3); s31 = Vector512.LoadUnsafe(ref c3, W);
            }
            ref float bRow = ref Unsafe.Add(ref b, j);
            ref float xp = ref x;
            for (int p = 0; p < inner; p++)
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref bRow), b1 = Vector512.LoadUnsafe(ref bRow, W);
                var x0 = Vector512.Create(xp);
                var x1 = Vector512.Create(Unsafe.Add(ref xp, rowStride));
                var x2 = Vector512.Create(Unsafe.Add(ref xp, 2 * rowStride));
                var x3 = Vector512.Create(Unsafe.Add(ref xp, 3 * rowStride));
                s00 = Avx512F.FusedMultiplyAdd(x0, b0, s00); s01 = Avx512F.FusedMultiplyAdd(x0, b1, s01);
                s10 = Avx512F.FusedMultiplyAdd(x1, b0, s10); s11 = Avx512F.FusedMultiplyAdd(x1, b1, s11);
                s20 = Avx512F.FusedMultiplyAdd(x2, b0, s20); s21 = Avx512F.FusedMultiplyAdd(x2, b1, s21);
                s30 = Avx512F.FusedMultiplyAdd(x3, b0, s30); s31 = Avx512F.FusedMultiplyAdd(x3, b1, s31);
                bRow = ref Unsafe.Add(ref bRow, ldb);
                xp = ref Unsafe.Add(ref xp, innerStride);
            }
            s00.StoreUnsafe(ref c0); s01.StoreUnsafe(ref c0, W);
            s10.StoreUnsafe(ref c1); s11.StoreUnsafe(ref c1, W);
            s20.StoreUnsafe(ref c2); s21.StoreUnsafe(ref c2, W);
            s30.StoreUnsafe(ref c3); s31.StoreUnsafe(ref c3, W);
        }
        return j;
    }

    /// <summary>
    /// The widest register block: four rows by four 512-bit vectors of <c>C</c> (16 sums, 64 columns),
    /// <c>C[r, 0 … 64) (+)= Σ_p x(r, p) · B[p, 0 … 64)</c> with <c>x(r, p)</c> at <c>x + r·rowStride + p·innerStride</c>.
    /// Each step of <c>p</c> loads four vectors of <c>B</c> and four broadcasts for sixteen fused multiply-adds.
    /// </summary>
    private static void Tile4x64(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc, int inner, bool accumulate)
    {
        const int W = 16;
        ref float c0 = ref c;
        ref float c1 = ref Unsafe.Add(ref c0, ldc);
        ref float c2 = ref Unsafe.Add(ref c1, ldc);
        ref float c3 = ref Unsafe.Add(ref c2, ldc);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        if (accumulate)
        {
            s00 = Vector512.LoadUnsafe(ref c0); s01 = Vector512.LoadUnsafe(ref c0, W); s02 = Vector512.LoadUnsafe(ref c0, 2 * W); s03 = Vector512.LoadUnsafe(ref c0, 3 * W);
            s10 = Vector512.LoadUnsafe(ref c1); s11 = Vector512.LoadUnsafe(ref c1, W); s12 = Vector512.LoadUnsafe(ref c1, 2 * W); s13 = Vector512.LoadUnsafe(ref c1, 3 * W);
            s20 = Vector512.LoadUnsafe(ref c2); s21 = Vector512.LoadUnsafe(ref c2, W); s22 = Vector512.LoadUnsafe(ref c2, 2 * W); s23 = Vector512.LoadUnsafe(ref c2, 3 * W);
            s30 = Vector512.LoadUnsafe(ref c3); s31 = Vector512.LoadUnsafe(ref c3, W); s32 = Vector512.LoadUnsafe(ref c3, 2 * W); s33 = Vector512.LoadUnsafe(ref c3, 3 * W);
        }
        ref float bRow = ref b;
        ref float xp = ref x;
        for (int p = 0; p < inner; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bRow), b1 = Vector512.LoadUnsafe(ref bRow, W);
            Vector512<float> b2 = Vector512.LoadUnsafe(ref bRow, 2 * W), b3 = Vector512.LoadUnsafe(ref bRow, 3 * W);
            var x0 = Vector512.Create(xp);
            s00 = Avx512F.FusedMultiplyAdd(x0, b0, s00); s01 = Avx512F.FusedMultiplyAdd(x0, b1, s01);
            s02 = Avx512F.FusedMultiplyAdd(x0, b2, s02); s03 = Avx512F.FusedMultiplyAdd(x0, b3, s03);
            var x1 = Vector512.Create(Unsafe.Add(ref xp, rowStride));
            s10 = Avx512F.FusedMultiplyAdd(x1, b0, s10); s11 = Avx512F.FusedMultiplyAdd(x1, b1, s11);
            s12 = Avx512F.FusedMultiplyAdd(x1, b2, s12); s13 = Avx512F.FusedMultiplyAdd(x1, b3, s13);
            var x2 = Vector512.Create(Unsafe.Add(ref xp, 2 * rowStride));
            s20 = Avx512F.FusedMultiplyAdd(x2, b0, s20); s21 = Avx512F.FusedMultiplyAdd(x2, b1, s21);
            s22 = Avx512F.FusedMultiplyAdd(x2, b2, s22); s23 = Avx512F.FusedMultiplyAdd(x2, b3, s23);
            var x3 = Vector512.Create(Unsafe.Add(ref xp, 3 * rowStride));
            s30 = Avx512F.FusedMultiplyAdd(x3, b0, s30); s31 = Avx512F.FusedMultiplyAdd(x3, b1, s31);
            s32 = Avx512F.FusedMultiplyAdd(x3, b2, s32); s33 = Avx512F.FusedMultiplyAdd(x3, b3, s33);
            bRow = ref Unsafe.Add(ref bRow, ldb);
            xp = ref Unsafe.Add(ref xp, innerStride);
        }
        s00.StoreUnsafe(ref c0); s01.StoreUnsafe(ref c0, W); s02.StoreUnsafe(ref c0, 2 * W); s03.StoreUnsafe(ref c0, 3 * W);
        s10.StoreUnsafe(ref c1); s11.StoreUnsafe(ref c1, W); s12.StoreUnsafe(ref c1, 2 * W); s13.StoreUnsafe(ref c1, 3 * W);
        s20.StoreUnsafe(ref c2); s21.StoreUnsafe(ref c2, W); s22.StoreUnsafe(ref c2, 2 * W); s23.StoreUnsafe(ref c2, 3 * W);
        s30.StoreUnsafe(ref c3); s31.StoreUnsafe(ref c3, W); s32.StoreUnsafe(ref c3, 2 * W); s33.StoreUnsafe(ref c3, 3 * W);
    }
}
