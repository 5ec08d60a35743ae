#!/usr/bin/env bash
# The PyTorch peer benchmark in one command (docs/benchmarks.md, "Against PyTorch"):
#   tests/Dsl.Benchmarks/peer/run.sh --quick      # ~10 minutes on 2 quiet cores
#   tests/Dsl.Benchmarks/peer/run.sh              # 9 rounds, longer runs
#   options: --rounds N, --only train-tiny,job,..., --busy N (N spinning processes alongside),
#            --torch-passive (PyTorch with OMP_WAIT_POLICY=PASSIVE too), --no-build
# Installs Debian's PyTorch and the OpenMP build of OpenBLAS when they are missing, builds the
# benchmark and the example in Release, then alternates the two sides and prints the ratio table.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install.sh"
exec /usr/bin/python3 "$here/harness.py" "$@"
