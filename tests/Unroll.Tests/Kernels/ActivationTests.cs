using System.Runtime.Intrinsics;
using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// σ, tanh and exp of the fused cells at every width this machine runs (512, 256, 128 bits and one float) against
/// double precision, over [−30, 30] in steps of 1/4096 and the special values: exp within 2 ulp (relative 2.4·10⁻⁷) for |x| ≤ 80,
/// σ and tanh within 2·10⁻⁷ absolute (as <see cref="Activations"/> documents), NaN staying NaN, and every width
/// agreeing with the others to the last bit where multiply-adds fuse on all of them.
/// </summary>
public class ActivationTests
{
    private static readonly float[] Inputs = Enumerable.Range(-30 * 4096, 60 * 4096 + 1).Select(i => i / 4096f)
        .Concat(new[] { -1e30f, -100f, -88.5f, -87.4f, 87.4f, 88.4f, 100f, 1e30f, float.Epsilon, -float.Epsilon, 1e-30f, -0f, float.PositiveInfinity, float.NegativeInfinity })
        .ToArray();

    private delegate float Scalar(float x);

    /// <summary>Each activation at one width, one input at a time (the other lanes hold neighbours).</summary>
    private static float[] Apply<TVector, TWidth>(Func<TVector, TVector> f) where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count;
        var padded = new float[(Inputs.Length + W - 1) / W * W];
        Inputs.CopyTo(padded, 0);
        var result = new float[padded.Length];
        for (int i = 0; i < padded.Length; i += W)
            TWidth.Store(f(TWidth.Load(ref padded[i], 0)), ref result[i], 0);
        return result.AsSpan(0, Inputs.Length).ToArray();
    }

    private static IEnumerable<(string Width, float[] Exp, float[] Sigmoid, float[] Tanh)> Widths()
    {
        if (Vector512.IsHardwareAccelerated)
            yield return ("512", Apply<Vector512<float>, W512>(Activations.Exp<Vector512<float>, W512>), Apply<Vector512<float>, W512>(Activations.Sigmoid<Vector512<float>, W512>), Apply<Vector512<float>, W512>(Activations.Tanh<Vector512<float>, W512>));
        if (Vector256.IsHardwareAccelerated)
            yield return ("256", Apply<Vector256<float>, W256>(Activations.Exp<Vector256<float>, W256>), Apply<Vector256<float>, W256>(Activations.Sigmoid<Vector256<float>, W256>), Apply<Vector256<float>, W256>(Activations.Tanh<Vector256<float>, W256>));
        if (Vector128.IsHardwareAccelerated)
            yield return ("128", Apply<Vector128<float>, W128>(Activations.Exp<Vector128<float>, W128>), Apply<Vector128<float>, W128>(Activations.Sigmoid<Vector128<float>, W128>), Apply<Vector128<float>, W128>(Activations.Tanh<Vector128<float>, W128>));
        yield return ("1", Apply<float, W1>(Activations.Exp<float, W1>), Apply<float, W1>(Activations.Sigmoid<float, W1>), Apply<float, W1>(Activations.Tanh<float, W1>));
    }

    [Fact]
    public void Exp_sigmoid_and_tanh_are_within_their_documented_error_at_every_width()
    {
        foreach (var (width, exp, sigmoid, tanh) in Widths())
        {
            for (int i = 0; i < Inputs.Length; i++)
            {
                double x = Inputs[i];
                double e = Math.Exp(Math.Clamp(x, -87.3, 88.3)), s = 1 / (1 + Math.Exp(-x)), t = Math.Tanh(x);
                // exp: relative error where results are normal floats well away from the clamps (−87.3, 88.3), at least 0 past them.
                Assert.True(Math.Abs(x) <= 80 ? Math.Abs(exp[i] - e) <= 2.4e-7 * e : exp[i] >= 0, $"exp({x:R}) = {exp[i]:R} at width {width}, expected {e:R}");
                Assert.True(Math.Abs(sigmoid[i] - s) <= 2e-7, $"σ({x:R}) = {sigmoid[i]:R} at width {width}, expected {s:R}");
                Assert.True(Math.Abs(tanh[i] - t) <= 2e-7, $"tanh({x:R}) = {tanh[i]:R} at width {width}, expected {t:R}");
            }
        }
    }

    [Fact]
    public void Sigmoid_folds_the_negation_into_exp_without_changing_a_bit()
    {
        // σ computes e^−x directly (q' = x + n·ln 2, odd terms negated): the same bits as exp of the negated input.
        foreach (var (width, _, sigmoid, _) in Widths())
        {
            float[] expected = width switch
            {
                "512" => Apply<Vector512<float>, W512>(v => Vector512<float>.One / (Vector512<float>.One + Activations.Exp<Vector512<float>, W512>(Vector512<float>.Zero - v))),
                "256" => Apply<Vector256<float>, W256>(v => Vector256<float>.One / (Vector256<float>.One + Activations.Exp<Vector256<float>, W256>(Vector256<float>.Zero - v))),
                "128" => Apply<Vector128<float>, W128>(v => Vector128<float>.One / (Vector128<float>.One + Activations.Exp<Vector128<float>, W128>(Vector128<float>.Zero - v))),
                _ => Apply<float, W1>(v => 1f / (1f + Activations.Exp<float, W1>(0f - v))),
            };
            Assert.Equal(expected, sigmoid);
        }
    }

    [Fact]
    public void NaN_stays_NaN_at_every_width()
    {
        float[] nan = [float.NaN];
        foreach (float value in new[] { Activations.Exp<float, W1>(float.NaN), Activations.Sigmoid<float, W1>(float.NaN), Activations.Tanh<float, W1>(float.NaN) })
            Assert.True(float.IsNaN(value));
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> v = Vector128.Create(float.NaN, 1f, float.NaN, -1f);
            foreach (Vector128<float> r in new[] { Activations.Exp<Vector128<float>, W128>(v), Activations.Sigmoid<Vector128<float>, W128>(v), Activations.Tanh<Vector128<float>, W128>(v) })
                Assert.True(float.IsNaN(r[0]) && !float.IsNaN(r[1]) && float.IsNaN(r[2]) && !float.IsNaN(r[3]), r.ToString());
        }
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> v = Vector512.Create(float.NaN);
            Assert.True(float.IsNaN(Activations.Sigmoid<Vector512<float>, W512>(v)[7]) && float.IsNaN(Activations.Tanh<Vector512<float>, W512>(v)[15]));
        }
        if (Vector256.IsHardwareAccelerated)
            Assert.True(float.IsNaN(Activations.Sigmoid<Vector256<float>, W256>(Vector256.Create(float.NaN))[3]));
    }

    [Fact]
    public void Every_width_gives_the_same_bits_where_multiply_adds_fuse()
    {
        var widths = Widths().ToList();
        if (!System.Runtime.Intrinsics.X86.Fma.IsSupported && !System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) return; // 128-bit x86 without FMA rounds twice
        foreach (var (width, exp, sigmoid, tanh) in widths.Where(w => w.Width != "1"))
        {
            Assert.Equal(widths[0].Exp, exp);
            Assert.Equal(widths[0].Sigmoid, sigmoid);
            Assert.Equal(widths[0].Tanh, tanh);
        }
    }
}
