#!/usr/bin/env python3
"""Where a peer row's time goes, on either side: the row's command under `perf record` (the cpu-clock
software event, which works where hardware counters do not), with perf's window open only over the timed
steps (both sides send enable/disable through PEER_PERF_CONTROL), then the samples grouped by what they
compute. CPU time is counted, so the shares hold on a busy machine too (other processes slow both
the work and the samples alike).

    tests/Dsl.Benchmarks/peer/profile.sh ROW [ours|torch] [--quick] [--ours-env NAME=VALUE ...] [--top N]

Prints one table: category, share of the CPU samples, CPU milliseconds per step (or per evaluation
batch), and with --top N the N heaviest symbols.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness   # noqa: E402
from rows import ROWS, ids_needed   # noqa: E402

FREQUENCY = 999   # samples per second of CPU time

# (category, test on (dso, symbol)), first match wins.
CATEGORIES = [
    ("matrix products: OpenBLAS", lambda d, s: "openblas" in d),
    ("matrix products: MKL sgemm", lambda d, s: "mkl_blas" in s or "gblock_by_k" in s or "omp_parallel_acopy" in s),
    ("oneDNN JIT kernels (bf16 products, GELU)", lambda d, s: "dnnl" in s or "brgemm" in s or "brg_" in s
     # code generated at run time without a name: oneDNN's JIT kernels (.NET's JIT code is named through its perf map)
     or ((d in ("[unknown]", "") or d.startswith("[JIT]")) and re.fullmatch(r"0x[0-9a-f]+", s) is not None)),
    ("dtype casts (bf16 ↔ float32)", lambda d, s: "reduced_float_copy" in s or "convert" in s.lower() and "BFloat16" in s
     or "copy_kernel" in s and "BFloat16" in s),
    ("softmax", lambda d, s: "softmax" in s.lower()),
    ("layer norm", lambda d, s: "LayerNorm" in s or "layer_norm" in s or "RowwiseMoments" in s),
    ("GELU", lambda d, s: "gelu" in s.lower() or "GeluKernel" in s or "erf" in s.lower() and "Sleef" in s),
    ("optimizer arithmetic (lerp, addcmul, addcdiv, sqrt)", lambda d, s: any(k in s for k in ("lerp", "addcmul", "addcdiv", "sSqrt", "vssqrt", "sqrt_kernel"))),
    # FastDropout fills its masks in a Parallel.For (the only one on a BERT step's path)
    ("dropout masks", lambda d, s: "FastDropout" in s or "bernoulli" in s.lower() or "SplitMix" in s or "System.Threading.Tasks.Parallel" in s),
    ("embeddings", lambda d, s: "embedding" in s.lower() or "index_select" in s or "index_add" in s or "index_put" in s),
    ("reductions (sums, norms)", lambda d, s: "sum" in s and ("reduce" in s.lower() or "cascade" in s) or "norm_kernel" in s or "binary_kernel_reduce" in s),
    ("other elementwise kernels and copies (ATen)", lambda d, s: "VectorizedLoop2d" in s or "vectorized_loop" in s or "copy_kernel" in s
     or "fill_kernel" in s or "cpu_kernel" in s or "unary_op" in s or "binary_op" in s or "Sleef" in s),
    ("memory: page faults, zeroing, malloc", lambda d, s: d.startswith("[kernel") and any(k in s for k in ("page", "fault", "mm_", "folio", "memcg", "lruvec", "pte", "alloc", "charge", "rmap", "vma", "mas_"))
     or any(k in s for k in ("malloc", "_int_free", "cfree", "free_", "mmap", "munmap", "memset", "memmove", "memcpy", "madvise"))),
    ("threads: OpenMP, scheduling, waiting", lambda d, s: "gomp" in d or "gomp" in s.lower() or "GOMP" in s or "omp" in d
     or d.startswith("[kernel") and any(k in s for k in ("sched", "futex", "switch", "wake", "spin", "yield", "irq", "idle", "tick", "timer"))),
    ("libtorch dispatch, autograd and tensor bookkeeping", lambda d, s: "libtorch" in d or "libc10" in d or "c10::" in s or "at::" in s or "torch::" in s),
    (".NET runtime and managed code", lambda d, s: d.startswith("[JIT]") or "coreclr" in d or "clrjit" in d or d.endswith(".dll") or "doublemapper" in d
     or "System." in s or "Dsl." in s or "TorchSharp" in s),
    ("Python interpreter", lambda d, s: "python" in d),
    ("operating system, other", lambda d, s: d.startswith("[kernel")),
]


def categorize(dso, symbol):
    for name, test in CATEGORIES:
        if test(dso, symbol):
            return name
    return "other"


def short(symbol):
    """A readable name: the ATen kernel inside a TensorIterator loop, else the symbol cut to 110 characters."""
    kernel = re.search(r"(\w+_kernel\w*)", symbol) if ("VectorizedLoop2d" in symbol or "callback_fn" in symbol or "invoke_parallel" in symbol) else None
    if kernel:
        dtype = " (BFloat16)" if "BFloat16" in symbol else ""
        return f"ATen {kernel.group(1)}{dtype}"
    return symbol[:110]


def report(data, units, top):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none", "-n",
                          "--percent-limit", "0"], capture_output=True, text=True, check=True).stdout
    counts, symbols, total = collections.Counter(), collections.Counter(), 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(.+?)\s+\[[.kug]\]\s+(.*)$", line)
        if not m:
            continue
        samples, dso, symbol = int(m.group(2)), m.group(3), m.group(4).strip()
        counts[categorize(dso, symbol)] += samples
        symbols[(dso, short(symbol))] += samples
        total += samples
    if total == 0:
        sys.exit("perf recorded no samples in the window")
    print(f"{total} samples ({total / FREQUENCY:.1f} s of CPU time) over {units}")
    print("| where the time goes | share of CPU time | CPU ms per step |")
    print("|---|---|---|")
    for name, n in counts.most_common():
        print(f"| {name} | {100 * n / total:.1f} % | {1000 * n / FREQUENCY / units:.0f} |")
    if top:
        print(f"\nheaviest {top} symbols:")
        for (dso, symbol), n in symbols.most_common(top):
            print(f"  {100 * n / total:5.1f} %  {dso:28s} {symbol}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("row", choices=[name for name, row in ROWS.items() if row.kind in ("train", "eval")])
    p.add_argument("side", nargs="?", default="ours", choices=["ours", "torch"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--top", type=int, default=0)
    p.add_argument("--torch-passive", action="store_true", help="PyTorch's OpenMP workers sleep while they wait (OMP_WAIT_POLICY=PASSIVE)")
    p.add_argument("--keep", metavar="PATH", help="keep perf's data file here")
    p.add_argument("--report", metavar="PATH", help="only analyse this data file (from --keep)")
    a = p.parse_args()
    row = ROWS[a.row]
    scale = "quick" if a.quick else "full"
    if a.report:
        report(a.report, row.timed(scale), a.top)
        return
    work = os.path.join("/tmp", "dsl-peer")
    os.makedirs(work, exist_ok=True)
    paths = {"bench": os.path.join(harness.ROOT, "tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks.dll"),
             "peer": os.path.join(harness.HERE, "bert_peer.py"), "python": harness.PYTHON, "work": work}
    threads = str(a.threads)
    ours_env = harness.ours_environment(threads, dict(kv.split("=", 1) for kv in a.ours_env))
    for length, count in ids_needed([a.row], scale).items():
        paths[f"ids{length}"] = os.path.join(work, f"ids{length}.txt")
        harness.run(["dotnet", paths["bench"], "peer", "ids", paths[f"ids{length}"], str(count), str(length)], ours_env)
    ours_cmd, torch_cmd = row.commands(paths, scale)
    cmd, env = (ours_cmd, ours_env) if a.side == "ours" else (torch_cmd, harness.peer_environment(threads, a.torch_passive, None))
    # .NET writes its JIT code's names to /tmp/perf-PID.map; without W^X double mapping perf finds them there.
    env = dict(env, DOTNET_PerfMapEnabled="1", DOTNET_EnableWriteXorExecute="0")
    with tempfile.TemporaryDirectory() as tmp:
        control = os.path.join(tmp, "control")
        os.mkfifo(control)
        data = a.keep or os.path.join(tmp, "perf.data")
        env["PEER_PERF_CONTROL"] = control
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(FREQUENCY), "-g", "-D", "-1",
                        "--control", f"fifo:{control}", "-o", data, "--"] + cmd, env=env, cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"{a.row}, {a.side}: {' '.join(cmd)}")
        report(data, row.timed(scale), a.top)


if __name__ == "__main__":
    main()
