"""Joins PyTorch's medians (torch_bench.py) and BenchmarkDotNet's JSON reports into one markdown table."""
import glob
import json
import os
import platform
import sys
from datetime import date

UNROLL = {  # workload → BenchmarkDotNet "Type.Method"
    **{f"{cell} Step h{h}{suffix}": f"{cell.capitalize()}StepBenchmarks.Hidden{h}(Threads={threads})"
       for cell in ("LSTM", "GRU")
       for suffix, threads, sizes in (("", 1, (16, 32, 64, 128, 256)), (", 2 threads", 2, (64, 128, 256)))
       for h in sizes},
    "LSTM Forward 32→128, 64 steps": "SequenceBenchmarks.LstmForward",
    "GRU Forward 32→128, 64 steps": "SequenceBenchmarks.GruForward",
    "RNN Forward 32→128, 64 steps": "SequenceBenchmarks.RnnForward",
    "Conv1d 101→128 k15 s4, 8 × 400 steps, Forward": "AudioBenchmarks.ConvForward",
    "Conv1d 101→128 k15 s4, 8 × 400 steps, Forward + Backward": "AudioBenchmarks.ConvForwardBackward",
    "trigger-word model streaming, per 10 ms frame": "AudioBenchmarks.TriggerWordFrame",
    "transformer decoding, cached, per character": "TransformerBenchmarks.TransformerDecodeStep(Threads=1)",
    **{f"{name}{suffix}": f"TrainingBenchmarks.{method}(Threads={threads})"
       for suffix, threads in (("", 1), (", 2 threads", 2))
       for name, method in (("char-LM training step, batch 1", "CharLmTrainBatch1"),
                            ("char-LM training step, batch 16", "CharLmTrainBatch16"),
                            ("attention block training step, batch 1", "AttentionBlockTrainBatch1"),
                            ("seq2seq training step, batch 16", "Seq2SeqTrainBatch16"))},
    **{f"transformer training step, batch 16{suffix}": f"TransformerBenchmarks.TransformerTrainBatch16(Threads={threads})"
       for suffix, threads in (("", 1), (", 2 threads", 2))},
}

# Issue 5's targets for Unroll (one thread): 0.8 × RTNeural's medians for the steps, fixed figures for the rest.
TARGETS = {
    **{f"LSTM Step h{h}": 0.8 * t * 1e-9 for h, t in zip((16, 32, 64, 128, 256), (69, 109, 744, 2561, 11372))},
    **{f"GRU Step h{h}": 0.8 * t * 1e-9 for h, t in zip((16, 32, 64, 128, 256), (66, 138, 535, 1946, 7545))},
    "LSTM Forward 32→128, 64 steps": 127e-6,
    "char-LM training step, batch 1": 0.70e-3,
    "char-LM training step, batch 16": 4.8e-3,
    "attention block training step, batch 1": 0.12e-3,
}


def fmt(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:,.3g} {unit}"
    return f"{seconds / 1e-9:,.3g} ns"


def main(torch_json, bdn_results):
    torch = json.load(open(torch_json))
    unroll, allocated = {}, {}
    for path in glob.glob(os.path.join(bdn_results, "*-report-full*.json")):
        for b in json.load(open(path))["Benchmarks"]:
            key = f"{b['Type']}.{b['Method']}" + (f"({b['Parameters']})" if b.get("Parameters") else "")
            unroll[key] = b["Statistics"]["Median"] * 1e-9
            allocated[key] = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"{date.today()}, {cpu}, {os.cpu_count()} cores, medians; one thread unless the row says two (both sides)\n")
    print("| workload | PyTorch | Unroll | PyTorch / Unroll | Unroll allocates | target (1 thread) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, key in UNROLL.items():
        t, u, goal = torch.get(name), unroll.get(key), TARGETS.get(name)
        if t is None and u is None:
            continue  # a run of some workloads only
        ratio = f"{t / u:,.1f}×" if t and u else "—"
        target = f"{fmt(goal)} {'met' if u and u <= goal else 'not met'}" if goal else ""
        print(f"| {name} | {fmt(t) if t else '—'} | {fmt(u) if u else '—'} | {ratio} | {allocated.get(key, '—')} B | {target} |")
    floors = [(name, unroll.get(f"WeightStreamingBenchmarks.{name}")) for name in ("Read278KB", "Read1080KB")]
    if all(u for _, u in floors):
        print("\nReading the weights of an LSTM step once (eight independent vector sums, no other work): "
              + ", ".join(f"{n[4:]} in {fmt(u)} ({int(n[4:-2]) * 1e3 / u / 1e9:,.0f} GB/s)" for n, u in floors) + ".")
    fma = unroll.get("ComputeFloorBenchmarks.MultiplyAdds16Mi")
    if fma:
        print(f"\nOne core's multiply-add rate with nothing to load: {((1 << 20) - 4) / fma / 1e9:,.2f} 512-bit fused multiply-adds a nanosecond "
              f"({((1 << 20) - 4) * 32 / fma / 1e9:,.0f} GFLOP/s).")


if __name__ == "__main__":
    main(*sys.argv[1:])
