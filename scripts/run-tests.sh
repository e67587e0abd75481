#!/usr/bin/env bash
# run-tests.sh -- run every test suite of the kit and print one total line.
#
#   scripts/run-tests.sh [catch2 args...]   (args go to both unit test binaries)
#   scripts/run-tests.sh --epoll [catch2 args...]   only the epoll pass, (d) below
#                                                   (`make test-epoll`)
#   scripts/run-tests.sh --exercises                only the exercise checks, (e) below
#                                                   (`make test-exercises`)
#
# Suites:
#   unit         build/tests/unit_tests           (Catch2 v2; required)
#   unit-asan    build/asan/tests/unit_tests      (ASan+UBSan; run if built)
#   integration  node --test tests/integration/*.test.js   (run if any exist)
#   unit-epoll, integration-epoll   (with --epoll: `make test-epoll`, which CI runs)
#                the unit tests, then the differential and integration suites that
#                run the kit's programs (EPOLL_SUITES below: diff, parity, tcp, udp,
#                lesson00 and the randomized differential test fuzz), again with
#                KIT_POLLER=epoll: the loop's second backend (lesson 08) must pass
#                them too. The other passes use KIT_POLLER as found (unset: poll), so
#                `KIT_POLLER=epoll make test` runs every suite on epoll.
#                It is its own target to keep `make test` under 10 minutes on 2 cores.
#   exercises    (with --exercises: `make test-exercises`, which CI runs)
#                tests/integration/exercises.test.js: every exercise's starter, solution
#                and wrong solutions built and checked (about 3 minutes on 2 cores, the
#                longest suite); its own target for the same reason.
#
# Each suite's output is shown as it runs. The last line is always
#   tests: P passed, F failed
# preceded, when some node:test tests are marked TODO (the randomized differential
# test's known-failing programs, tests/diff/fuzz/KNOWN_FAILING.txt), by the line
#   tests: T known failing (TODO, not counted as passed; ...)
# counting Catch2 test cases and node:test tests over all suites. Exit status
# is non-zero if any test failed, a suite exited non-zero, or the required
# unit test binary is missing.
set -u
cd "$(dirname "$0")/.." || exit 2

epoll_only=0
exercises_only=0
if [[ ${1:-} == --epoll ]]; then
  epoll_only=1
  shift
elif [[ ${1:-} == --exercises ]]; then
  exercises_only=1
  shift
fi

total_pass=0
total_fail=0
total_todo=0
status=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

strip_ansi() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }

# note NAME PASS FAIL RC
note() {
  local name=$1 pass=$2 fail=$3 rc=$4
  if (( rc != 0 && fail == 0 )); then
    echo "run-tests: $name exited with status $rc but reported no failed test; counting 1 failure"
    fail=1
  fi
  (( fail > 0 || rc != 0 )) && status=1
  total_pass=$(( total_pass + pass ))
  total_fail=$(( total_fail + fail ))
  echo "run-tests: $name: $pass passed, $fail failed"
}

missing() {  # missing NAME MESSAGE
  echo "run-tests: $1: $2 (counted as 1 failure)"
  total_fail=$(( total_fail + 1 ))
  status=1
}

# run_catch NAME BINARY [args...]  -- counts test cases
run_catch() {
  local name=$1 bin=$2
  shift 2
  echo
  echo "== $name: $bin =="
  if [[ ! -x $bin ]]; then
    missing "$name" "$bin is missing; build it with make"
    return
  fi
  local out="$tmp/$name.out" rc pass=0 fail=0 line re
  "$bin" "$@" </dev/null 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  local text
  text=$(strip_ansi "$out")
  # Catch2 v2: "All tests passed (N assertions in M test cases)"
  #        or  "test cases: M | P passed | F failed [| X failed as expected]"
  #        or  "No tests ran"
  line=$(grep -E '^All tests passed \(' <<<"$text" | tail -n 1)
  if [[ -n $line ]]; then
    re='in ([0-9]+) test case'
    [[ $line =~ $re ]] && pass=${BASH_REMATCH[1]}
  else
    line=$(grep -E '^test cases: ' <<<"$text" | tail -n 1)
    if [[ -n $line ]]; then
      re='\| ([0-9]+) passed'
      [[ $line =~ $re ]] && pass=${BASH_REMATCH[1]}
      re='\| ([0-9]+) failed as expected'
      [[ $line =~ $re ]] && pass=$(( pass + BASH_REMATCH[1] ))
      re='\| ([0-9]+) failed( \||[[:space:]]*$)'
      [[ $line =~ $re ]] && fail=${BASH_REMATCH[1]}
    elif ! grep -q '^No tests ran' <<<"$text"; then
      echo "run-tests: $name: no Catch2 summary found in the output"
    fi
  fi
  note "$name" "$pass" "$fail" "$rc"
}

