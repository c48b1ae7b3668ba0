namespace Unroll.Tests;

/// <summary>Measures what code allocates once it has warmed up (JIT, tiering, statics).</summary>
public static class Allocations
{
    /// <summary>
    /// Bytes allocated on this thread by ten runs of <paramref name="action"/> after two warm-up runs: the least of three
    /// such measurements. Code that allocates does so in every measurement; what happens once, whoever runs it (a product
    /// helper started, a method promoted by the tiered JIT while other tests load the machine), does not repeat. The
    /// helpers are started first.
    /// </summary>
    public static long Of(Action action)
    {
        Unroll.Kernels.Workers.StartHelpers();
        action();
        action();
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
