#!/usr/bin/env bash
# The scaling measurement of docs/distributed.md: the same global batch (256) of an 8-1024-1024-2 MLP (1.06 M
# parameters, 100 steps) trained by 1 rank × 2 threads, 1 rank × 1 thread, 2 ranks × 1 thread and 4 ranks ×
# 1 thread on this host, and by 2 and 4 ranks (1 thread each) on two hosts made of network namespaces, where
# the gradients go over TCP (tests/Dsl.Distributed.Tests/Hosts/hosts.sh; needs root). Alternating, ROUNDS
# times. Each line: steps/s, bytes summed per step and rank 0's time in MPI_Allreduce per step (waiting for
# the others included). Needs a Release build, and MPICH (default) or Open MPI (MPI=openmpi):
#   dotnet build -c Release tests/Dsl.Tests.MpiWorker
#   tests/Dsl.Tests.MpiWorker/scaling.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
mpi=${MPI:-mpich}
worker=$PWD/tests/Dsl.Tests.MpiWorker/bin/Release/net10.0/Dsl.Tests.MpiWorker.dll
hosts=$PWD/tests/Dsl.Distributed.Tests/Hosts/hosts.sh
ssh=$PWD/tests/Dsl.Distributed.Tests/Hosts/ssh
[ -f "$worker" ] || { echo "Build first: dotnet build -c Release tests/Dsl.Tests.MpiWorker" >&2; exit 1; }
mlp="--width 1024 --examples 25600 --eval-examples 0"

name=dslscale$$
shared=/var/tmp/$name   # every host sees it (each has its own /tmp)
mkdir -p "$shared"
trap '"$hosts" down "$name"; rm -rf "$shared"' EXIT
"$hosts" up "$name" 2
printf '%s\n' "$name-h1:1" "$name-h2:1" >"$shared/mpich-1"
printf '%s\n' "$name-h1:2" "$name-h2:2" >"$shared/mpich-2"
printf '%s\n' "$name-h1 slots=1" "$name-h2 slots=1" >"$shared/openmpi-1"
printf '%s\n' "$name-h1 slots=2" "$name-h2 slots=2" >"$shared/openmpi-2"

local_ranks() { # local_ranks RANKS: the launcher on this host
  if [ "$mpi" = openmpi ]; then echo "mpirun.openmpi --allow-run-as-root --oversubscribe -np $1"; else echo "mpirun.mpich -np $1"; fi
}
host_ranks() { # host_ranks PER_HOST: the launcher on the first host, with a host file
  if [ "$mpi" = openmpi ]; then
    echo "$hosts run $name-h1 mpirun.openmpi --allow-run-as-root --hostfile $shared/openmpi-$1 -np $((2 * $1)) --mca plm_rsh_agent $ssh --mca oob_tcp_if_include eth0 --mca btl_tcp_if_include eth0"
  else
    echo "$hosts run $name-h1 mpiexec.hydra -f $shared/mpich-$1 -np $((2 * $1)) -launcher ssh -launcher-exec $ssh"
  fi
}
measure() { # measure LABEL COMMAND...: prints the worker's summary line
  local label=$1; shift
  # (Open MPI gives ranks a terminal, where .NET's console writes an escape before the first line: match inside the line.)
  echo "  $label: $("$@" | grep -oE 'world [0-9]+ steps .*')"
}

echo "MPI: $mpi; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for round in $(seq "$rounds"); do
  echo "round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  measure "1 rank  x 2 threads, one host " dotnet "$worker" --result "$shared/a$round" --batch 256 --threads 2 $mlp
  measure "1 rank  x 1 thread,  one host " dotnet "$worker" --result "$shared/b$round" --batch 256 --threads 1 $mlp
  # shellcheck disable=SC2046 # the launcher's words
  measure "2 ranks x 1 thread,  one host " $(local_ranks 2) dotnet "$worker" --result "$shared/c$round" --batch 128 --threads 1 $mlp
  measure "4 ranks x 1 thread,  one host " $(local_ranks 4) dotnet "$worker" --result "$shared/d$round" --batch 64 --threads 1 $mlp
  measure "2 ranks x 1 thread,  two hosts" $(host_ranks 1) dotnet "$worker" --result "$shared/e$round" --batch 128 --threads 1 $mlp
  measure "4 ranks x 1 thread,  two hosts" $(host_ranks 2) dotnet "$worker" --result "$shared/f$round" --batch 64 --threads 1 $mlp
done
