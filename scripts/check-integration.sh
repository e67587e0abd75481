#!/usr/bin/env bash
# check-integration.sh -- run tests/integration/*.test.js against the lesson binaries of
# another build directory, e.g. the ASan+UBSan lessons of `make check`:
#
#   scripts/check-integration.sh BIN_DIR TEST_FILE...
#   e.g. scripts/check-integration.sh build/asan/lessons tests/integration/tcp.test.js
#
# The integration tests find the programs at ROOT/build/lessons/NAME, with ROOT taken
# from their own location (path.resolve(__dirname, '..', '..'), in each test file or
# in a helper next to it), so no single place could read an environment variable
# instead. Rather than edit every test file, this script builds a shadow ROOT under
# build/check/shadow-NAME:
#
#   tests/                        a copy of tests/ (so every __dirname points here)
#   build/lessons                 -> the chosen binary directory
#   lessons, node_modules, package.json  -> the real ones (the Node twins, their deps)
#
# and runs `node --test` on the copies of the given test files. Each run copies the
# tests afresh, so edits to tests/ are always picked up. Only suites that run the
# lesson programs make sense here (mk/check.mk lists them): suites about docs, slides
# or exercises need the rest of the tree and are not about the binaries.
# Sanitizer options are set for the children (the tests pass their environment on):
# report and stop at the first problem; the tests already require an empty stderr
# from the C++ programs.
set -u
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)

bin=${1:?usage: check-integration.sh BIN_DIR TEST_FILE...}
shift
[[ -d $bin ]] || { echo "check-integration: $bin is not a directory" >&2; exit 2; }
bin=$(cd "$bin" && pwd)

tests=()
for t in "$@"; do
  [[ -f $t && $t == tests/* ]] || { echo "check-integration: $t: not a file under tests/" >&2; exit 2; }
  tests+=("$t")
done
if ((${#tests[@]} == 0)); then
  echo "check-integration: no test files given"
  exit 0
fi

shadow=$root/build/check/shadow-$(basename "$(dirname "$bin")")
rm -rf "$shadow"
mkdir -p "$shadow/build"
cp -R tests "$shadow/tests"  # copies, not links: Node resolves a link to its target
ln -s "$bin" "$shadow/build/lessons"
ln -s "$root/lessons" "$shadow/lessons"
[[ -e node_modules ]] && ln -s "$root/node_modules" "$shadow/node_modules"
[[ -e package.json ]] && ln -s "$root/package.json" "$shadow/package.json"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

args=(--test)
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
  args+=(--test-concurrency=2)
fi
echo "check-integration: ${#tests[@]} test file(s) against $bin"
exec node "${args[@]}" "${tests[@]/#tests/$shadow/tests}"
