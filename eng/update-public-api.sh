#!/usr/bin/env bash
# Brings src/Dsl/PublicAPI.Unshipped.txt in step with the code after a deliberate change to Dsl's public API
# (above all Dsl.__Internals, the generated loop's contract): adds the symbols RS0016 reports as undeclared and
# removes those RS0017 reports as gone, then sorts the file. Review the diff: it is the change.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Dsl/Dsl.csproj
api=src/Dsl/PublicAPI.Unshipped.txt
shipped=src/Dsl/PublicAPI.Shipped.txt

report=$(dotnet build "$project" 2>&1 || true)
added=$(grep -oE "error RS0016: Symbol '.+' is not part of the declared public API" <<< "$report" \
  | sed -E "s/error RS0016: Symbol '(.+)' is not part of the declared public API/\1/" | sort -u || true)
gone=$(grep -oE "error RS0017: Symbol '.+' is part of the declared API" <<< "$report" \
  | sed -E "s/error RS0017: Symbol '(.+)' is part of the declared API/\1/" | sort -u || true)

body=$(grep -v '^#nullable enable$' "$api" || true)
if [ -n "$gone" ]; then body=$(grep -vxF -f <(printf '%s\n' "$gone") <<< "$body" || true); fi
{
  echo '#nullable enable'
  printf '%s\n%s\n' "$body" "$added" | grep -v '^$' | LC_ALL=C sort -u
} > "$api.tmp"
mv "$api.tmp" "$api"

left=$(dotnet build "$project" 2>&1 | grep -E "error RS001[67]" | sed -E 's/ \[.*//' | sort -u || true)
if [ -n "$left" ]; then echo "$left"; echo "Not in step yet (see above)."; exit 1; fi
echo "PublicAPI files are in step with the code ($(grep -vc '^#' "$api") unshipped, $(grep -vc '^#' "$shipped" || true) shipped symbols)."
