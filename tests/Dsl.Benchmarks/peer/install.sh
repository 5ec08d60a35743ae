#!/usr/bin/env bash
# What the PyTorch side needs (Debian 12): PyTorch 1.13 from Debian, OpenBLAS built with OpenMP, and
# threadpoolctl (which reports the BLAS and kernels torch runs). Debian's python3-torch links the
# generic libblas.so.3; the harness points LD_LIBRARY_PATH at /usr/lib/x86_64-linux-gnu/openblas-openmp
# so that it loads OpenBLAS rather than whatever the libblas.so.3 alternative names (the reference
# netlib BLAS on a plain system).
set -euo pipefail
if /usr/bin/python3 -c 'import torch, threadpoolctl' 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-torch python3-numpy libopenblas0-openmp python3-threadpoolctl
