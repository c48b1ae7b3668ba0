namespace Unroll;

/// <summary>
/// How many threads Unroll's matrix products may use (as PyTorch's <c>torch.set_num_threads</c>). A product big
/// enough to pay for it is split into parts of whole output rows or column panels, one per thread; each output
/// element is computed by the same operations in the same order whatever the split, so results are bit for bit
/// the same for every thread count (no reduction across threads).
/// </summary>
/// <remarks>
/// A model instance is used by one thread at a time (its arena holds the activations of its last call); separate
/// instances may run on separate threads at once. The helper threads serve one product at a time: a product that finds
/// them busy runs on its caller's thread alone, with the same result.
/// </remarks>
public static class Parallelism
{
    private static int _maxDegree = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// The most threads a product runs on, the caller's included: 1 runs everything on the calling thread. Defaults
    /// to <see cref="Environment.ProcessorCount"/>. The helper threads are started the first time a product uses them
    /// and then wait for work (spinning briefly, then asleep).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref _maxDegree);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxDegree, value);
        }
    }
}
