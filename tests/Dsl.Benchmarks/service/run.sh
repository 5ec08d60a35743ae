#!/usr/bin/env bash
# Latency and throughput of examples/SentimentService for 1 and 32 concurrent clients (docs/results.md).
#   1. imports all-MiniLM-L6-v2 (examples/ImportMiniLm), fine-tunes it briefly on IMDb at 128 tokens and
#      exports it with --export-onnx (examples/ImdbSentiment);
#   2. starts the service on a free port of 127.0.0.1 with the text graph;
#   3. runs the load generator (tests/Dsl.Benchmarks "service" mode) on the IMDb test reviews, one review
#      per request, then stops the service.
# Usage: tests/Dsl.Benchmarks/service/run.sh [seconds per row, default 20] [clients, default 1,32]
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-20}
clients=${2:-1,32}
data=../shared/data/imdb
[ -f "$data/test.jsonl" ] || { echo "needs $data (the IMDb reviews beside the repository)"; exit 1; }
work=${WORK:-$(mktemp -d -t dsl-service-bench-XXXXXX)}
mkdir -p "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for project in examples/ImportMiniLm examples/ImdbSentiment examples/SentimentService tests/Dsl.Benchmarks; do
  dotnet build -c Release "$project" -v q -nologo >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; exit 1; }
done
[ -f "$work/minilm/config.json" ] || dotnet examples/ImportMiniLm/bin/Release/net10.0/ImportMiniLm.dll --output "$work/minilm"
[ -f "$work/onnx/model.text.onnx" ] || dotnet examples/ImdbSentiment/bin/Release/net10.0/ImdbSentiment.dll \
  --model "$work/minilm" --data "$data" --train-size 256 --eval-size 64 --epochs 1 --batch-size 16 --max-length 128 --no-progress \
  --output "$work/results" --logging-dir "$work/logs" --overwrite-output-dir --export-onnx "$work/onnx/model.onnx" | grep -E "eval_accuracy|Exported"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dotnet examples/SentimentService/bin/Release/net10.0/SentimentService.dll --model "$work/onnx/model.text.onnx" --urls "http://127.0.0.1:$port" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
dotnet tests/Dsl.Benchmarks/bin/Release/net10.0/Dsl.Benchmarks.dll service "http://127.0.0.1:$port" "$clients" "$seconds" 1 "$data/test.jsonl"
