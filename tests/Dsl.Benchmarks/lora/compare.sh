#!/usr/bin/env bash
# LoRA against full fine-tuning of all-MiniLM-L6-v2 on IMDb at the same wall time (issue 21; docs/benchmarks.md).
#
#   tests/Dsl.Benchmarks/lora/compare.sh [--budget-minutes 20] [--model DIR] [--data DIR] [--out DIR]
#                                        [--only full,lora-r8-qv,...] [--pilot-steps 12] [--memory-cap 12G] [--pilot-only]
#
# For each configuration a pilot run (a few steps; all pilots first) measures its steps/s; the real run then gets the epochs that fill
# the budget at that speed, each with its own 10 % warmup and linear decay to 0, so every configuration trains for the
# same wall time and ends its schedule. Evaluation is not in the budget: during training each run evaluates 16 held-out
# training reviews (--validation-size), and the 1,000 test reviews once at the end. --pilot-only stops after the
# pilots (trainable parameters, steps/s and peak memory of short runs). Each run is in its own cgroup (v1, as root): its peak memory is the cgroup's
# memory.max_usage_in_bytes (page cache included), and GNU time's maximum RSS beside it. The table goes to
# OUT/results.md; every run's output to OUT/NAME.log. Run it on a quiet machine: steps/s decide the epochs.
set -euo pipefail
cd "$(dirname "$0")/../../.."

budget_minutes=20
model=${MODEL:-models/all-MiniLM-L6-v2}
data=../shared/data/imdb
out=lora-comparison
only=""
pilot_steps=12
cap=12G
pilot_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --budget-minutes) budget_minutes=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --pilot-steps) pilot_steps=$2; shift 2 ;;
    --memory-cap) cap=$2; shift 2 ;;
    --pilot-only) pilot_only=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$model/model.safetensors" ] || { echo "No model at $model: dotnet run --project examples/ImportMiniLm -- --output $model" >&2; exit 2; }
[ -d "$data" ] || { echo "No IMDb data at $data (../shared/data/imdb)." >&2; exit 2; }

# name | learning rate | LoRA options (none: full fine-tuning). LoRA's usual rate is 10× full fine-tuning's.
configurations=(
  "full|5e-5|"
  "lora-r8-qv|5e-4|--lora --lora-rank 8 --lora-targets query value"
  "lora-r16-qv|5e-4|--lora --lora-rank 16 --lora-targets query value"
  "lora-r8-all|5e-4|--lora --lora-rank 8 --lora-targets all-linear"
  "lora-r16-all|5e-4|--lora --lora-rank 16 --lora-targets all-linear"
)
train_size=4000 batch=16

dotnet build -c Release examples/ImdbSentiment -v q -nologo >/dev/null
app=examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll
mkdir -p "$out"

# Runs the example in a fresh memory cgroup; prints the cgroup's peak bytes on the last line of NAME.peak.
run() {
  local name=$1; shift
  local group=/sys/fs/cgroup/memory/dsl-lora-$name-$$
  mkdir -p "$group"
  echo "$cap" > "$group/memory.limit_in_bytes"
  sh -c "echo \$\$ > $group/cgroup.procs; exec /usr/bin/time -v dotnet $app $*" > "$out/$name.log" 2>&1
  cat "$group/memory.max_usage_in_bytes" > "$out/$name.peak"
  rmdir "$group"
}

common=(--data "$data" --model "$model" --max-length 256 --batch-size $batch --weight-decay 0.01
        --logging-steps 10 --no-progress --seed 42)
steps_header="steps in ${budget_minutes} min"
[ $pilot_only = 0 ] || steps_header="steps (pilot)"
{
  echo "| configuration | trainable params | steps/s | $steps_header | train_runtime | peak memory (cgroup) | max RSS | IMDb test accuracy | eval_loss |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$out/results.md"

selected=()
for entry in "${configurations[@]}"; do
  IFS='|' read -r name lr lora <<< "$entry"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  selected+=("$entry")
done

# 1. The pilots, all before any real run, back to back: pilot_steps steps of 16 reviews (an epoch of pilot_steps × 16),
#    no evaluation that matters. Their steps/s set the real runs' lengths, so they are measured under one condition.
declare -A pilot_speed
for entry in "${selected[@]}"; do
  IFS='|' read -r name lr lora <<< "$entry"
  run "$name-pilot" "${common[@]}" --train-size $((pilot_steps * batch)) --eval-size 16 --epochs 1 --learning-rate "$lr" \
      --output "$out/$name-pilot" --logging-dir "$out/$name-pilot/logs" --overwrite-output-dir $lora
  pilot_speed[$name]=$(grep -oE "'train_steps_per_second': [0-9.]+" "$out/$name-pilot.log" | awk '{print $2}' || true)
  [ -n "${pilot_speed[$name]}" ] || { echo "The pilot of $name printed no train_steps_per_second; see $out/$name-pilot.log" >&2; exit 1; }
done

for entry in "${selected[@]}"; do
  IFS='|' read -r name lr lora <<< "$entry"
  log="$out/$name-pilot.log" steps=$pilot_steps
  if [ $pilot_only = 0 ]; then
    # 2. The run: the steps the budget allows at the pilot's speed (at least one), as a fraction of an epoch of train_size reviews.
    steps=$(awk -v s="${pilot_speed[$name]}" -v m="$budget_minutes" 'BEGIN { n = int(s * m * 60); printf "%d", n < 1 ? 1 : n }')
    epochs=$(awk -v n="$steps" -v b=$batch -v t=$train_size 'BEGIN { printf "%.4f", n * b / t }')
    warmup=$((steps / 10))
    run "$name" "${common[@]}" --train-size $((train_size + 16)) --validation-size 16 --eval-size 1000 --epochs "$epochs" \
        --learning-rate "$lr" --warmup-steps $warmup --output "$out/$name" --logging-dir "$out/$name/logs" --overwrite-output-dir $lora
    log="$out/$name.log"
  fi
  trainable=$(grep -oE "trainable params: [0-9,]+" "$log" | head -1 | awk '{print $3}' || true)
  [ -n "$trainable" ] || trainable=$(grep -oE "Model: [0-9,]+ parameters" "$log" | awk '{print $2}' || true)
  speed=$(grep -oE "'train_steps_per_second': [0-9.]+" "$log" | awk '{print $2}' || true)
  runtime=$(grep -oE "'train_runtime': [0-9.]+" "$log" | awk '{ printf "%.0f s", $2 }' || true)
  accuracy=$(grep -oE "'eval_accuracy': [0-9.]+" "$log" | tail -1 | awk '{print $2}' || true)
  loss=$(grep -oE "'eval_loss': [0-9.]+" "$log" | tail -1 | awk '{print $2}' || true)
  peak=$(awk '{ printf "%.2f GiB", $1 / 2^30 }' "${log%.log}.peak")
  rss=$(grep -oE "Maximum resident set size \(kbytes\): [0-9]+" "$log" | awk '{ printf "%.2f GiB", $6 / 2^20 }' || true)
  echo "| $name | $trainable | $speed | $steps | $runtime | $peak | $rss | $accuracy | $loss |" >> "$out/results.md"   # pilots: accuracy on 16 reviews
done
cat "$out/results.md"
