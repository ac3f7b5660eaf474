#!/usr/bin/env bash
# Installs what newswire needs on a fresh machine: system pieces (Java 21+, Maven)
# when missing, then a virtualenv in .venv with newswire and its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

have_java21() {
  local j
  for j in "${NEWSWIRE_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$j" ] && [ -x "$j/bin/java" ] || continue
    local v
    v=$("$j/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    [ -n "$v" ] && [ "$v" -ge 21 ] && return 0
  done
  return 1
}

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $* with apt-get"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "missing: $* (install them, or use 'docker compose up' instead)" >&2
    return 1
  fi
}

command -v mvn >/dev/null || apt_install maven
if ! have_java21; then
  # Kafka runs on 17, Elasticsearch 9 needs 21+: try the distribution's newest JDK.
  apt_install openjdk-21-jdk-headless || apt_install openjdk-25-jdk-headless || {
    echo "Elasticsearch 9 needs Java 21+; set NEWSWIRE_JAVA_HOME to one" >&2
    exit 1
  }
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Versions come from constraints.txt (the lock: every transitive dependency pinned, see
# CONTRIBUTING.md), so CI, Docker and every checkout run what the tests ran with.
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/pip install -q -c constraints.txt --upgrade pip
  .venv/bin/pip install -q -c constraints.txt -e '.[dev,rocksdb]'
  touch "$stamp"
fi
# The project's own modules as bytecode, as a wheel install would have them: with
# PYTHONDONTWRITEBYTECODE set (as on some CI machines) an editable install compiled every
# module from source at each process start, CPU that each role and extraction process
# paid again (issue 16). A stale file is ignored (Python checks the source's mtime).
.venv/bin/python -m compileall -q -j 0 wire pipeline connectors newswire >/dev/null
echo "installed: $(.venv/bin/newswire --version)"
