#!/usr/bin/env python3
"""Runs our generated loop and plain PyTorch side by side and prints the ratio table.

    tests/Dsl.Benchmarks/peer/run.sh [--quick] [--rounds N] [--no-build] [--only ROW,...]

Every measurement is one process (so peak RSS is that workload's); the two sides alternate within
each round (ours first in odd rounds, PyTorch first in even ones), and a row's ratio is the median of
the per-round ratios, so that load from other processes hits both sides alike. Both sides run with 2
threads (PEER_THREADS). The load average is printed with each round: numbers taken while it is
well above 2 are rough.

The PyTorch side gets its best BLAS: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (which some machines set
for old OpenBLAS builds, forcing AVX2 kernels on an AVX-512 processor) are removed from its
environment only (see peer_environment); the kernels it ran and the error of its sgemm are printed.
"""
import argparse
import atexit
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

from rows import ROWS, flops, ids_needed

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PYTHON = "/usr/bin/python3"   # Debian's python3-torch
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
# Variables that choose OpenBLAS's kernels by hand: the peer runs without them, so it gets the kernels
# OpenBLAS picks for this processor (Cooperlake's AVX-512 ones here, not Haswell's AVX2).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def find_shared(relative):
    d = ROOT
    while True:
        candidate = os.path.join(d, "shared", "data", relative)
        if os.path.exists(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            sys.exit(f"shared/data/{relative} not found above {ROOT}")
        d = parent


def run(cmd, env, cwd=None):
    """Runs cmd (wrapped by measured()) in exactly env; returns (its last JSON line, wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(f"FAILED ({proc.returncode}): {' '.join(cmd)}\n{out[-2000:]}\n{err[-4000:]}\n")
        raise SystemExit(1)
    result = None
    rss = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                pass
    for line in err.splitlines():
        if line.startswith("PEAK_RSS_KB="):
            rss = int(line.split("=")[1]) / 1024
        elif line.startswith("WALL_S="):
            wall = float(line.split("=")[1])   # the measured process alone, without peak_rss.py's start-up
    return result, wall, rss


def measured(cmd):
    """Wraps cmd so that its own peak RSS (VmHWM of its process) is reported on stderr."""
    return [PYTHON, os.path.join(HERE, "peak_rss.py")] + cmd


def ours_environment(threads, extra):
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": threads})
    env.update(extra)
    return env


def peer_environment(threads, passive, coretype):
    """The PyTorch side's environment: OpenBLAS with OpenMP, 2 threads, and OpenBLAS's own choice of kernels
    (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset) unless --peer-openblas-coretype names one."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
    env.update({"OMP_NUM_THREADS": threads, "PEER_THREADS": threads, "LD_LIBRARY_PATH": OPENBLAS})
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    return env


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="5 rounds of short runs")
    p.add_argument("--rounds", type=int)
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--only", help="comma-separated rows: " + ",".join(ROWS))
    p.add_argument("--real-lengths", action="store_true",
                   help="add the rows at 512 tokens: MiniLM's shape (batch 16) and bert-base's (batch 8), eager and sdpa")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--busy", type=int, default=0, help="run this many CPU-bound processes alongside (a busy machine)")
    p.add_argument("--torch-passive", action="store_true",
                   help="give PyTorch our OpenMP default too (OMP_WAIT_POLICY=PASSIVE), to compare kernels rather than defaults")
    p.add_argument("--peer-openblas-coretype", metavar="NAME",
                   help="force OpenBLAS's kernels for the peer (e.g. Haswell, as the rows of 1 December 2026 ran); default: OpenBLAS's choice")
    p.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE", help="an environment variable for our side only")
    p.add_argument("--memory-cap", default="12G", metavar="SIZE",
                   help="run every measured process in a cgroup v1 memory group of this size (0: none); bert-base at 512 "
                        "tokens needs several GiB")
    p.add_argument("--busy-compare", type=int, metavar="N",
                   help="each round runs every row quiet and with N spinning processes, ours under each thread policy "
                        "(DSL_TORCH_THREADS=fixed and follow-free-cores), and prints busy / quiet per side")
    a = p.parse_args()
    rounds = a.rounds or (5 if a.quick else 9)
    selected = a.only.split(",") if a.only else [name for name, row in ROWS.items()
                                                 if row.default or (a.real_lengths and row.length == 512 and row.precision == "fp32")]
    unknown = [name for name in selected if name not in ROWS]
    if unknown:
        sys.exit(f"unknown rows {unknown}: use {', '.join(ROWS)}")

    work = os.path.join("/tmp", "dsl-peer")
    os.makedirs(work, exist_ok=True)
    bench = os.path.join(ROOT, "tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks.dll")
    paths = {
        "bench": bench,
        "example": os.path.join(ROOT, "examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll"),
        "published": os.path.join(work, "published", "ImdbSentiment"),
        "example_project": os.path.join(ROOT, "examples/ImdbSentiment"),
        "peer": os.path.join(HERE, "bert_peer.py"),
        "imdb": os.path.dirname(find_shared("imdb/train.jsonl")),
        "vocab": find_shared("bert-base-uncased/vocab.txt"),
        "work": work,
        "python": PYTHON,
    }
    if not a.no_build:
        for project in ("tests/Dsl.Benchmarks", "examples/ImdbSentiment"):
            subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", project], cwd=ROOT, check=True)
        if "job-r2r" in selected:
            subprocess.run(["dotnet", "publish", "examples/ImdbSentiment", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
                            "-p:PublishReadyToRun=true", "-o", os.path.dirname(paths["published"]), "-v", "q", "-nologo"], cwd=ROOT, check=True)

    threads = str(a.threads)
    ours_env = ours_environment(threads, dict(kv.split("=", 1) for kv in a.ours_env))
    py_env = peer_environment(threads, a.torch_passive, a.peer_openblas_coretype)
    group = memory_group(a.memory_cap)
    if group:
        ours_env["PEER_CGROUP"] = py_env["PEER_CGROUP"] = group
    scale = "quick" if a.quick else "full"
    for length, count in ids_needed(selected, scale).items():
        paths[f"ids{length}"] = os.path.join(work, f"ids{length}.txt")
        run(["dotnet", bench, "peer", "ids", paths[f"ids{length}"], str(count), str(length)], ours_env)
    commands = {name: ROWS[name].commands(paths, scale) for name in selected}

    describe(a, rounds, scale, selected, bench, ours_env, py_env)
    if a.busy_compare:
        busy_compare(rounds, selected, commands, ours_env, py_env, work, a.busy_compare)
        return
    values = {name: {"ours": [], "torch": [], "ratio": [], "rss_ours": [], "rss_torch": [], "rss_ratio": []} for name in selected}
    loads = []
    busy = [subprocess.Popen([PYTHON, "-c", "while True: pass"]) for _ in range(a.busy)]
    if busy:
        print(f"{a.busy} CPU-bound processes running alongside", flush=True)
    try:
        run_rounds(rounds, selected, commands, values, loads, ours_env, py_env, work)
    finally:
        for process in busy:
            process.kill()
    print_table(selected, values, loads)
    print_efficiency(selected, values, scale)


