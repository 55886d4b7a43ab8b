#!/usr/bin/env bash
# npm run build [outDir]: the JavaScript the image runs (node dist/cli/<entry>.js), with the files
# the code reads at run time (migrations, audit queries, package.json) beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
rm -rf "$out"
npx tsc -p tsconfig.build.json --outDir "$out"
mkdir -p "$out/schemas" "$out/audits"
cp -r schemas/migrations "$out/schemas/"
cp -r audits/queries "$out/audits/"
cp package.json "$out/"
