using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>
/// Scaled dot-product attention for one sequence and one head, as
/// <c>torch.nn.functional.scaled_dot_product_attention</c>: <c>weights = softmax(scale · q kᵀ + M)</c>,
/// <c>output = weights · v</c>, where the causal mask <c>M</c> hides key <c>s</c> from query <c>t</c>
/// when <c>s &gt; t</c> (a masked weight is exactly 0). Rows are addressed with strides, so that a
/// caller can point at one batch element's and one head's columns of a time-major buffer.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Attention
{
    /// <summary>
    /// Writes the attention weights <c>[queries, keys]</c> (row stride <paramref name="keys"/>) and
    /// the output rows <c>[queries, dv]</c>. Only the first <paramref name="validKeys"/> keys (and, when
    /// causal, those up to the query) get weight; the others, padding or future, get exactly 0.
    /// </summary>
    public static void Forward(
        ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk, ReadOnlySpan<float> v, int ldv,
        Span<float> weights, Span<float> output, int ldo, int queries, int keys, int dk, int dv, float scale, bool causal, int validKeys = int.MaxValue)
    {
        if (queries > 1)
        {
            // Whole blocks: scores = q·kᵀ for every pair, the masked softmax row by row, output = weights·v.
            Blas.MultiplyTransposed(q, ldq, k, ldk, weights, keys, queries, keys, dk, accumulate: false);
            for (int t = 0; t < queries; t++)
            {
                Span<float> row = weights.Slice(t * keys, keys);
                int visible = Math.Min(causal ? Math.Min(t + 1, keys) : keys, validKeys);
                Span<float> live = row.Slice(0, visible);
                TensorPrimitives.Multiply(live, scale, live);
                TensorPrimitives.SoftMax(live, live);
                row.Slice(visible).Clear();
            }
            Blas.Multiply(weights, keys, v, ldv, output, ldo, queries, dv, keys, accumulate: false);
            return;
        }
        for (int t = 0; t < queries; t++)
        {
            Span<float> row = weights.Slice(t * keys, keys);
            int visible = Math.Min(causal ? Math.Min(t + 1, keys) : keys, validKeys);
            ReadOnlySpan<float> query = q.Slice(t * ldq, dk);
            for (int s = 0; s < visible; s++)
            {
                row[s] = scale * TensorPrimitives.Dot(query, k.Slice(s * ldk, dk));
            }
            row.Slice(visible).Clear();
            Span<float> live = row.Slice(0, visible);
            TensorPrimitives.SoftMax(live, live);

            Span<float> target = output.Slice(t * ldo, dv);
            target.Clear();
            for (int s = 0; s < visible; s++)
            {
                TensorPrimitives.MultiplyAdd(v.Slice(s * ldv, dv), row[s], target, target);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: from the output gradient (and, if not empty, a gradient
    /// arriving at the weights themselves) adds into <paramref name="dq"/>, <paramref name="dk"/> and
    /// <paramref name="dv"/>. <paramref name="scratch"/> holds one row of weight gradients (<paramref name="keys"/> floats), or
    /// a whole block of them (<c>queries · keys</c>), which lets the products run as matrix products.
    /// </summary>
    public static void Backward(
        ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk, ReadOnlySpan<float> v, int ldv,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> outputGradient, int ldo, ReadOnlySpan<float> weightsGradient,
        Span<float> dq, Span<float> dk, Span<float> dv, Span<float> scratch,
        int queries, int keys, int dkWidth, int dvWidth, float scale, bool causal, int validKeys = int.MaxValue)
    {
        if (queries > 1 && scratch.Length >= queries * keys)
        {
            // Whole blocks: ∂weights = ∂output·vᵀ, ∂v += weightsᵀ·∂output, the softmax row by row, ∂q += ∂scores·k, ∂k += ∂scoresᵀ·q.
            Span<float> dScores = scratch.Slice(0, queries * keys);
            Blas.MultiplyTransposed(outputGradient, ldo, v, ldv, dScores, keys, queries, keys, dvWidth, accumulate: false);
            Blas.MultiplyTransposedAAdd(weights, keys, outputGradient, ldo, dv, ldv, queries, keys, dvWidth);
            for (int t = 0; t < queries; t++)
            {
                int visible = Math.Min(causal ? Math.Min(t + 1, keys) : keys, validKeys);
                ReadOnlySpan<float> w = weights.Slice(t * keys, visible);
                Span<float> row = dScores.Slice(t * keys, keys);
                Span<float> dw = row.Slice(0, visible);
                if (!weightsGradient.IsEmpty) TensorPrimitives.Add(dw, weightsGradient.Slice(t * keys, visible), dw);
                float dot = TensorPrimitives.Dot(w, dw);
                TensorPrimitives.Subtract(dw, dot, dw);
                TensorPrimitives.Multiply(dw, w, dw);
                TensorPrimitives.Multiply(dw, scale, dw);
                row.Slice(visible).Clear();
            }
            Blas.Multiply(dScores, keys, k, ldk, dq, ldq, queries, dkWidth, keys, accumulate: true);
            Blas.MultiplyTransposedAAdd(dScores, keys, q, ldq, dk, ldk, queries, keys, dkWidth);
            return;
        }
        Span<float> dWeights = scratch.Slice(0, keys);
        for (int t = 0; t < queries; t++)
        {
            int visible = Math.Min(causal ? Math.Min(t + 1, keys) : keys, validKeys);
            ReadOnlySpan<float> w = weights.Slice(t * keys, visible);
            ReadOnlySpan<float> dOut = outputGradient.Slice(t * ldo, dvWidth);
            Span<float> dw = dWeights.Slice(0, visible);

            // ∂weights = ∂output · vᵀ (+ what arrives at the weights); ∂v_s += weights_ts · ∂output_t
            for (int s = 0; s < visible; s++)
            {
                dw[s] = TensorPrimitives.Dot(dOut, v.Slice(s * ldv, dvWidth));
                Span<float> dvRow = dv.Slice(s * ldv, dvWidth);
                TensorPrimitives.MultiplyAdd(dOut, w[s], dvRow, dvRow);
            }
            if (!weightsGradient.IsEmpty) TensorPrimitives.Add(dw, weightsGradient.Slice(t * keys, visible), dw);

            // softmax: ∂scores = w ⊙ (∂w − Σ w ⊙ ∂w), then the scale
            float dot = TensorPrimitives.Dot(w, dw);
            TensorPrimitives.Subtract(dw, dot, dw);
            TensorPrimitives.Multiply(dw, w, dw);
            TensorPrimitives.Multiply(dw, scale, dw);

            // scores_ts = q_t · k_s: ∂q_t += Σ_s ∂scores_ts k_s, ∂k_s += ∂scores_ts q_t
            Span<float> dqRow = dq.Slice(t * ldq, dkWidth);
            ReadOnlySpan<float> query = q.Slice(t * ldq, dkWidth);
            for (int s = 0; s < visible; s++)
            {
                TensorPrimitives.MultiplyAdd(k.Slice(s * ldk, dkWidth), dw[s], dqRow, dqRow);
                Span<float> dkRow = dk.Slice(s * ldk, dkWidth);
                TensorPrimitives.MultiplyAdd(query, dw[s], dkRow, dkRow);
            }
        }
    }
}
