#!/usr/bin/env bash
# check.sh -- exercise 00_interval: three ticks of a setInterval, then the program ends.
#
#   bash exercises/00_interval/check.sh [starter|solution]   (or: make check-exercise E=00_interval)
#
# Runs the program once and passes when
#   - it ends by itself within 5 s, with exit status 0 (a forgotten clearInterval
#     keeps the loop alive forever);
#   - stdout has "tick 1", "tick 2", "tick 3", once each, in this order, and no tick 4;
#   - the ticks are 100 ms apart: the three take at least 280 ms after the start;
#   - the lesson's lines are all still there, "exit: nothing left to wait for" last.
source "$(dirname "$0")/../lib.sh"
ex_init 00_interval "$@"

start=$(date +%s%N)
ex_start program "$EX_BIN"
if ! ex_wait_exit "$EX_LAST_PID" 5; then
  ex_fail "the program did not end within 5 s: is the interval cleared after the third tick? (an active interval keeps the loop alive)"
fi
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
out=$EX_TMP/program.out

[[ $EX_STATUS == 0 ]] || ex_fail "exit status $EX_STATUS, expected 0"

ticks=$(grep -E '^tick [0-9]+$' "$out" | tr '\n' ',')
[[ $ticks == "tick 1,tick 2,tick 3," ]] ||
  ex_fail "expected the lines 'tick 1', 'tick 2', 'tick 3' (once each, in order), got: ${ticks:-no tick line}"

(( elapsed_ms >= 280 )) ||
  ex_fail "the three ticks came within ${elapsed_ms} ms; 100 ms apart they take at least 300 ms"

for line in "main program: starts, on the main thread" \
            "main program: ends; now the event loop runs" \
            "nextTick: after the main program, before the loop's first phase" \
            "thread-pool callback: runs on the main thread, in the poll phase" \
            "setImmediate: check phase of the same turn" \
            "setTimeout 0: timers phase of a later turn"; do
  [[ $(ex_count_lines program "$line") == 1 ]] || ex_fail "the lesson's line '$line' is missing or repeated"
done
[[ $(tail -n 1 "$out") == "exit: nothing left to wait for" ]] ||
  ex_fail "the last line should be 'exit: nothing left to wait for', got '$(tail -n 1 "$out")'"
# The ticks are callbacks: none can run before the main program has ended.
first_tick=$(grep -nxF 'tick 1' "$out" | cut -d: -f1)
main_end=$(grep -nxF 'main program: ends; now the event loop runs' "$out" | cut -d: -f1)
(( first_tick > main_end )) || ex_fail "'tick 1' was printed before the main program ended"

ex_pass "3 ticks, ended by itself after ${elapsed_ms} ms"
