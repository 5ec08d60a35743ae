#!/usr/bin/env bash
# The PyTorch peer benchmark in one command (docs/benchmarks.md, "Against PyTorch"):
#   tests/Dsl.Benchmarks/peer/run.sh --quick      # 5 rounds of short runs
#   tests/Dsl.Benchmarks/peer/run.sh              # 9 rounds, longer runs
#   options: --rounds N, --only train-tiny,job,..., --busy N (N spinning processes alongside),
#            --busy-compare N (each row quiet and beside N spinning processes, ours under each thread policy),
#            --torch-passive (PyTorch with OMP_WAIT_POLICY=PASSIVE too), --no-build,
#            --peer-openblas-coretype NAME (force OpenBLAS's kernels, e.g. Haswell as the old rows ran),
#            --ours-env NAME=VALUE (our side only)
# Installs Debian's PyTorch and the OpenMP build of OpenBLAS when they are missing, builds the
# benchmark and the example in Release, then alternates the two sides and prints the ratio table.
#
# The peer gets its best kernels: harness.py removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from
# the PyTorch side's environment only (peer_environment). Some machines set them for old OpenBLAS
# builds; OPENBLAS_CORETYPE=Haswell makes OpenBLAS 0.3.21 run its AVX2 kernels on an AVX-512
# processor (about half its sgemm speed). Tests, CI and our side keep the machine's settings.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install.sh"
exec /usr/bin/python3 "$here/harness.py" "$@"
