#!/usr/bin/env bash
# Peak memory of training runs at real lengths, each alone under a cgroup memory cap (docs/benchmarks.md,
# "Real lengths"): the whole process's peak (memory.max_usage_in_bytes, cgroup v1) next to the estimate
# Train printed, and the seconds per step (a busy machine's seconds say little; the peaks do not depend on load).
#   tests/Dsl.Benchmarks/scale/peaks.sh [CAP] < rows       one row a line: SIZE LENGTH BATCH eager|sdpa checkpointing|none fp32|bf16 STEPS
#   e.g. echo "base 512 32 sdpa checkpointing fp32 2" | tests/Dsl.Benchmarks/scale/peaks.sh 12G
# Needs root and cgroup v1's memory controller (/sys/fs/cgroup/memory); builds the benchmark in Release first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cap="${1:-12G}"
dotnet build -c Release "$root/tests/Dsl.Benchmarks" >/dev/null
bench="$root/tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks"
group=/sys/fs/cgroup/memory/dsl-scale-peaks-$$
mkdir -p "$group"
trap 'rmdir "$group" 2>/dev/null || true' EXIT
echo "| size | length × batch | attention | checkpointing | precision | estimate | peak resident (VmHWM) | estimate / peak | cgroup peak | s/step |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while read -r size length batch attention checkpointing precision steps; do
  [ -z "${size:-}" ] && continue
  echo "$cap" > "$group/memory.limit_in_bytes"
  echo 0 > "$group/memory.max_usage_in_bytes"
  out="$(sh -c "echo \$\$ > $group/cgroup.procs; exec $bench scale run $size $length $batch $attention $checkpointing $precision $steps" 2>&1)" || {
    echo "| $size | $length × $batch | $attention | $checkpointing | $precision | | failed (cap $cap) | | |"; echo "$out" | tail -3 >&2; continue; }
  peak=$(cat "$group/memory.max_usage_in_bytes")
  estimate=$(echo "$out" | sed -n 's/.*estimate \([0-9.]*\) GiB.*/\1/p' | tail -1)
  resident=$(echo "$out" | sed -n 's/.*peak resident \([0-9.]*\) GiB.*/\1/p' | tail -1)
  seconds=$(echo "$out" | sed -n 's/.*: \([0-9.]*\) s\/step.*/\1/p' | tail -1)
  echo "$out" | grep "^Memory estimate" >&2 || true
  awk -v e="$estimate" -v m="$resident" -v p="$peak" -v s="$size" -v l="$length" -v b="$batch" -v a="$attention" -v c="$checkpointing" -v r="$precision" -v t="$seconds" \
    'BEGIN { g = p / 1073741824; printf "| %s | %s × %s | %s | %s | %s | %.2f GiB | %.2f GiB | %.2f | %.2f GiB | %s |\n", s, l, b, a, c, r, e, m, e / m, g, t }'
done
