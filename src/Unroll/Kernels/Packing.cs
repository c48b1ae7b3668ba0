using System.ComponentModel;

namespace Unroll.Kernels;

/// <summary>
/// Rows shorter than the batch's length, as PyTorch's packed sequences: after its last real step a row's
/// recurrent state is held (<c>h_t = h_{t−1}</c>, <c>c_t = c_{t−1}</c>), so the forward direction ends at the
/// row's last real step and the reverse direction starts there from the initial state. Backward passes
/// the gradient of a held state straight to the previous step.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Packing
{
    /// <summary>After the cell step <paramref name="t"/>: rows with <c>t ≥ lengths[b]</c> take the previous state back.</summary>
    public static void Hold(ReadOnlySpan<int> lengths, int t, ReadOnlySpan<float> hPrev, int ldPrev, Span<float> h, int ldh,
        ReadOnlySpan<float> cPrev, Span<float> c, int hidden)
    {
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t < lengths[b]) continue;
            hPrev.Slice(b * ldPrev, hidden).CopyTo(h.Slice(b * ldh, hidden));
            if (!c.IsEmpty) cPrev.Slice(b * hidden, hidden).CopyTo(c.Slice(b * hidden, hidden));
        }
    }

    /// <summary>Before the cell's backward step <paramref name="t"/>: keeps the carried gradients of the held rows.</summary>
    public static void SaveCarried(ReadOnlySpan<int> lengths, int t, ReadOnlySpan<float> dhNext, ReadOnlySpan<float> dc, Span<float> savedDh, Span<float> savedDc, int hidden)
    {
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t < lengths[b]) continue;
            dhNext.Slice(b * hidden, hidden).CopyTo(savedDh.Slice(b * hidden, hidden));
            if (!dc.IsEmpty) dc.Slice(b * hidden, hidden).CopyTo(savedDc.Slice(b * hidden, hidden));
        }
    }

    /// <summary>
    /// After the cell's backward step <paramref name="t"/> (before <c>∂gates·W_hh</c> is added): a held row has no gate
    /// gradients, and its state's gradient (from above plus carried) goes unchanged to the previous step.
    /// </summary>
    public static void PassHeld(ReadOnlySpan<int> lengths, int t, ReadOnlySpan<float> dhAbove, int lddh, ReadOnlySpan<float> savedDh, ReadOnlySpan<float> savedDc,
        Span<float> dhNext, Span<float> dc, Span<float> dGates, Span<float> dGatesRecurrent, int gateWidth, int hidden)
    {
        for (int b = 0; b < lengths.Length; b++)
        {
            if (t < lengths[b]) continue;
            System.Numerics.Tensors.TensorPrimitives.Add(dhAbove.Slice(b * lddh, hidden), savedDh.Slice(b * hidden, hidden), dhNext.Slice(b * hidden, hidden));
            if (!dc.IsEmpty) savedDc.Slice(b * hidden, hidden).CopyTo(dc.Slice(b * hidden, hidden));
            dGates.Slice(b * gateWidth, gateWidth).Clear();
            if (!dGatesRecurrent.IsEmpty) dGatesRecurrent.Slice(b * gateWidth, gateWidth).Clear();
        }
    }
}
