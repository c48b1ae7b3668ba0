using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unroll.Kernels;

/// <summary>Embedding lookups between batch-first token ids and time-major activations.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Embeddings
{
    /// <summary>
    /// <c>output[t, b, :] = weight[tokens[b, t], :]</c> for <c>t &lt; length</c>. The tokens must
    /// already be checked against the vocabulary.
    /// </summary>
    public static void Gather(ReadOnlySpan<int> tokens, ReadOnlySpan<float> weight, Span<float> output, int batch, int length, int dim)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                weight.Slice(tokens[b * length + t] * dim, dim).CopyTo(output.Slice((t * batch + b) * dim, dim));
            }
        }
    }

    /// <summary><c>∂weight[tokens[b, t], :] += ∂output[t, b, :]</c>.</summary>
    public static void ScatterAdd(ReadOnlySpan<int> tokens, ReadOnlySpan<float> outputGradient, Span<float> weightGradient, int batch, int length, int dim)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                Span<float> row = weightGradient.Slice(tokens[b * length + t] * dim, dim);
                TensorPrimitives.Add(row, outputGradient.Slice((t * batch + b) * dim, dim), row);
            }
        }
    }
}
