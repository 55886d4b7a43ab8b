#!/usr/bin/env bash
# Installs/builds the real-client ClickHouse HTTP probes. Idempotent; near-instant when already set up.
#   python/.venv      clickhouse-connect (PyPI, pinned in python/requirements.txt)
#   go/probe          clickhouse-go/v2 (Go module proxy, pinned in go/go.mod + go.sum)
#   java/target/deps  clickhouse-jdbc:all + slf4j (Maven Central, pinned in java/pom.xml); java/target/classes/Probe.class
# Usage: test/clients/setup.sh [python|go|java ...]   (default: all three)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# Test files may run this at the same time: one installer at a time, the others then find it done.
exec 9>.setup.lock
flock 9
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(python go java)

setup_python() {
  local venv=python/.venv stamp=python/.venv/.requirements.sha
  local sum; sum=$(sha256sum python/requirements.txt | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    echo "python: up to date"; return
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements.txt
  echo "$sum" > "$stamp"
  echo "python: installed $("$venv/bin/python" -c 'import clickhouse_connect as c; print("clickhouse-connect", c.__version__)')"
}

setup_go() {
  if [ -x go/probe ] && [ -z "$(find go/main.go go/go.mod go/go.sum -newer go/probe 2>/dev/null)" ]; then
    echo "go: up to date"; return
  fi
  (cd go && GOFLAGS=-mod=readonly go build -o probe .)
  echo "go: built go/probe"
}

setup_java() {
  if ! ls java/target/deps/clickhouse-jdbc-*-all.jar >/dev/null 2>&1 || [ java/pom.xml -nt java/target/deps ]; then
    rm -rf java/target/deps
    (cd java && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=target/deps)
    touch java/target/deps
    echo "java: copied deps"
  fi
  if [ ! -f java/target/classes/Probe.class ] || [ java/Probe.java -nt java/target/classes/Probe.class ]; then
    mkdir -p java/target/classes
    javac -nowarn -d java/target/classes -cp 'java/target/deps/*' java/Probe.java
    echo "java: compiled Probe"
  else
    echo "java: up to date"
  fi
}

for t in "${targets[@]}"; do
  case "$t" in
    python) setup_python ;;
    go) setup_go ;;
    java) setup_java ;;
    *) echo "unknown target: $t" >&2; exit 2 ;;
  esac
done
