#!/usr/bin/env bash
# check.sh -- exercise 08_no_interest: a paused client that hangs up must not turn the
# epoll loop into a busy loop.
#
#   bash exercises/08_no_interest/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=08_no_interest)
#
# Starts the variant's server (raw.cpp: epoll alone, no kit) on a free port and runs
# exercises/08_no_interest/peer.js against it: a client that sends a line, pauses, sends
# another (which must not be read) and resets its connection; the server's CPU time
# over the next 1.5 s must stay at most 0.05 s; then a second client resumes the first
# ("resumed 1", "closed 1": the reset is read at last) and is still served.
source "$(dirname "$0")/../lib.sh"
ex_init 08_no_interest "$@"

ex_start_server server tcp "listening on {PORT}" "$EX_BIN"
result=$(node "$EX_ROOT/exercises/08_no_interest/peer.js" "$EX_PORT" "$EX_TMP/server.out" "$EX_SERVER_PID") ||
  ex_fail "$result"
[[ $result == ok ]] || ex_fail "peer.js: $result"
ex_pass "paused, reset, asleep (no busy loop), resumed and closed"
