#!/usr/bin/env bash
# Runs the JDBC probe (compiled by ../setup.sh). Same args/env as the other probes.
d="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec java -cp "$d/target/classes:$d/target/deps/*" Probe "$@"
