"""Tables of benchmarks/peers/rtneural: Unroll (PeerBenchmarks) beside RTNeural's variants, one per instruction set.

    python3 rtneural_table.py OUT [isa...]

Reads OUT/results/<isa>/round<k>/: rtneural.txt (bench.cpp's lines "<row> <median ns per step> <checksum> <variant>"),
unroll.log (BenchmarkDotNet's output, with the suite's "peer-check <row> <checksum> Vector512=…" lines) and
bdn/results/*-report-full*.json (medians, allocation, every iteration). A figure is the minimum over rounds of the
round's median, in ns per step.
"""
import glob
import json
import os
import re
import subprocess
import sys
from datetime import date

ROWS = [f"lstm{h}" for h in (16, 32, 64, 128, 256)] + [f"gru{h}" for h in (16, 32, 64, 128, 256)] + ["seq_lstm32x128"]
VARIANTS = ["eigen", "eigen_clang", "stl_fastmath", "xsimd_gcc", "xsimd_clang"]
ISAS = {
    "avx512": "AVX-512: RTNeural -march=native, Unroll as .NET runs by default",
    "avx2": "AVX2, 256-bit: RTNeural -march=x86-64-v3, Unroll with DOTNET_EnableAVX512=0",
    "sse": "SSE4.2, 128-bit: RTNeural -march=x86-64-v2, Unroll with DOTNET_EnableAVX2=0",
}
SLOW = 2.0  # tier-0 code runs a step 4–10× slower than tier 1: a warm-up iteration above 2× the median still ran some


def ns(x):
    return "—" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def read_round(path):
    """One round of one instruction set: {row: {variant: (ns, checksum)}}, {row: Unroll's figures}, widths seen."""
    rt, un, widths = {}, {}, set()
    if os.path.exists(f"{path}/rtneural.txt"):
        for line in open(f"{path}/rtneural.txt"):
            row, t, check, variant = line.split()
            rt.setdefault(row, {})[variant] = (float(t), float(check))
    checks = {}
    if os.path.exists(f"{path}/unroll.log"):
        for m in re.finditer(r"^peer-check (\S+) (\S+) (.*)$", open(f"{path}/unroll.log").read(), re.M):
            checks[m[1]] = float(m[2])
            widths.add(m[3].strip())
    for report in glob.glob(f"{path}/bdn/results/*-report-full*.json"):
        data = json.load(open(report))
        for b in data["Benchmarks"]:
            if not b.get("Statistics"):
                continue
            median = b["Statistics"]["Median"]
            warm = [m["Nanoseconds"] / m["Operations"] for m in b["Measurements"]
                    if m["IterationMode"] == "Workload" and m["IterationStage"] == "Warmup"]
            slow = max((k + 1 for k, w in enumerate(warm) if w > SLOW * median), default=0)
            un[b["Method"]] = dict(ns=median, allocated=(b.get("Memory") or {}).get("BytesAllocatedPerOperation"),
                                  check=checks.get(b["Method"]), slow=slow, warmups=len(warm),
                                  intrinsics=b.get("HardwareIntrinsics", ""), runtime=data["HostEnvironmentInfo"])
    return rt, un, widths