def memory_group(cap):
    """A cgroup v1 memory group limited to cap (e.g. 12G) for the measured processes, or None when cap is 0 or
    the memory controller is not writable (then nothing is capped, and a line says so)."""
    if cap in ("0", ""):
        return None
    group = f"/sys/fs/cgroup/memory/dsl-peer-{os.getpid()}"
    try:
        os.makedirs(group, exist_ok=True)
        with open(os.path.join(group, "memory.limit_in_bytes"), "w") as f:
            f.write(cap)
    except OSError as e:
        print(f"(no memory cap: {e})")
        return None
    atexit.register(remove_group, group)
    return group


def remove_group(group):
    try:
        os.rmdir(group)
    except OSError:
        pass   # a process still in it, or gone already: the kernel keeps an empty group harmlessly


def describe(a, rounds, scale, selected, bench, ours_env, py_env):
    """What ran against what: the date, the processor, both sides' BLAS and the peer's kernel overrides."""
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    isa = ", ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_fp16") if f in flags)
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {model}, {os.cpu_count()} cores ({isa})")
    print(f"{rounds} alternating rounds ({scale} runs), {a.threads} threads each; rows: {', '.join(selected)}"
          + (f"; each process capped at {a.memory_cap} of memory" if "PEER_CGROUP" in ours_env else ""), flush=True)
    ours_blas, _, _ = run(["dotnet", bench, "peer", "blas"], ours_env)
    peer_blas, _, _ = run([PYTHON, os.path.join(HERE, "bert_peer.py"), "blas"], py_env)
    removed = [k for k in OPENBLAS_OVERRIDES if k in os.environ and py_env.get(k) != os.environ[k]]
    BLAS["ours"], BLAS["torch"] = short_blas(ours_blas["blas"]), short_blas(peer_blas["blas"])
    print(f"ours:    libtorch 2.10 (TorchSharp 0.107), {ours_blas['blas']}")
    print(f"PyTorch: Debian's torch 1.13, {peer_blas['blas']}"
          + (f"; removed from its environment: {', '.join(f'{k}={os.environ[k]}' for k in removed)}" if removed else "")
          + (f"; forced: OPENBLAS_CORETYPE={a.peer_openblas_coretype}" if a.peer_openblas_coretype else ""))
    if a.ours_env:
        print(f"our side's extra environment: {' '.join(a.ours_env)}")
    print(flush=True)


