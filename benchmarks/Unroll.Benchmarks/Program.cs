// Unroll's BenchmarkDotNet suites.
//
//   dotnet run -c Release --project benchmarks/Unroll.Benchmarks -- --filter '*'          full runs
//   dotnet run -c Release --project benchmarks/Unroll.Benchmarks -- --quick --filter '*'  smoke test for CI
//
// --quick runs every benchmark in-process with one short warmup and three short iterations. It checks
// in well under a minute that every suite still builds and runs; its numbers are not measurements
// (the slower benchmarks finish before the JIT has replaced their tier-0 code).
// Every other argument goes to BenchmarkDotNet (--filter, --list flat, --exporters, ...).

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

bool quick = args.Contains("--quick");
args = args.Where(a => a != "--quick").ToArray();

// Medians are the figures the project quotes; BenchmarkDotNet shows them only when the spread is wide, so always add them.
IConfig config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median);
if (quick)
{
    Unroll.Benchmarks.JitAndAotBenchmarks.Jobs.InProcessOnly = true;
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(1)
        .WithIterationCount(3)
        .WithIterationTime(TimeInterval.FromMilliseconds(50))
        .WithId("Quick"));

    // Without a filter BenchmarkSwitcher asks which suite to run; a smoke test runs them all.
    if (!args.Any(a => a is "--filter" or "-f"))
        args = [.. args, "--filter", "*"];
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
