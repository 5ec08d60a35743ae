#!/usr/bin/env bash
# Brings src/Dsl/PublicAPI.Unshipped.txt in step with the code after a deliberate change to Dsl's public API
# (above all Dsl.__Internals, the generated loop's contract): adds what RS0016 reports (PublicApiAnalyzers' own
# code fix, through dotnet format) and removes the lines RS0017 reports as gone. Review the diff: it is the change.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Dsl/Dsl.csproj
api=src/Dsl/PublicAPI.Unshipped.txt
dotnet format analyzers "$project" --diagnostics RS0016 --severity warn >/dev/null 2>&1 || true
gone=$(dotnet build "$project" 2>&1 | grep -oE "error RS0017: Symbol '[^']+'" | sed -E "s/error RS0017: Symbol '(.*)'/\1/" | sort -u || true)
if [ -n "$gone" ]; then
  while IFS= read -r symbol; do
    grep -vxF -- "$symbol" "$api" > "$api.tmp" || true
    mv "$api.tmp" "$api"
  done <<< "$gone"
fi
dotnet build "$project" 2>&1 | grep -E "RS001[67]" | sed -E 's/ \[.*//' | sort -u || echo "PublicAPI files are in step with the code."