BLAS = {"ours": "?", "torch": "?"}


def short_blas(text):
    """The table's short form of a side's BLAS line: the library, its version and its kernels."""
    if "Math Kernel Library" in text:
        version = text.split("Version ")[1].split("-")[0] if "Version " in text else "?"
        return f"oneMKL {version}" + (", Intel-only check lifted" if "lifted" in text else ", Intel-only check in force")
    found = re.search(r"(\d+\.\d+\.\d+)\s+(\w+) kernels", text) or re.search(r"(\d+\.\d+\.\d+).*kernels (\w+)", text)
    return f"OpenBLAS {found.group(1)}, {found.group(2)} kernels" if "blas" in text.lower() and found else text[:60]


def run_rounds(rounds, selected, commands, values, loads, ours_env, py_env, work):
    for r in range(rounds):
        load = os.getloadavg()[0]
        loads.append(load)
        print(f"round {r + 1}/{rounds}, load average {load:.2f}", flush=True)
        for name in selected:
            ours_cmd, torch_cmd = commands[name]
            key, higher = ROWS[name].metric, ROWS[name].higher_is_better
            sides = [("ours", ours_cmd, ours_env), ("torch", torch_cmd, py_env)]
            if r % 2 == 1:
                sides.reverse()
            got = {}
            for side, cmd, env in sides:
                result, wall, rss = run(measured(cmd), env, cwd=work)
                got[side] = (wall if key == "wall" else result[key], rss, result)
            v = values[name]
            for side in ("ours", "torch"):
                v[side].append(got[side][0])
                v["rss_" + side].append(got[side][1])
                if name == "sgemm":
                    v.setdefault("check_" + side, []).append(got[side][2]["max_abs_diff_vs_float64"])
            v["ratio"].append(got["ours"][0] / got["torch"][0] if higher else got["torch"][0] / got["ours"][0])
            v["rss_ratio"].append(got["torch"][1] / got["ours"][1])
            print(f"  {name:15s} ours {got['ours'][0]:9.3f}  pytorch {got['torch'][0]:9.3f}  ratio {v['ratio'][-1]:.3f}   "
                  f"peak RSS {got['ours'][1]:.0f} / {got['torch'][1]:.0f} MiB", flush=True)


POLICIES = ("fixed", "follow-free-cores")   # DSL_TORCH_THREADS (src/Dsl/Threading/TorchThreads.cs)


