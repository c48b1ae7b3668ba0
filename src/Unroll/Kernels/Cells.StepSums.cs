using System.Runtime.CompilerServices;

namespace Unroll.Kernels;

// The sums of the fused steps' blocks of units over float32 and 2-byte rows.
public static unsafe partial class Cells
{
    /// <summary>
    /// The four sums of each of <paramref name="blocks"/> consecutive blocks (<paramref name="blockLength"/> floats apart),
    /// one block after another into <paramref name="sums"/> (<c>[blocks, 4, W]</c>), for the gates to be computed after.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumGroup<TVector, TWidth, TFormat>(ref float x, int input, ref float hPrev, int hidden, ref float first, int blockLength, int blocks,
        bool gru, ref float sums, scoped in QuantizedRow row)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        nuint V = (nuint)TWidth.Count;
        for (int k = 0; k < blocks; k++)
        {
            ref float block = ref Unsafe.Add(ref first, k * blockLength);
            TVector s0, s1, s2, s3;
            if (TFormat.Bytes == 1) SumBlockInt8<TVector, TWidth>(in row, ref block, gru, out s0, out s1, out s2, out s3);
            else if (TFormat.Bytes == 2) SumBlockPaired<TVector, TWidth, TFormat>(ref x, input, ref hPrev, hidden, ref block, gru, out s0, out s1, out s2, out s3);
            else SumBlock<TVector, TWidth, TFormat>(ref x, input, ref hPrev, hidden, ref block, gru, out s0, out s1, out s2, out s3);
            ref float at = ref Unsafe.Add(ref sums, (nuint)k * 4 * V);
            TWidth.Store(s0, ref at, 0);
            TWidth.Store(s1, ref at, V);
            TWidth.Store(s2, ref at, 2 * V);
            TWidth.Store(s3, ref at, 3 * V);
        }
    }

    /// <summary>
    /// The sums of one block of float32 rows: four vectors start from the block's biases;
    /// each input, then each state element, is broadcast against its row of vectors (LSTM: i, f, g, o; GRU: r, z and n,
    /// whose state side goes to the fourth sum). Even and odd rows sum apart, so eight multiply-adds are in flight; the
    /// weights are asked for 2 KB ahead (unless <paramref name="prefetch"/> is false: the unrolled steps' weights sit in L1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlock<TVector, TWidth, TFormat>(ref float x, int input, ref float hPrev, int hidden, ref float block, bool gru,
        out TVector s0, out TVector s1, out TVector s2, out TVector s3, bool prefetch = true)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        const int Ahead = 2048; // bytes: how far ahead of the row being read the prefetches ask
        nuint W = (nuint)TWidth.Count, rowWidth = gru ? 3 * W : 4 * W, bytes = (nuint)TFormat.Bytes;
        ref byte w = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref block, 4 * W)); // after the biases
        TVector a0 = TWidth.Load(ref block, 0), a1 = TWidth.Load(ref block, W), a2 = TWidth.Load(ref block, 2 * W), a3 = TWidth.Load(ref block, 3 * W);
        TVector b0 = default, b1 = default, b2 = default, b3 = default;
        for (int side = 0; side < 2; side++)
        {
            ref float v0 = ref side == 0 ? ref x : ref hPrev;
            int n = side == 0 ? input : hidden, p = 0;
            if (!gru)
            {
                for (; p + 2 <= n; p += 2)
                {
                    if (prefetch)
                    {
                        IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead));
                        IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead + 4 * W * bytes));
                    }
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p)), o = TWidth.Broadcast(Unsafe.Add(ref v0, p + 1));
                    a0 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, W), a1);
                    a2 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a2);
                    a3 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 3 * W), a3);
                    b0 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 4 * W), b0);
                    b1 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 5 * W), b1);
                    b2 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 6 * W), b2);
                    b3 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 7 * W), b3);
                    w = ref Unsafe.Add(ref w, 8 * W * bytes);
                }
                if (p < n)
                {
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p));
                    a0 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, W), a1);
                    a2 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a2);
                    a3 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 3 * W), a3);
                    w = ref Unsafe.Add(ref w, 4 * W * bytes);
                }
            }
            else
            {
                // GRU: the third vector of a row is n's input side for x and its state side for h_prev.
                for (; p + 2 <= n; p += 2)
                {
                    if (prefetch)
                    {
                        IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead));
                        IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead + 4 * W * bytes));
                    }
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p)), o = TWidth.Broadcast(Unsafe.Add(ref v0, p + 1));
                    a0 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, W), a1);
                    b0 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 3 * W), b0);
                    b1 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 4 * W), b1);
                    if (side == 0)
                    {
                        a2 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a2);
                        b2 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 5 * W), b2);
                    }
                    else
                    {
                        a3 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a3);
                        b3 = TWidth.MultiplyAdd(o, TFormat.Load<TVector, TWidth>(ref w, 5 * W), b3);
                    }
                    w = ref Unsafe.Add(ref w, 6 * W * bytes);
                }
                if (p < n)
                {
                    TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p));
                    a0 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 0), a0);
                    a1 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, W), a1);
                    if (side == 0) a2 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a2);
                    else a3 = TWidth.MultiplyAdd(e, TFormat.Load<TVector, TWidth>(ref w, 2 * W), a3);
                    w = ref Unsafe.Add(ref w, 3 * W * bytes);
                }
            }
        }
        s0 = TWidth.Add(a0, b0);
        s1 = TWidth.Add(a1, b1);
        s2 = TWidth.Add(a2, b2);
        s3 = TWidth.Add(a3, b3);
    }

    /// <summary>
    /// <see cref="SumBlock{TVector, TWidth, TFormat}"/> for 2-byte weights, whose rows come in pairs: one load per gate
    /// gives the even row's vector and the odd row's (by a shift and a mask, no widening shuffle), against the two
    /// inputs broadcast. A side of odd length ends with a pair whose odd row is zero, against a zero input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlockPaired<TVector, TWidth, TFormat>(ref float x, int input, ref float hPrev, int hidden, ref float block, bool gru,
        out TVector s0, out TVector s1, out TVector s2, out TVector s3)
        where TVector : struct where TWidth : IWidth<TVector> where TFormat : IWeightFormat
    {
        const int Ahead = 2048; // bytes, as in SumBlock
        nuint W = (nuint)TWidth.Count, pairWidth = (gru ? 3u : 4u) * W; // 32-bit lanes of one pair of rows
        ref byte w = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref block, 4 * W));
        TVector a0 = TWidth.Load(ref block, 0), a1 = TWidth.Load(ref block, W), a2 = TWidth.Load(ref block, 2 * W), a3 = TWidth.Load(ref block, 3 * W);
        TVector b0 = default, b1 = default, b2 = default, b3 = default;
        for (int side = 0; side < 2; side++)
        {
            ref float v0 = ref side == 0 ? ref x : ref hPrev;
            int n = side == 0 ? input : hidden;
            for (int p = 0; p < n; p += 2)
            {
                IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead));
                IWidth<TVector>.Prefetch(ref Unsafe.Add(ref w, Ahead + 8 * W));
                TVector e = TWidth.Broadcast(Unsafe.Add(ref v0, p)), o = TWidth.Broadcast(p + 1 < n ? Unsafe.Add(ref v0, p + 1) : 0f);
                TFormat.LoadPair<TVector, TWidth>(ref w, 0, out TVector even, out TVector odd);
                a0 = TWidth.MultiplyAdd(e, even, a0);
                b0 = TWidth.MultiplyAdd(o, odd, b0);
                TFormat.LoadPair<TVector, TWidth>(ref w, W, out even, out odd);
                a1 = TWidth.MultiplyAdd(e, even, a1);
                b1 = TWidth.MultiplyAdd(o, odd, b1);
                TFormat.LoadPair<TVector, TWidth>(ref w, 2 * W, out even, out odd);
                if (!gru || side == 0)
                {
                    a2 = TWidth.MultiplyAdd(e, even, a2);
                    b2 = TWidth.MultiplyAdd(o, odd, b2);
                }
                else
                {
                    // GRU: the third vector is n's state side for h_prev.
                    a3 = TWidth.MultiplyAdd(e, even, a3);
                    b3 = TWidth.MultiplyAdd(o, odd, b3);
                }
                if (!gru)
                {
                    TFormat.LoadPair<TVector, TWidth>(ref w, 3 * W, out even, out odd);
                    a3 = TWidth.MultiplyAdd(e, even, a3);
                    b3 = TWidth.MultiplyAdd(o, odd, b3);
                }
                w = ref Unsafe.Add(ref w, pairWidth * 4);
            }
        }
        s0 = TWidth.Add(a0, b0);
        s1 = TWidth.Add(a1, b1);
        s2 = TWidth.Add(a2, b2);
        s3 = TWidth.Add(a3, b3);
    }
}
