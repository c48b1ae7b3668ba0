using System.Diagnostics;

namespace Unroll.Kernels;

/// <summary>
/// The operands of one matrix product, as pointers (the caller keeps them pinned while the parts run) so that
/// helper threads can rebuild the spans.
/// </summary>
internal unsafe struct Product
{
    public float* A, B, C;
    public int LengthA, LengthB, LengthC;
    public int Lda, Ldb, Ldc, M, N, K;
    public bool Accumulate;
    /// <summary>Which route the whole product takes (a kernel's own flag), decided once so that every part takes it.</summary>
    public bool Wide;

    public readonly ReadOnlySpan<float> SpanA => new(A, LengthA);
    public readonly ReadOnlySpan<float> SpanB => new(B, LengthB);
    public readonly Span<float> SpanC => new(C, LengthC);
}

/// <summary>
/// Runs the parts of a product on the calling thread and on helper threads (<see cref="Parallelism.MaxDegreeOfParallelism"/>
/// in all). One product at a time: a caller that finds the helpers busy (another thread's product) runs its product
/// alone, which gives the same result. Nothing is allocated per product; the helpers are started once.
/// </summary>
internal static unsafe class Workers
{
    /// <summary>How long an idle helper spins for the next product before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static ManualResetEventSlim[] _wake = [];
    private static int _busy, _generation, _pending, _parts;
    private static delegate*<in Product, int, int, void> _body;
    private static Product _job;

    /// <summary>The parts a product of <paramref name="work"/> multiply-adds is worth splitting into (1: run it whole).</summary>
    public static int Parts(long work, int most)
    {
        const long PerPart = 1 << 16; // about a microsecond of multiply-adds: below it the hand-over costs more than it saves
        int threads = Parallelism.MaxDegreeOfParallelism;
        if (threads == 1 || work < 2 * PerPart) return 1;
        return (int)Math.Min(Math.Min(threads, most), work / PerPart);
    }

    /// <summary>Runs <c>body(job, part, parts)</c> for every part, part 0 on this thread; returns when all are done.</summary>
    public static void Run(delegate*<in Product, int, int, void> body, in Product job, int parts)
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(job, 0, 1);
            return;
        }
        try
        {
            if (_wake.Length < parts - 1) Start(parts - 1);
            // Every helper answers every product (those without a part at once), so none can lag into the next one.
            ManualResetEventSlim[] wake = _wake;
            _job = job;
            _body = body;
            _parts = parts;
            Volatile.Write(ref _pending, wake.Length);
            Interlocked.Increment(ref _generation);
            for (int i = 0; i < wake.Length; i++) wake[i].Set();
            body(job, 0, parts);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>The range of <paramref name="count"/> items (in whole units of <paramref name="unit"/>) that part <paramref name="part"/> of <paramref name="parts"/> takes.</summary>
    public static (int Start, int Length) Share(int count, int unit, int part, int parts)
    {
        int units = (count + unit - 1) / unit;
        int start = (int)((long)units * part / parts) * unit;
        int end = Math.Min(count, (int)((long)units * (part + 1) / parts) * unit);
        return (start, Math.Max(0, end - start));
    }

    /// <summary>Starts helpers up to <paramref name="helpers"/> (the caller holds the product gate).</summary>
    private static void Start(int helpers)
    {
        var wake = new ManualResetEventSlim[helpers];
        _wake.CopyTo(wake, 0);
        for (int i = _wake.Length; i < helpers; i++)
        {
            wake[i] = new ManualResetEventSlim(false);
            int index = i, generation = _generation; // the products before this one are not the new helper's
            ManualResetEventSlim signal = wake[i];
            new Thread(() => Help(index, generation, signal)) { IsBackground = true, Name = $"Unroll worker {index + 1}" }.Start();
        }
        _wake = wake;
    }

    /// <summary>A helper's loop: wait for the next product, run part <c>index + 1</c> of it if there is one.</summary>
    private static void Help(int index, int seen, ManualResetEventSlim wake)
    {
        while (true)
        {
            long since = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - since < SpinTicks)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                wake.Reset();
                if (Volatile.Read(ref _generation) == seen) wake.Wait();
                since = Stopwatch.GetTimestamp();
            }
            seen++;
            try
            {
                if (index + 1 < _parts) _body(_job, index + 1, _parts);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
