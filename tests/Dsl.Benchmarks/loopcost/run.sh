#!/usr/bin/env bash
# The generated loop's own cost against the hand-written loop's, in instructions per step (docs/benchmarks.md,
# "The generated loop against the best hand-written loop"): each loop runs the MLP of the speed mode for N1 and
# for N2 steps under valgrind's callgrind (one torch thread, tiered compilation off, so every run executes the
# same code); (Ir(N2) − Ir(N1)) / (N2 − N1) is a step's instructions, start-up cancelled out. Other processes'
# load does not change instruction counts, so this holds on a busy machine. ~10 minutes.
#   tests/Dsl.Benchmarks/loopcost/run.sh [N1] [N2] [prefetch]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
n1="${1:-40}"; n2="${2:-240}"; prefetch="${3:-2}"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
dotnet build -c Release "$root/tests/Dsl.Benchmarks" -v q -nologo >/dev/null
bench="$root/tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks.dll"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count() {   # loop steps -> instructions
  OMP_NUM_THREADS=1 DOTNET_TieredCompilation=0 DOTNET_TieredPGO=0 DOTNET_EnableWriteXorExecute=0 \
    valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out/cg.%p" \
    dotnet "$bench" loopcost "$1" "$2" "$prefetch" > "$out/log" 2>&1 || { tail -20 "$out/log" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log" | tail -1
}
declare -A ir
for loop in generated hand; do
  for n in "$n1" "$n2"; do
    ir[$loop,$n]=$(count "$loop" "$n")
    echo "$loop $n steps: ${ir[$loop,$n]} instructions" >&2
  done
done
python3 - "$n1" "$n2" "${ir[generated,$n1]}" "${ir[generated,$n2]}" "${ir[hand,$n1]}" "${ir[hand,$n2]}" <<'PY'
import sys
n1, n2, g1, g2, h1, h2 = map(int, sys.argv[1:])
g, h = (g2 - g1) / (n2 - n1), (h2 - h1) / (n2 - n1)
print(f"| loop | instructions per step (MLP 64-512-512-4, batch 64, 1 thread) |")
print(f"|---|---|")
print(f"| generated | {g:,.0f} |")
print(f"| hand-written | {h:,.0f} |")
print(f"| generated / hand | {g / h:.4f} ({g - h:+,.0f} instructions a step) |")
PY
