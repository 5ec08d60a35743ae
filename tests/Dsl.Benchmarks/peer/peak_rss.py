#!/usr/bin/env python3
"""Runs a command and reports its own peak resident memory, wall time and CPU time on stderr.

wait4 returns the rusage of exactly that child (ru_maxrss, KiB on Linux), so each workload's peak is
its own; the wall time starts just before the child is created, so this wrapper's start-up is not in it.
"""
import os
import sys
import time

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    # PEER_CGROUP: a cgroup v1 memory group (harness.py's --memory-cap) the command runs in, so a row that
    # needs more memory than the cap is stopped there instead of taking the machine down.
    group = os.environ.get("PEER_CGROUP")
    if group:
        with open(os.path.join(group, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
sys.stderr.write(f"PEAK_RSS_KB={usage.ru_maxrss}\nWALL_S={wall}\nCPU_S={usage.ru_utime + usage.ru_stime}\n")
sys.exit(os.waitstatus_to_exitcode(status))
