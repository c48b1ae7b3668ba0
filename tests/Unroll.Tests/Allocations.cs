namespace Unroll.Tests;

/// <summary>Measures what code allocates once it has warmed up (JIT, tiering, statics).</summary>
public static class Allocations
{
    /// <summary>
    /// Bytes allocated on this thread by ten runs of <paramref name="action"/> after two warm-up runs. The product helpers
    /// are started first: the warm-up may not start them (another test's product may hold them), and starting a thread allocates.
    /// </summary>
    public static long Of(Action action)
    {
        Unroll.Kernels.Workers.StartHelpers();
        action();
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
