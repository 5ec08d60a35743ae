#!/usr/bin/env bash
# Where a peer row's time goes (docs/benchmarks.md): the row under perf's cpu-clock sampler, only over
# its timed steps, grouped by what the code computes. Needs perf (Debian's linux-perf).
#   tests/Dsl.Benchmarks/peer/profile.sh train-mini ours --top 20
#   tests/Dsl.Benchmarks/peer/profile.sh train-mini torch
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
exec /usr/bin/python3 "$here/profile.py" "$@"
