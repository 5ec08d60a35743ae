#!/usr/bin/env bash
# The scaling measurement of docs/distributed.md: 1 rank × 2 threads against 2 ranks × 1 thread at the
# same global batch (and 1 rank × 1 thread for reference), alternating, ROUNDS times. Needs mpirun.mpich and Release builds:
#   dotnet build -c Release tests/Dsl.Tests.MpiWorker && dotnet build -c Release examples/ImdbSentiment
#   tests/Dsl.Tests.MpiWorker/scaling.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
worker=$PWD/tests/Dsl.Tests.MpiWorker/bin/Release/net10.0/Dsl.Tests.MpiWorker.dll
imdb=$PWD/examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mlp="--width 1024 --examples 25600 --eval-examples 0"   # 8-1024-1024-2 MLP, 1.06 M parameters, 100 steps of 256
bert="--train-size 1024 --eval-size 32 --epochs 1 --logging-steps 1000 --no-progress"   # BERT-tiny, 32 steps of 32 × 128 tokens

for round in $(seq "$rounds"); do
  echo "round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "  MLP  1 rank  x 2 threads: $(dotnet "$worker" --result "$work/a$round" --batch 256 --threads 2 $mlp)"
  echo "  MLP  2 ranks x 1 thread : $(mpirun.mpich -np 2 dotnet "$worker" --result "$work/b$round" --batch 128 --threads 1 $mlp)"
  echo "  MLP  1 rank  x 1 thread : $(dotnet "$worker" --result "$work/c$round" --batch 256 --threads 1 $mlp)"
  echo "  BERT 1 rank  x 2 threads: $(cd "$work" && OMP_NUM_THREADS=2 dotnet "$imdb" --batch-size 32 --output a$round $bert | grep -o "'train_steps_per_second': [0-9.]*")"
  echo "  BERT 2 ranks x 1 thread : $(cd "$work" && mpirun.mpich -np 2 -genv OMP_NUM_THREADS 1 dotnet "$imdb" --batch-size 16 --output b$round $bert | grep -o "'train_steps_per_second': [0-9.]*" | head -1)"
  echo "  BERT 1 rank  x 1 thread : $(cd "$work" && OMP_NUM_THREADS=1 dotnet "$imdb" --batch-size 32 --output c$round $bert | grep -o "'train_steps_per_second': [0-9.]*")"
done