def busy_compare(rounds, selected, commands, ours_env, py_env, work, spinners):
    """A busy machine against a quiet one, in the same rounds: each row quiet and with `spinners` CPU-bound processes
    alongside, ours under each thread policy and PyTorch; the quiet and busy runs alternate in order between rounds."""
    sides = [(f"ours, {policy}", dict(ours_env, DSL_TORCH_THREADS=policy), 0) for policy in POLICIES] + [("PyTorch", py_env, 1)]
    got = {(name, side, busy): [] for name in selected for side, _, _ in sides for busy in (False, True)}
    ratios = {(name, side): [] for name in selected for side, _, _ in sides}
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}, load average {os.getloadavg()[0]:.2f}", flush=True)
        for name in selected:
            key, higher = ROWS[name].metric, ROWS[name].higher_is_better
            for side, env, which in sides:
                measured_pair = {}
                for busy in ((False, True) if r % 2 == 0 else (True, False)):
                    spinning = [subprocess.Popen([PYTHON, "-c", "while True: pass"]) for _ in range(spinners if busy else 0)]
                    try:
                        result, wall, _ = run(measured(commands[name][which]), env, cwd=work)
                    finally:
                        for process in spinning:
                            process.kill()
                            process.wait()
                    measured_pair[busy] = wall if key == "wall" else result[key]
                    got[(name, side, busy)].append(measured_pair[busy])
                quiet, busy_value = measured_pair[False], measured_pair[True]
                ratios[(name, side)].append(busy_value / quiet if higher else quiet / busy_value)
                print(f"  {name:15s} {side:26s} quiet {quiet:9.3f}  busy {busy_value:9.3f}  busy/quiet {ratios[(name, side)][-1]:.3f}", flush=True)
    print()
    print(f"| row | side | quiet (median) | with {spinners} spinning processes (median) | busy / quiet, median of round ratios (range) |")
    print("|---|---|---|---|---|")
    for name in selected:
        for side, _, _ in sides:
            v = ratios[(name, side)]
            print(f"| {name} | {side} | {statistics.median(got[(name, side, False)]):.3f} | {statistics.median(got[(name, side, True)]):.3f} | "
                  f"{statistics.median(v):.3f} ({min(v):.2f}–{max(v):.2f}) |")


def print_table(selected, values, loads):
    units = {"steps_per_s": "steps/s", "examples_per_s": "examples/s", "wall": "s", "gflops": "GFLOP/s"}
    print()
    print(f"load average during the rounds: {min(loads):.2f}–{max(loads):.2f}")
    print("| row | ours (median) | PyTorch (median) | ours/PyTorch, median of round ratios (> 1: ours better) | peak RSS ours / PyTorch (MiB) | RSS ratio (> 1: ours leaner) |")
    print("|---|---|---|---|---|---|")
    for name in selected:
        v = values[name]
        unit = units[ROWS[name].metric]
        print(f"| {name} | {statistics.median(v['ours']):.3f} {unit} | {statistics.median(v['torch']):.3f} {unit} | "
              f"{statistics.median(v['ratio']):.3f} (range {min(v['ratio']):.2f}–{max(v['ratio']):.2f}) | "
              f"{statistics.median(v['rss_ours']):.0f} / {statistics.median(v['rss_torch']):.0f} | {statistics.median(v['rss_ratio']):.2f} |")
    print(f"| BLAS | {BLAS['ours']} | {BLAS['torch']} | | | |")
    if "sgemm" in selected:
        v = values["sgemm"]
        print(f"| sgemm 2048³: largest difference from float64 | {max(v['check_ours']):.3g} | {max(v['check_torch']):.3g} | | | |")


def print_efficiency(selected, values, scale):
    """The matrix products' share of each library's sgemm speed: how close a step comes to the machine's limit."""
    rows = [name for name in selected if ROWS[name].kind in ("train", "eval")]
    if not rows:
        return
    print()
    if "sgemm" not in selected:
        print("(add the sgemm row for each step's share of the machine's sgemm speed)")
        return
    sgemm = {side: statistics.median(values["sgemm"][side]) for side in ("ours", "torch")}
    best = max(sgemm.values())
    print(f"Matrix-product work per step (2 FLOPs a multiply-add; training = 3 × forward; elementwise work not counted) "
          f"against sgemm 2048³: ours {sgemm['ours']:.0f}, PyTorch {sgemm['torch']:.0f} GFLOP/s (best {best:.0f})")
    print("| row | GFLOP per step or batch | ours GFLOP/s | ours, share of the best sgemm | PyTorch GFLOP/s | PyTorch, share of its own sgemm |")
    print("|---|---|---|---|---|---|")
    for name in rows:
        row = ROWS[name]
        work = flops(row.size, row.batch, row.length, training=row.kind == "train")
        per_second = 1 if row.kind == "train" else 1 / row.batch   # eval reports examples/s
        ours = work * per_second * statistics.median(values[name]["ours"]) / 1e9
        torch = work * per_second * statistics.median(values[name]["torch"]) / 1e9
        print(f"| {name} | {work / 1e9:.1f} | {ours:.0f} | {100 * ours / best:.0f} % | {torch:.0f} | {100 * torch / sgemm['torch']:.0f} % |")


if __name__ == "__main__":
    main()
