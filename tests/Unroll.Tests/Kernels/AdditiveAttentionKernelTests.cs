using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The additive (Bahdanau) attention kernel against PyTorch's golden case: scores, weights, context
/// and the gradients of every parameter, the query, the keys and the values (the projections
/// <c>W_q q</c> and <c>W_k k + b</c> are done here with the same kernels generated code uses).
/// </summary>
public class AdditiveAttentionKernelTests
{
    [Fact]
    public void Matches_PyTorch_forward_and_backward()
    {
        var golden = GoldenCase.Load("additive_attention");
        float[] Get(string group, string name) => Layout.ToFloat(golden.Tensor(group, name).Values);
        float[] wq = Get("params", "W_q.weight"), wk = Get("params", "W_k.weight"), bk = Get("params", "W_k.bias"), v = Get("params", "v.weight");
        float[] query = Get("inputs", "query"), keys = Get("inputs", "keys"), values = Get("inputs", "values");
        int[] keyShape = golden.Tensor("inputs", "keys").Shape;
        int B = keyShape[0], T = keyShape[1], D = keyShape[2], A = bk.Length, V = golden.Tensor("inputs", "values").Shape[2];

        // Projections: q' [B, A] and k' [B·T, A].
        var qp = new float[B * A];
        var kp = new float[B * T * A];
        Blas.MultiplyTransposed(query, D, wq, D, qp, A, B, A, D, accumulate: false);
        Blas.MultiplyTransposed(keys, D, wk, D, kp, A, B * T, A, D, accumulate: false);
        Blas.AddRowVector(kp, A, B * T, A, bk);

        var hidden = new float[B * T * A];
        var scores = new float[B * T];
        var weights = new float[B * T];
        var context = new float[B * V];
        for (int b = 0; b < B; b++)
        {
            AdditiveAttention.Forward(qp.AsSpan(b * A), kp.AsSpan(b * T * A), A, v, values.AsSpan(b * T * V), V,
                hidden.AsSpan(b * T * A), scores.AsSpan(b * T, T), weights.AsSpan(b * T, T), context.AsSpan(b * V, V), T, T, A, V);
        }
        Tolerance.AssertClose(scores, golden.Tensor("outputs", "scores").Values, "scores");
        Tolerance.AssertClose(weights, golden.Tensor("outputs", "weights").Values, "weights");
        Tolerance.AssertClose(context, golden.Tensor("outputs", "context").Values, "context");

        // loss = Σ_k Σ w_k ⊙ output_k² over scores, weights and context.
        float[] Gradient(string name, float[] value) => golden.LossWeights(name).Select((w, i) => (float)(2 * w * value[i])).ToArray();
        float[] dScores = Gradient("scores", scores), dWeights = Gradient("weights", weights), dContext = Gradient("context", context);
        var dValues = new float[values.Length];
        var dkp = new float[kp.Length];
        var dqp = new float[qp.Length];
        var dv = new float[A];
        var scratch = new float[T + A];
        for (int b = 0; b < B; b++)
        {
            AdditiveAttention.Backward(v, values.AsSpan(b * T * V), V, hidden.AsSpan(b * T * A), weights.AsSpan(b * T, T),
                dContext.AsSpan(b * V, V), dWeights.AsSpan(b * T, T), dScores.AsSpan(b * T, T),
                dValues.AsSpan(b * T * V), dkp.AsSpan(b * T * A), A, dqp.AsSpan(b * A, A), dv, scratch, T, A, V);
        }

        // Back through the projections.
        var dwq = new float[wq.Length];
        var dwk = new float[wk.Length];
        var dbk = new float[A];
        var dQuery = new float[query.Length];
        var dKeys = new float[keys.Length];
        Blas.MultiplyTransposedAAdd(dqp, A, query, D, dwq, D, B, A, D);
        Blas.MultiplyTransposedAAdd(dkp, A, keys, D, dwk, D, B * T, A, D);
        Blas.SumRowsAdd(dkp, A, B * T, A, dbk);
        Blas.Multiply(dqp, A, wq, D, dQuery, D, B, D, A, accumulate: false);
        Blas.Multiply(dkp, A, wk, D, dKeys, D, B * T, D, A, accumulate: false);

        Tolerance.AssertClose(dwq, golden.Tensor("grad_params", "W_q.weight").Values, "∂W_q");
        Tolerance.AssertClose(dwk, golden.Tensor("grad_params", "W_k.weight").Values, "∂W_k");
        Tolerance.AssertClose(dbk, golden.Tensor("grad_params", "W_k.bias").Values, "∂b_k");
        Tolerance.AssertClose(dv, golden.Tensor("grad_params", "v.weight").Values, "∂v");
        Tolerance.AssertClose(dQuery, golden.Tensor("grad_inputs", "query").Values, "∂query");
        Tolerance.AssertClose(dKeys, golden.Tensor("grad_inputs", "keys").Values, "∂keys");
        Tolerance.AssertClose(dValues, golden.Tensor("grad_inputs", "values").Values, "∂values");
    }

    [Fact]
    public void Padding_keys_get_exactly_zero_weight()
    {
        const int T = 5, A = 3, V = 2, valid = 3;
        var qp = new float[A];
        var kp = new float[T * A];
        var v = new float[A];
        var values = new float[T * V];
        new SeededRandom(1).FillNormal(qp);
        new SeededRandom(2).FillNormal(kp);
        new SeededRandom(3).FillNormal(v);
        new SeededRandom(4).FillNormal(values);
        var weights = new float[T];
        var context = new float[V];
        AdditiveAttention.Forward(qp, kp, A, v, values, V, new float[T * A], new float[T], weights, context, T, valid, A, V);
        Assert.Equal(0f, weights[3]);
        Assert.Equal(0f, weights[4]);
        Assert.Equal(1.0, weights.Take(valid).Sum(w => (double)w), 1e-6);

        // The same as attending over the valid keys alone.
        var alone = new float[valid];
        var aloneContext = new float[V];
        AdditiveAttention.Forward(qp, kp, A, v, values, V, new float[valid * A], new float[valid], alone, aloneContext, valid, valid, A, V);
        Tolerance.AssertIdentical(weights.AsSpan(0, valid), alone, "weights");
        Tolerance.AssertIdentical(context, aloneContext, "context");
    }
}