def table(out, isa):
    rounds = sorted(glob.glob(f"{out}/results/{isa}/round*"))
    data = [read_round(r) for r in rounds]
    if not data:
        return
    variants = [v for v in VARIANTS if any(v in d[0].get(row, {}) for d in data for row in ROWS)]
    rows = [r for r in ROWS if any(r in d[0] or r in d[1] for d in data)]
    print(f"### {ISAS[isa]}\n")
    intrinsics = {u["intrinsics"] for d in data for u in d[1].values()}
    widths = set().union(*(d[2] for d in data))
    print(f"Unroll's timed processes reported {', '.join(sorted(widths)) or '—'}; BenchmarkDotNet: {', '.join(sorted(intrinsics)) or '—'}.")
    regs = f"{out}/rtneural-{isa}/registers.txt"
    if os.path.exists(regs):
        print("RTNeural binaries (instructions on 512-bit zmm / 256-bit ymm registers): " + "; ".join(
            re.sub(r"^\S+ bench_(\S+): (\d+) .* (\d+) on ymm$", r"\1 \2 / \3", l.strip()) for l in open(regs)) + ".")
    loads = [open(f"{r}/load.txt").read().strip() for r in rounds if os.path.exists(f"{r}/load.txt")]
    print(f"ns per step, minimum over {len(rounds)} round(s) of each round's median; ratio < 1: Unroll is faster."
          + (f" Load average (1 minute) as each round began: {' / '.join(loads)}." if loads else "") + "\n")
    print("| row | Unroll ns | RTNeural best ns | " + " | ".join(variants)
          + " | Unroll / best | Unroll allocates | checksum (Unroll; largest relative difference to RTNeural) | Unroll per round |")
    print("|---|---:|---:|" + "---:|" * len(variants) + "---:|---:|---|---|")
    slow = []
    for row in rows:
        u = [d[1][row] for d in data if row in d[1]]
        best_u = min((x["ns"] for x in u), default=None)
        per_variant = {v: min((d[0][row][v][0] for d in data if v in d[0].get(row, {})), default=None) for v in variants}
        found = {v: t for v, t in per_variant.items() if t is not None}
        best_v = min(found, key=found.get) if found else None
        ratio = f"{best_u / found[best_v]:.2f}" if best_u and best_v else "—"
        alloc = [x["allocated"] for x in u if x["allocated"] is not None]
        checks_rt = [d[0][row][v][1] for d in data for v in d[0].get(row, {})]
        check_u = next((x["check"] for x in u if x["check"] is not None), None)
        if check_u is not None and checks_rt:
            diff = max(abs(check_u - c) / max(abs(c), 1e-30) for c in checks_rt)
            agree = f"{check_u:.6e}; {diff:.1e} {'✓' if diff < 1e-3 else '✗'}"
        else:
            agree = "—"
        print(f"| {row} | {ns(best_u)} | {ns(found.get(best_v))} {best_v or ''} | "
              + " | ".join(ns(per_variant[v]) for v in variants)
              + f" | {ratio} | {f'{max(alloc)} B' if alloc else '—'} | {agree} | {' / '.join(ns(x['ns']) for x in u)} |")
        slow.append(f"{row} {max(x['slow'] for x in u) if u else '—'}")
    warmups = max((x["warmups"] for d in data for x in d[1].values()), default=0)
    print(f"\nUnroll's warm-up, the last of its {warmups} iterations that took over {SLOW:g}× the row's median (tier-0 code "
          f"still running, or noise), latest over rounds: {', '.join(slow)}.\n")


def main(out, *isas):
    runtime = next((u["runtime"] for d in (read_round(r) for r in glob.glob(f"{out}/results/*/round*")) for u in d[1].values()), {})
    cpu = next((l.split(":", 1)[1].strip() for l in command("lscpu").splitlines() if l.startswith("Model name")), "?")
    gcc = command("sh", "-c", "{ g++-12 --version || g++ --version; } 2>/dev/null | head -1")
    clang = command("sh", "-c", "{ clang++-14 --version || clang++ --version; } 2>/dev/null | head -1")
    print(f"## Unroll and RTNeural, streaming, batch 1, one thread\n")
    print(f"{date.today()}, {cpu} ({os.cpu_count()} cores; every timing pinned to CPU 1), "
          f"{runtime.get('OsVersion', '?')}, {runtime.get('RuntimeVersion', '?')}, BenchmarkDotNet "
          f"{runtime.get('BenchmarkDotNetVersion', '?')}; RTNeural 1fb1f075 (../shared/peers/rtneural) built by "
          f"{gcc or 'no g++'}{' and ' + clang if clang else ''} (-O3 -std=c++17, its build.sh).\n")
    for isa in isas or ISAS:
        table(out, isa)


if __name__ == "__main__":
    main(*sys.argv[1:])
