using System.Runtime.Intrinsics;
using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The integer operations of the int8 steps at every width this machine runs (CI runs them again with AVX-512, AVX2
/// and all intrinsics off; <c>DOTNET_EnableSSSE3=0</c> reaches the 128-bit path without byte multiply-adds): four
/// byte products a 32-bit lane added exactly, at the extremes the quantization allows (activations 0–127, weights
/// ±127, whose 16-bit pair sums must not saturate), integer lanes converted to float, and low bytes stored.
/// </summary>
public class IntegerDotTests
{
    /// <summary>Lanes of activations, weights and starting sums: random ones, then every extreme combination.</summary>
    private static (byte[] Activations, sbyte[] Weights, int[] Sums) Cases(int lanes)
    {
        var random = new SeededRandom(5);
        var u = new float[3 * 4 * lanes];
        random.FillUniform(u, 0, 1);
        byte[] a = u.Take(4 * lanes).Select(v => (byte)(v * 127.99f)).ToArray();
        sbyte[] w = u.Skip(4 * lanes).Take(4 * lanes).Select(v => (sbyte)(v * 254.99f - 127)).ToArray();
        int[] sums = Enumerable.Range(0, lanes).Select(i => (int)(u[8 * lanes + i] * 2e9f) - 1_000_000_000).ToArray();
        for (int lane = 0; lane < lanes; lane++)
        {
            // Every lane's bytes at the bounds, a different pattern a lane.
            for (int k = 0; k < 4; k++)
            {
                if ((lane >> k & 1) == 0) continue;
                a[4 * lane + k] = 127;
                w[4 * lane + k] = (sbyte)(lane % 3 == 0 ? 127 : -127);
            }
        }
        return (a, w, sums);
    }

    private static int[] Expected(byte[] a, sbyte[] w, int[] sums) =>
        sums.Select((s, lane) => s + Enumerable.Range(0, 4).Sum(k => a[4 * lane + k] * w[4 * lane + k])).ToArray();

    private static int[] Dot<TVector, TWidth>(byte[] a, sbyte[] w, int[] sums) where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count;
        var result = new int[sums.Length];
        float[] af = new float[W], wf = new float[W], sf = new float[W], rf = new float[W];
        for (int at = 0; at < sums.Length; at += W)
        {
            Buffer.BlockCopy(a, 4 * at, af, 0, 4 * W);
            Buffer.BlockCopy(w, 4 * at, wf, 0, 4 * W);
            Buffer.BlockCopy(sums, 4 * at, sf, 0, 4 * W);
            TWidth.Store(TWidth.DotBytes(TWidth.Load(ref sf[0], 0), TWidth.Load(ref af[0], 0), TWidth.Load(ref wf[0], 0)), ref rf[0], 0);
            Buffer.BlockCopy(rf, 0, result, 4 * at, 4 * W);
        }
        return result;
    }

    [Fact]
    public void Byte_dots_are_exact_at_every_width_up_to_the_extremes()
    {
        const int Lanes = 64;
        (byte[] a, sbyte[] w, int[] sums) = Cases(Lanes);
        int[] expected = Expected(a, w, sums);
        Assert.Contains(expected.Select((e, i) => e - sums[i]), d => d == 4 * 127 * 127);
        Assert.Contains(expected.Select((e, i) => e - sums[i]), d => d == -4 * 127 * 127);
        Assert.Equal(expected, Dot<float, W1>(a, w, sums));
        if (Vector128.IsHardwareAccelerated) Assert.Equal(expected, Dot<Vector128<float>, W128>(a, w, sums));
        if (Vector256.IsHardwareAccelerated) Assert.Equal(expected, Dot<Vector256<float>, W256>(a, w, sums));
        if (Vector512.IsHardwareAccelerated) Assert.Equal(expected, Dot<Vector512<float>, W512>(a, w, sums));
    }

    private static (float[] Converted, byte[] Low) ConvertAndStore<TVector, TWidth>(int[] lanes) where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count;
        var converted = new float[lanes.Length];
        var low = new byte[lanes.Length + 16];
        var bits = new float[W];
        for (int at = 0; at < lanes.Length; at += W)
        {
            Buffer.BlockCopy(lanes, 4 * at, bits, 0, 4 * W);
            TVector v = TWidth.Load(ref bits[0], 0);
            TWidth.Store(TWidth.ConvertInt32(v), ref converted[at], 0);
            TWidth.StoreLowBytes(v, ref low[at]);
        }
        return (converted, low.AsSpan(0, lanes.Length).ToArray());
    }

    [Fact]
    public void Integer_lanes_convert_to_float_and_store_their_low_bytes_at_every_width()
    {
        int[] lanes = Enumerable.Range(0, 64).Select(i => (int)(i * 2654435761u)).ToArray(); // both signs, all magnitudes
        lanes[0] = 0x4B40_0000 + 127; // 1.5·2²³ + 127, as quantization leaves q in a float
        float[] converted = lanes.Select(v => (float)v).ToArray();
        byte[] low = lanes.Select(v => (byte)v).ToArray();
        void Check((float[] Converted, byte[] Low) r)
        {
            Assert.Equal(converted, r.Converted);
            Assert.Equal(low, r.Low);
        }
        Check(ConvertAndStore<float, W1>(lanes));
        if (Vector128.IsHardwareAccelerated) Check(ConvertAndStore<Vector128<float>, W128>(lanes));
        if (Vector256.IsHardwareAccelerated) Check(ConvertAndStore<Vector256<float>, W256>(lanes));
        if (Vector512.IsHardwareAccelerated) Check(ConvertAndStore<Vector512<float>, W512>(lanes));
    }
}
