using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The scaled dot-product attention kernel against PyTorch's golden cases (sdpa_nomask, sdpa_causal):
/// output, weights and the gradients of q, k and v, with the golden loss over the output and the
/// weights (<c>Σ w ⊙ output² + Σ u ⊙ weights²</c>).
/// </summary>
public class AttentionKernelTests
{
    [Theory]
    [InlineData("sdpa_nomask", false, false)]
    [InlineData("sdpa_causal", true, false)]
    [InlineData("sdpa_nomask", false, true)]
    [InlineData("sdpa_causal", true, true)]
    public void Matches_PyTorch_forward_and_backward(string name, bool causal, bool blockScratch)
    {
        var golden = GoldenCase.Load(name);
        var (qShape, q64) = golden.Tensor("inputs", "q");
        var (_, k64) = golden.Tensor("inputs", "k");
        var (vShape, v64) = golden.Tensor("inputs", "v");
        int B = qShape[0], T = qShape[1], dk = qShape[2], dv = vShape[2];
        float[] q = Layout.ToFloat(q64), k = Layout.ToFloat(k64), v = Layout.ToFloat(v64);
        float scale = 1 / MathF.Sqrt(dk);

        var weights = new float[B * T * T];
        var output = new float[B * T * dv];
        for (int b = 0; b < B; b++)
        {
            Attention.Forward(q.AsSpan(b * T * dk), dk, k.AsSpan(b * T * dk), dk, v.AsSpan(b * T * dv), dv,
                weights.AsSpan(b * T * T, T * T), output.AsSpan(b * T * dv), dv, T, T, dk, dv, scale, causal);
        }
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output");
        Tolerance.AssertClose(weights, golden.Tensor("outputs", "weights").Values, "weights");
        if (causal)
        {
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                    for (int s = t + 1; s < T; s++)
                        Assert.Equal(0f, weights[(b * T + t) * T + s]); // masked weights are exactly zero
        }

        float[] outputGradient = golden.LossWeights("output").Select((w, i) => (float)(2 * w * output[i])).ToArray();
        float[] weightsGradient = golden.LossWeights("weights").Select((w, i) => (float)(2 * w * weights[i])).ToArray();
        var dq = new float[q.Length];
        var dkGrad = new float[k.Length];
        var dvGrad = new float[v.Length];
        var scratch = new float[blockScratch ? T * T : T]; // a whole block lets Backward run matrix products
        for (int b = 0; b < B; b++)
        {
            Attention.Backward(q.AsSpan(b * T * dk), dk, k.AsSpan(b * T * dk), dk, v.AsSpan(b * T * dv), dv,
                weights.AsSpan(b * T * T, T * T), outputGradient.AsSpan(b * T * dv), dv, weightsGradient.AsSpan(b * T * T, T * T),
                dq.AsSpan(b * T * dk), dkGrad.AsSpan(b * T * dk), dvGrad.AsSpan(b * T * dv), scratch, T, T, dk, dv, scale, causal);
        }
        Tolerance.AssertClose(dq, golden.Tensor("grad_inputs", "q").Values, "∂q");
        Tolerance.AssertClose(dkGrad, golden.Tensor("grad_inputs", "k").Values, "∂k");
        Tolerance.AssertClose(dvGrad, golden.Tensor("grad_inputs", "v").Values, "∂v");
    }

    [Fact]
    public void Strided_rows_address_one_head_of_a_wider_buffer()
    {
        // Two heads side by side in rows of 2 × 3 features; each head alone equals the packed computation.
        const int T = 5, d = 3, ld = 2 * d;
        var q = new float[T * ld];
        var k = new float[T * ld];
        var v = new float[T * ld];
        new SeededRandom(1).FillNormal(q);
        new SeededRandom(2).FillNormal(k);
        new SeededRandom(3).FillNormal(v);
        var output = new float[T * ld];
        var weights = new float[T * T];
        for (int h = 0; h < 2; h++)
        {
            Attention.Forward(q.AsSpan(h * d), ld, k.AsSpan(h * d), ld, v.AsSpan(h * d), ld, weights, output.AsSpan(h * d), ld, T, T, d, d, 0.5f, causal: true);
            float[] packed(float[] x) => Enumerable.Range(0, T).SelectMany(t => x.Skip(t * ld + h * d).Take(d)).ToArray();
            var alone = new float[T * d];
            var aloneWeights = new float[T * T];
            Attention.Forward(packed(q), d, packed(k), d, packed(v), d, aloneWeights, alone, d, T, T, d, d, 0.5f, causal: true);
            Tolerance.AssertIdentical(packed(output), alone, $"head {h}");
            Tolerance.AssertIdentical(weights, aloneWeights, $"weights of head {h}");
        }
    }
}
