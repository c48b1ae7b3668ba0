namespace Unroll.Tests;

/// <summary>Measures what code allocates once it has warmed up (JIT, tiering, statics).</summary>
public static class Allocations
{
    /// <summary>Bytes allocated on this thread by ten runs of <paramref name="action"/> after two warm-up runs.</summary>
    public static long Of(Action action)
    {
        action();
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
