using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// Picking the next token from a model's logits: greedy, or a draw from the softmax with a
/// temperature, top-k and top-p (nucleus) filtering, as Hugging Face's <c>generate</c> applies
/// them (temperature first, then top-k, then top-p; ties at a threshold are kept). Allocation-free:
/// the caller passes the scratch space.
/// </summary>
public static class Sampling
{
    /// <summary>The index of the largest logit (the first one on ties).</summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("There are no logits to choose from.", nameof(logits));
        return TensorPrimitives.IndexOfMax(logits);
    }

    /// <summary>
    /// Draws an index with probability <c>softmax(logits / temperature)</c>, restricted to the
    /// <paramref name="topK"/> largest logits (0: all) and then to the smallest set of most likely
    /// indices whose probability reaches <paramref name="topP"/> (1: all). A temperature of 0 is
    /// greedy (<see cref="ArgMax"/>).
    /// </summary>
    /// <param name="logits">Unnormalised log-probabilities, one per token.</param>
    /// <param name="random">The generator to draw from; one draw per call.</param>
    /// <param name="scratch">Working space of at least twice as many floats as there are logits.</param>
    /// <param name="temperature">Above 1 flattens the distribution, below 1 sharpens it; 0 picks the most likely.</param>
    /// <param name="topK">Keep only the k most likely tokens (0 keeps all).</param>
    /// <param name="topP">Keep only the most likely tokens whose probabilities add up to at least p (1 keeps all).</param>
    /// <exception cref="ArgumentException">The logits are empty or the scratch is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is negative or not finite, topK is negative, or topP is not in (0, 1].</exception>
    public static int Sample(ReadOnlySpan<float> logits, SeededRandom random, Span<float> scratch, float temperature = 1f, int topK = 0, float topP = 1f)
    {
        int n = logits.Length;
        if (n == 0) throw new ArgumentException("There are no logits to choose from.", nameof(logits));
        if (scratch.Length < 2 * n)
            throw new ArgumentException($"Expected at least {2 * n} floats of scratch (twice the {n} logits), but the span holds {scratch.Length}.", nameof(scratch));
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be 0 (greedy) or positive and finite.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be 0 (keep all) or positive.");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "topP must be above 0 and at most 1.");
        ArgumentNullException.ThrowIfNull(random);
        if (temperature == 0) return ArgMax(logits);

        // Unnormalised probabilities exp((x − max) / T).
        Span<float> p = scratch.Slice(0, n), sorted = scratch.Slice(n, n);
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, p);
        TensorPrimitives.Multiply(p, 1f / temperature, p);
        TensorPrimitives.Exp(p, p);

        if (topK > 0 && topK < n)
        {
            // Everything below the k-th largest goes.
            p.CopyTo(sorted);
            sorted.Sort();
            ZeroBelow(p, sorted[n - topK]);
        }
        if (topP < 1)
        {
            // The smallest set of most likely tokens whose share reaches topP; below its least likely member goes.
            p.CopyTo(sorted);
            sorted.Sort();
            float total = TensorPrimitives.Sum(sorted), needed = topP * total, sum = 0;
            float threshold = sorted[n - 1];
            for (int i = n - 1; i >= 0; i--)
            {
                threshold = sorted[i];
                sum += sorted[i];
                if (sum >= needed) break;
            }
            ZeroBelow(p, threshold);
        }

        // One draw from what is left.
        double target = random.NextSingle() * (double)TensorPrimitives.Sum(p);
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < n; i++)
        {
            if (p[i] == 0) continue;
            last = i;
            cumulative += p[i];
            if (cumulative > target) return i;
        }
        return last;
    }

    private static void ZeroBelow(Span<float> p, float threshold)
    {
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] < threshold) p[i] = 0;
        }
    }
}