# run_node_tests NAME FILES...  -- counts node:test tests (subtests included)
run_node_tests() {
  local name=$1
  shift
  echo
  echo "== $name: node --test $* =="
  if ! command -v node >/dev/null 2>&1; then
    missing "$name" "node is not installed (run make deps)"
    return
  fi
  local args=(--test --test-reporter=spec)
  if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
    args+=(--test-concurrency=2)
  fi
  local out="$tmp/$name.out" rc pass=0 fail=0 n text
  node "${args[@]}" "$@" </dev/null 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  text=$(strip_ansi "$out")
  # spec reporter summary: "ℹ pass N", "ℹ fail N", "ℹ cancelled N"
  n=$(grep -E '^ℹ pass [0-9]+' <<<"$text" | tail -n 1 | grep -oE '[0-9]+$')
  [[ -n $n ]] && pass=$n
  n=$(grep -E '^ℹ fail [0-9]+' <<<"$text" | tail -n 1 | grep -oE '[0-9]+$')
  [[ -n $n ]] && fail=$n
  n=$(grep -E '^ℹ cancelled [0-9]+' <<<"$text" | tail -n 1 | grep -oE '[0-9]+$')
  [[ -n $n ]] && fail=$(( fail + n ))
  n=$(grep -E '^ℹ todo [0-9]+' <<<"$text" | tail -n 1 | grep -oE '[0-9]+$')
  [[ -n $n ]] && total_todo=$(( total_todo + n ))
  note "$name" "$pass" "$fail" "$rc"
}

if (( exercises_only )); then
  run_node_tests exercises tests/integration/exercises.test.js
  echo
  echo "tests: $total_pass passed, $total_fail failed"
  exit $status
fi

if (( ! epoll_only )); then
# (a) unit tests
run_catch unit build/tests/unit_tests "$@"

# (b) the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
if [[ -e build/asan/tests/unit_tests ]]; then
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    run_catch unit-asan build/asan/tests/unit_tests "$@"
fi

# (c) integration tests (Node's built-in test runner)
shopt -s nullglob
integration=()
for f in tests/integration/*.test.js; do
  [[ $f == tests/integration/exercises.test.js ]] || integration+=("$f")  # (e): make test-exercises
done
shopt -u nullglob
if (( ${#integration[@]} > 0 )); then
  run_node_tests integration "${integration[@]}"
fi
fi # ! epoll_only

# (d) with --epoll: the same on the epoll backend (posix_impl/poller.hpp). Only the suites that run
# the kit's programs: the others (documentation, exercise lists, dependencies) do not
# depend on the poller. About 80 s more on 2 cores: fuzz (the randomized differential
# test) reuses the programs the first pass compiled, so it adds only about 5 s; lesson
# 06's upload and lesson 07's TFTP suites about 30 s together.
EPOLL_SUITES=(diff parity tcp udp lesson00 fuzz trace upload tftp)
epoll_files=()
for suite in "${EPOLL_SUITES[@]}"; do
  [[ -e tests/integration/$suite.test.js ]] && epoll_files+=("tests/integration/$suite.test.js")
done
if (( epoll_only )); then
  KIT_POLLER=epoll run_catch unit-epoll build/tests/unit_tests "$@"
  if (( ${#epoll_files[@]} > 0 )); then
    KIT_POLLER=epoll run_node_tests integration-epoll "${epoll_files[@]}"
  fi
fi

echo
if (( total_todo > 0 )); then
  echo "tests: $total_todo known failing (TODO, not counted as passed; see tests/diff/fuzz/KNOWN_FAILING.txt)"
fi
echo "tests: $total_pass passed, $total_fail failed"
exit "$status"
