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
/// in all). Every thread claims parts until none is left, the caller included, so a helper that the scheduler has put
/// aside costs nothing: the caller runs its part. One product at a time: a caller that finds the helpers busy (another
/// thread's product) runs its product alone, which gives the same result. Nothing is allocated per product; the helpers
/// are started once.
/// </summary>
internal static unsafe class Workers
{
    /// <summary>How long an idle helper spins for the next product before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    /// <summary>A helper thread's wake-up call, and whether it is (about to be) asleep on it.</summary>
    private sealed class Helper
    {
        public readonly ManualResetEventSlim Wake = new(false);
        public int Sleeping;
    }

    private static Helper[] _helpers = [];
    private static int _busy, _done;
    private static delegate*<void*, int, int, void> _body;
    private static void* _job;

    /// <summary>
    /// The product on offer and its parts, in one word so that a claim is one compare-and-swap: the product's number
    /// (high 32 bits), the next unclaimed part (16 bits) and the number of parts (low 16 bits). A claim for an earlier
    /// product fails, so a helper that wakes late never runs a part twice or with another product's operands.
    /// </summary>
    private static long _offer;

    /// <summary>
    /// Multiply-adds a part needs to pay for its hand-over when they run from cache at full speed: about nine microseconds.
    /// Smaller products lose more to moving their operands and results between the cores' caches than they gain (measured
    /// on the attention block's 64 × 64 × 192 products).
    /// </summary>
    public const long ComputeBound = 1 << 19;

    /// <summary>
    /// The same for the matrix-vector products of a step, which wait on their weights streaming in from L2 at a quarter of
    /// that speed; split, each core streams its share from its own cache.
    /// </summary>
    public const long MemoryBound = 1 << 14;

    /// <summary>The parts a product of <paramref name="work"/> multiply-adds is worth splitting into (1: run it whole).</summary>
    public static int Parts(long work, int most, long perPart = ComputeBound)
    {
        int threads = Parallelism.MaxDegreeOfParallelism;
        if (threads == 1 || work < 2 * perPart) return 1;
        return (int)Math.Min(Math.Min(Math.Min(threads, most), work / perPart), ushort.MaxValue);
    }

    /// <summary>
    /// Runs <c>body(job, part, parts)</c> for every part and returns when all are done. The job lives on the caller's
    /// stack (so does everything it points to, or it is pinned) until then.
    /// </summary>
    public static void Run<TJob>(delegate*<TJob*, int, int, void> body, TJob* job, int parts) where TJob : unmanaged
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(job, 0, 1);
            return;
        }
        long product = 0;
        bool offered = false;
        try
        {
            if (_helpers.Length < parts - 1) Start(parts - 1);
            _job = job;
            _body = (delegate*<void*, int, int, void>)body;
            Volatile.Write(ref _done, 0);
            // Products are numbered in 32 bits that wrap around, sign-extended as Help and RunParts read them back.
            product = unchecked((int)((Volatile.Read(ref _offer) >> 32) + 1));
            // A full fence: a helper that is not seen asleep here sees the offer.
            Interlocked.Exchange(ref _offer, product << 32 | (uint)parts);
            offered = true;
            foreach (Helper helper in _helpers)
                if (Volatile.Read(ref helper.Sleeping) != 0) helper.Wake.Set();
            RunParts(product);
        }
        finally
        {
            // Should a part throw here, withdraw the parts nobody has claimed; either way wait for those running
            // elsewhere, which read this caller's stack, before returning.
            if (offered)
            {
                Withdraw(product);
                while (Volatile.Read(ref _done) != parts) Thread.SpinWait(1);
            }
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Counts the parts of <paramref name="product"/> that nobody has claimed as done, and closes the offer.</summary>
    private static void Withdraw(long product)
    {
        while (true)
        {
            long offer = Volatile.Read(ref _offer);
            int next = (int)(offer >> 16) & 0xFFFF, parts = (int)offer & 0xFFFF;
            if (offer >> 32 != product || next >= parts) return;
            if (Interlocked.CompareExchange(ref _offer, (offer & ~0xFFFF_0000L) | ((long)parts << 16), offer) != offer) continue;
            Interlocked.Add(ref _done, parts - next);
            return;
        }
    }

    /// <summary>Claims and runs parts of product <paramref name="product"/> until none is left.</summary>
    private static void RunParts(long product)
    {
        while (true)
        {
            long offer = Volatile.Read(ref _offer);
            int next = (int)(offer >> 16) & 0xFFFF, parts = (int)offer & 0xFFFF;
            if (offer >> 32 != product || next >= parts) return;
            if (Interlocked.CompareExchange(ref _offer, offer + (1 << 16), offer) != offer) continue;
            // The part is ours, so the product is not finished and its operands are still the ones on offer.
            try
            {
                _body(_job, next, parts);
            }
            finally
            {
                Interlocked.Increment(ref _done);
            }
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

    /// <summary>
    /// Starts the helpers every product may use now (<see cref="Parallelism.MaxDegreeOfParallelism"/> − 1), as the first
    /// product that splits otherwise does: for measurements of what later calls allocate (starting a thread does).
    /// </summary>
    internal static void StartHelpers()
    {
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) Thread.Yield();
        try
        {
            if (_helpers.Length < Parallelism.MaxDegreeOfParallelism - 1) Start(Parallelism.MaxDegreeOfParallelism - 1);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Starts helpers up to <paramref name="count"/> (the caller holds the product gate).</summary>
    private static void Start(int count)
    {
        var helpers = new Helper[count];
        _helpers.CopyTo(helpers, 0);
        for (int i = _helpers.Length; i < count; i++)
        {
            var helper = helpers[i] = new Helper();
            long seen = Volatile.Read(ref _offer) >> 32; // the products before this one are not the new helper's
            new Thread(() => Help(seen, helper)) { IsBackground = true, Name = $"Unroll worker {i + 1}" }.Start();
        }
        _helpers = helpers;
    }

    /// <summary>
    /// A helper's loop: wait for the next product (spinning, then yielding now and then, for <see cref="SpinTicks"/>, then
    /// asleep) and claim parts of it.
    /// </summary>
    private static void Help(long seen, Helper helper)
    {
        while (true)
        {
            long since = Stopwatch.GetTimestamp();
            for (int spins = 1; Volatile.Read(ref _offer) >> 32 == seen; spins++)
            {
                // Spin, then give other threads of the process (the JIT's, the GC's) their turn between looks, then sleep.
                long waited = (spins & 63) == 0 ? Stopwatch.GetTimestamp() - since : 0;
                if (waited < SpinTicks / 8) Thread.SpinWait(1);
                else if (waited < SpinTicks) Thread.Yield();
                if (waited < SpinTicks) continue;
                helper.Wake.Reset();
                Interlocked.Exchange(ref helper.Sleeping, 1); // a full fence before looking at the offer again
                if (Volatile.Read(ref _offer) >> 32 == seen) helper.Wake.Wait();
                Volatile.Write(ref helper.Sleeping, 0);
                since = Stopwatch.GetTimestamp();
            }
            seen = Volatile.Read(ref _offer) >> 32;
            RunParts(seen);
        }
    }
}
