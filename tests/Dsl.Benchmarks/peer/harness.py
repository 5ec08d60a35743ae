#!/usr/bin/env python3
"""Runs our generated loop and plain PyTorch side by side and prints the ratio table.

    tests/Dsl.Benchmarks/peer/run.sh [--quick] [--rounds N] [--no-build] [--only ROW,...]

Every measurement is one process (so peak RSS is that workload's); the two sides alternate within
each round (ours first in odd rounds, PyTorch first in even ones), and a row's ratio is the median of
the per-round ratios, so that load from other processes hits both sides alike. Both sides run with 2
threads (PEER_THREADS). The load average is printed with each round: numbers taken while it is
well above 2 are rough.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PYTHON = "/usr/bin/python3"   # Debian's python3-torch
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


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


def run(cmd, env_extra=None, cwd=None):
    """Runs cmd (wrapped by measured()); returns (its last JSON line, wall seconds, peak RSS in MiB)."""
    env = dict(os.environ)
    env.update(env_extra or {})
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="5 rounds of short runs (~10 minutes)")
    p.add_argument("--rounds", type=int)
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--only", help="comma-separated rows: train-tiny,train-mini,eval-tiny,eval-mini,job,startup,sgemm, "
                                  "train512-{minilm,base}-{eager,sdpa} (with --real-lengths)")
    p.add_argument("--real-lengths", action="store_true",
                   help="add the rows at 512 tokens: MiniLM's shape (batch 16) and bert-base's (batch 8), eager and sdpa")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--busy", type=int, default=0, help="run this many CPU-bound processes alongside (a busy machine)")
    p.add_argument("--torch-passive", action="store_true",
                   help="give PyTorch our OpenMP default too (OMP_WAIT_POLICY=PASSIVE), to compare kernels rather than defaults")
    a = p.parse_args()
    rounds = a.rounds or (5 if a.quick else 9)
    train_steps = {"tiny": 10 if a.quick else 30, "mini": 4 if a.quick else 10}
    eval_batches = {"tiny": 10 if a.quick else 30, "mini": 4 if a.quick else 12}

    if not a.no_build:
        for project in ("tests/Dsl.Benchmarks", "examples/ImdbSentiment"):
            subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", project], cwd=ROOT, check=True)
    bench = os.path.join(ROOT, "tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks.dll")
    example = os.path.join(ROOT, "examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll")
    peer = os.path.join(HERE, "bert_peer.py")
    imdb = os.path.dirname(find_shared("imdb/train.jsonl"))
    vocab = find_shared("bert-base-uncased/vocab.txt")
    work = os.path.join("/tmp", "dsl-peer")
    os.makedirs(work, exist_ok=True)
    ids = os.path.join(work, "ids.txt")
    threads = str(a.threads)
    ours_env = {"OMP_NUM_THREADS": threads, "DOTNET_TieredPGO": "1"}
    py_env = {"OMP_NUM_THREADS": threads, "PEER_THREADS": threads, "LD_LIBRARY_PATH": OPENBLAS}
    if a.torch_passive:
        py_env["OMP_WAIT_POLICY"] = "PASSIVE"

    need = max(train_steps["tiny"], train_steps["mini"], eval_batches["tiny"], eval_batches["mini"]) + 3
    run(["dotnet", bench, "peer", "ids", ids, str(need * 32)], ours_env)
    # Real lengths: the same reviews at up to 512 tokens (most IMDb reviews fill it), few steps (each is seconds).
    ids512 = os.path.join(work, "ids512.txt")
    long_steps = 2 if a.quick else 4
    long_batch = {"minilm": 16, "base": 8}
    if a.real_lengths or "train512" in (a.only or ""):
        run(["dotnet", bench, "peer", "ids", ids512, str((long_steps + 3) * 16), "512"], ours_env)

    rows = {
        # name: (ours cmd, pytorch cmd, metric key or "wall", higher is better)
        "train-tiny": (["dotnet", bench, "peer", "train", "tiny", str(train_steps["tiny"]), ids],
                       [PYTHON, peer, "train", "tiny", str(train_steps["tiny"]), ids], "steps_per_s", True),
        "train-mini": (["dotnet", bench, "peer", "train", "mini", str(train_steps["mini"]), ids],
                       [PYTHON, peer, "train", "mini", str(train_steps["mini"]), ids], "steps_per_s", True),
        "eval-tiny": (["dotnet", bench, "peer", "eval", "tiny", str(eval_batches["tiny"]), ids],
                      [PYTHON, peer, "eval", "tiny", str(eval_batches["tiny"]), ids], "examples_per_s", True),
        "eval-mini": (["dotnet", bench, "peer", "eval", "mini", str(eval_batches["mini"]), ids],
                      [PYTHON, peer, "eval", "mini", str(eval_batches["mini"]), ids], "examples_per_s", True),
        "job": (["dotnet", example, "--data", imdb, "--vocab", vocab, "--size", "tiny", "--no-progress",
                 "--output", os.path.join(work, "results"), "--logging-dir", os.path.join(work, "logs")],
                [PYTHON, peer, "job", imdb, vocab, os.path.join(work, "results-py")], "wall", False),
        "startup": (["dotnet", bench, "peer", "startup"], [PYTHON, peer, "startup"], "wall", False),
        "sgemm": (["dotnet", bench, "peer", "sgemm", "2048", "5"], [PYTHON, peer, "sgemm", "2048", "5"], "gflops", True),
    }
    for size, batch in long_batch.items():
        for attention in ("eager", "sdpa"):
            # Ours with this attention; PyTorch with the same where it has it (Debian's 1.13.1 runs eager and says so).
            rows[f"train512-{size}-{attention}"] = (
                ["dotnet", bench, "peer", "train", size, str(long_steps), ids512, str(batch), attention],
                [PYTHON, peer, "train", size, str(long_steps), ids512, str(batch), attention], "steps_per_s", True)
    long_rows = [name for name in rows if name.startswith("train512-")]
    selected = a.only.split(",") if a.only else [name for name in rows if a.real_lengths or name not in long_rows]
    values = {name: {"ours": [], "torch": [], "ratio": [], "rss_ours": [], "rss_torch": [], "rss_ratio": []} for name in selected}
    loads = []
    # A busy machine: processes that only spin, started before the rounds and stopped after them.
    print(f"{rounds} alternating rounds, {threads} threads each; train steps {train_steps}, eval batches {eval_batches}", flush=True)
    busy = [subprocess.Popen([PYTHON, "-c", "while True: pass"]) for _ in range(a.busy)]
    if busy:
        print(f"{a.busy} CPU-bound processes running alongside", flush=True)
    try:
        run_rounds(rounds, selected, rows, values, loads, ours_env, py_env, work)
    finally:
        for process in busy:
            process.kill()
    print_table(selected, rows, values, loads)


def run_rounds(rounds, selected, rows, values, loads, ours_env, py_env, work):
    for r in range(rounds):
        load = os.getloadavg()[0]
        loads.append(load)
        print(f"round {r + 1}/{rounds}, load average {load:.2f}", flush=True)
        for name in selected:
            ours_cmd, torch_cmd, key, higher = rows[name]
            sides = [("ours", ours_cmd, ours_env), ("torch", torch_cmd, py_env)]
            if r % 2 == 1:
                sides.reverse()
            got = {}
            for side, cmd, env in sides:
                result, wall, rss = run(measured(cmd), env, cwd=work)
                got[side] = (wall if key == "wall" else result[key], rss)
            v = values[name]
            for side in ("ours", "torch"):
                v[side].append(got[side][0])
                v["rss_" + side].append(got[side][1])
            v["ratio"].append(got["ours"][0] / got["torch"][0] if higher else got["torch"][0] / got["ours"][0])
            v["rss_ratio"].append(got["torch"][1] / got["ours"][1])
            print(f"  {name:11s} ours {got['ours'][0]:9.3f}  pytorch {got['torch'][0]:9.3f}  ratio {v['ratio'][-1]:.3f}   "
                  f"peak RSS {got['ours'][1]:.0f} / {got['torch'][1]:.0f} MiB", flush=True)


def print_table(selected, rows, values, loads):
    units = {"steps_per_s": "steps/s", "examples_per_s": "examples/s", "wall": "s", "gflops": "GFLOP/s"}
    print()
    print(f"load average during the rounds: {min(loads):.2f}–{max(loads):.2f}")
    print("| row | ours (median) | PyTorch (median) | ours/PyTorch, median of round ratios (> 1: ours better) | peak RSS ours / PyTorch (MiB) | RSS ratio (> 1: ours leaner) |")
    print("|---|---|---|---|---|---|")
    for name in selected:
        v = values[name]
        key = rows[name][2]
        print(f"| {name} | {statistics.median(v['ours']):.3f} {units[key]} | {statistics.median(v['torch']):.3f} {units[key]} | "
              f"{statistics.median(v['ratio']):.3f} (range {min(v['ratio']):.2f}–{max(v['ratio']):.2f}) | "
              f"{statistics.median(v['rss_ours']):.0f} / {statistics.median(v['rss_torch']):.0f} | {statistics.median(v['rss_ratio']):.2f} |")


if __name__ == "__main__":
    main()
