#!/usr/bin/env bash
# The tutorial's exact shapes (docs/results.md, "The tutorial's shapes at 512 tokens"): examples/ImdbSentiment on
# the tutorial's 100 training and 50 test reviews, batch 32, 512 tokens, 1 epoch (4 optimizer steps), each run alone
# under a cgroup memory cap; prints its peak (cgroup v1 memory.max_usage_in_bytes, and the process's max RSS) and
# seconds per step (train_runtime / 4; a busy machine's say little).
#   tests/Dsl.Benchmarks/scale/tutorial.sh [CAP] [ROWS...]     a row: SIZE:ATTENTION:CHECKPOINTING[:RELEASE], e.g. base:sdpa:on
#   or base:sdpa:on:true (RELEASE: --release-large-allocations true|false; absent: the default, decided by the estimate)
# Default rows: bert-base's and MiniLM's shapes, sdpa and eager, with and without checkpointing where they fit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cap="${1:-20G}"; shift || true
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=(base:sdpa:on base:eager:on minilm:sdpa:on minilm:sdpa:off minilm:eager:off)
data="$(cd "$root/.." && pwd)/shared/data"
dotnet build -c Release "$root/examples/ImdbSentiment" >/dev/null
example="$root/examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll"
group=/sys/fs/cgroup/memory/dsl-scale-tutorial-$$
mkdir -p "$group"
work="$(mktemp -d)"
trap 'rmdir "$group" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "| shape | attention | gradient checkpointing | large blocks released | peak (cgroup) | peak RSS | s/step | eval_accuracy |"
echo "|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  IFS=: read -r size attention checkpointing release <<< "$row"
  flag=""; [ "$checkpointing" = on ] && flag="--gradient-checkpointing"
  [ -n "$release" ] && flag="$flag --release-large-allocations $release"
  echo "$cap" > "$group/memory.limit_in_bytes"
  echo 0 > "$group/memory.max_usage_in_bytes"
  out="$(sh -c "echo \$\$ > $group/cgroup.procs; exec /usr/bin/time -f 'MAXRSS_KB=%M' dotnet $example --data $data/imdb \
      --vocab $data/bert-base-uncased/vocab.txt --size $size --max-length 512 --batch-size 32 --attention $attention $flag \
      --no-progress --output $work/results --logging-dir $work/logs --overwrite-output-dir" 2>&1)" || { echo "| $size | $attention | $checkpointing | ${release:-default} | failed (cap $cap) | | | |"; echo "$out" | tail -3 >&2; continue; }
  peak=$(cat "$group/memory.max_usage_in_bytes")
  rss=$(echo "$out" | sed -n 's/^MAXRSS_KB=//p' | tail -1)
  runtime=$(echo "$out" | sed -n "s/.*'train_runtime': \([0-9.]*\).*/\1/p" | head -1)
  accuracy=$(echo "$out" | sed -n "s/^{'eval_loss'.*'eval_accuracy': \([0-9.]*\).*/\1/p" | tail -1)
  echo "$out" | grep "^Memory estimate" >&2 || true
  awk -v s="$size" -v a="$attention" -v c="$checkpointing" -v l="${release:-default}" -v p="$peak" -v r="$rss" -v t="$runtime" -v e="$accuracy" \
    'BEGIN { printf "| %s | %s | %s | %s | %.2f GiB | %.2f GiB | %.1f | %s |\n", s, a, c, l, p / 1073741824, r / 1048576, t / 4, e }'
done
