#!/usr/bin/env bash
# demo.sh -- run the lessons one after the other (`make demo` builds them first).
# Exits non-zero as soon as a lesson fails.
set -euo pipefail
cd "$(dirname "$0")/.."

run_lesson() {  # run_lesson NN_name "title" [args...]
  local name=$1 title=$2
  shift 2
  local bin="build/lessons/$name"
  if [[ ! -x $bin ]]; then
    echo "demo: $bin not built, skipping"
    return 0
  fi
  echo "== lesson ${name%%_*}: $title =="
  if ! "$bin" "$@" </dev/null; then
    echo "demo: lesson $name failed" >&2
    exit 1
  fi
}

run_lesson 00_event_loop "the event loop"
