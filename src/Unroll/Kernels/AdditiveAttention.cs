using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>
/// Additive (Bahdanau) attention for one query over one sequence of keys, after the projections:
/// <c>e_j = vᵀ tanh(q' + k'_j)</c> with <c>q' = W_q q</c> and <c>k'_j = W_k k_j + b_k</c> (computed by
/// the caller as matrix products; the keys' projection once per sequence), <c>weights = softmax(e)</c>
/// over the first <c>validKeys</c> keys (the others, padding, get exactly 0), and
/// <c>context = Σ_j weights_j · values_j</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AdditiveAttention
{
    /// <summary>
    /// Writes <paramref name="hidden"/> <c>tanh(q' + k'_j)</c> <c>[keys, attention]</c> (kept for backward),
    /// the scores, the weights and the context.
    /// </summary>
    public static void Forward(
        ReadOnlySpan<float> queryProjection, ReadOnlySpan<float> keyProjections, int ldk, ReadOnlySpan<float> v,
        ReadOnlySpan<float> values, int ldv, Span<float> hidden, Span<float> scores, Span<float> weights, Span<float> context,
        int keys, int validKeys, int attention, int valueWidth)
    {
        for (int j = 0; j < validKeys; j++)
        {
            Span<float> h = hidden.Slice(j * attention, attention);
            TensorPrimitives.Add(queryProjection.Slice(0, attention), keyProjections.Slice(j * ldk, attention), h);
            TensorPrimitives.Tanh(h, h);
            scores[j] = TensorPrimitives.Dot(v.Slice(0, attention), h);
        }
        scores.Slice(validKeys, keys - validKeys).Clear();
        weights.Slice(validKeys, keys - validKeys).Clear();
        TensorPrimitives.SoftMax(scores.Slice(0, validKeys), weights.Slice(0, validKeys));

        Span<float> c = context.Slice(0, valueWidth);
        c.Clear();
        for (int j = 0; j < validKeys; j++)
        {
            TensorPrimitives.MultiplyAdd(values.Slice(j * ldv, valueWidth), weights[j], c, c);
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: from ∂context (and, if not empty, gradients arriving at the
    /// weights and at the scores themselves) adds into ∂values, ∂k', ∂q' and ∂v (unless empty: a frozen v).
    /// <paramref name="scratch"/> holds <c>keys + attention</c> floats.
    /// </summary>
    public static void Backward(
        ReadOnlySpan<float> v, ReadOnlySpan<float> values, int ldv, ReadOnlySpan<float> hidden, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> contextGradient, ReadOnlySpan<float> weightsGradient, ReadOnlySpan<float> scoresGradient,
        Span<float> valuesGradient, Span<float> keyProjectionsGradient, int lddk, Span<float> queryProjectionGradient, Span<float> vGradient,
        Span<float> scratch, int validKeys, int attention, int valueWidth)
    {
        Span<float> de = scratch.Slice(0, validKeys), du = scratch.Slice(validKeys, attention);
        if (!vGradient.IsEmpty) vGradient = vGradient.Slice(0, attention);
        queryProjectionGradient = queryProjectionGradient.Slice(0, attention);
        ReadOnlySpan<float> w = weights.Slice(0, validKeys), dContext = contextGradient.Slice(0, valueWidth);

        // ∂weights_j = ∂context · values_j (+ what arrives at the weights); ∂values_j += weights_j ∂context
        for (int j = 0; j < validKeys; j++)
        {
            de[j] = TensorPrimitives.Dot(dContext, values.Slice(j * ldv, valueWidth));
            Span<float> dValues = valuesGradient.Slice(j * ldv, valueWidth);
            TensorPrimitives.MultiplyAdd(dContext, w[j], dValues, dValues);
        }
        if (!weightsGradient.IsEmpty) TensorPrimitives.Add(de, weightsGradient.Slice(0, validKeys), de);

        // softmax: ∂scores = w ⊙ (∂w − Σ w ⊙ ∂w) (+ what arrives at the scores)
        float dot = TensorPrimitives.Dot(w, de);
        TensorPrimitives.Subtract(de, dot, de);
        TensorPrimitives.Multiply(de, w, de);
        if (!scoresGradient.IsEmpty) TensorPrimitives.Add(de, scoresGradient.Slice(0, validKeys), de);

        // scores_j = v · h_j, h_j = tanh(q' + k'_j): ∂v += Σ ∂e_j h_j; ∂u_j = ∂e_j v ⊙ (1 − h_j²) → ∂q' and ∂k'_j
        for (int j = 0; j < validKeys; j++)
        {
            ReadOnlySpan<float> h = hidden.Slice(j * attention, attention);
            if (!vGradient.IsEmpty) TensorPrimitives.MultiplyAdd(h, de[j], vGradient, vGradient);
            TensorPrimitives.Multiply(h, h, du);
            TensorPrimitives.Subtract(1f, du, du);
            TensorPrimitives.Multiply(du, v.Slice(0, attention), du);
            TensorPrimitives.Multiply(du, de[j], du);
            TensorPrimitives.Add(queryProjectionGradient, du, queryProjectionGradient);
            Span<float> dk = keyProjectionsGradient.Slice(j * lddk, attention);
            TensorPrimitives.Add(dk, du, dk);
        }
    }
}
