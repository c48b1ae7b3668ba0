using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>Inverted dropout: a mask of 0 and 1 / (1 − p), drawn from the model's generator and kept for backward.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>Draws a fresh mask (each value 0 with probability <paramref name="p"/>, else 1 / (1 − p)) and writes <c>output = input ⊙ mask</c>.</summary>
    public static void Forward(ReadOnlySpan<float> input, Span<float> mask, Span<float> output, float p, SeededRandom random)
    {
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextSingle() < p ? 0f : keep;
        }
        TensorPrimitives.Multiply(input, mask, output);
    }

    /// <summary><c>inputGradient = outputGradient ⊙ mask</c> (the two may be the same span).</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> mask, Span<float> inputGradient) =>
        TensorPrimitives.Multiply(outputGradient, mask, inputGradient);
}
