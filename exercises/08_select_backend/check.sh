#!/usr/bin/env bash
# check.sh -- exercise 08_select_backend: a third backend of the loop's poller, on
# select(2), with FD_SETSIZE enforced by a clear error.
#
#   bash exercises/08_select_backend/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=08_select_backend)
#
# The variant's program is an echo server whose loop can only use the variant's
# backend (the factory at the end of poller_select.cpp replaces poller.cpp's at link
# time: see the top of solution/poller_select.cpp). The check:
#   1. echoes three clients' lines through it, with KIT_TRACE=1: the trace must show
#      `select([ ... ])` before each wait, and strace must see the server sleep in
#      select(2) (pselect6 on some machines) and never in poll(2) or epoll_wait(2);
#   2. starts it with descriptors 3 to 1100 already open (inherited from this script),
#      so that its listening socket is above FD_SETSIZE (1,024): it must stop by itself
#      within 5 s, with a non-zero status, not killed by a signal, and say FD_SETSIZE
#      on stderr, without ever printing "listening";
#   3. links five differential scenarios of tests/diff (TCP both ways, a refused
#      connect, a socket that fills up and waits for POLLOUT, UDP, timers with I/O)
#      with the variant's poller_select.cpp, and compares each with Node.
source "$(dirname "$0")/../lib.sh"
ex_init 08_select_backend "$@"
# The variant's programs have one backend, select: a KIT_POLLER=epoll inherited from
# `KIT_POLLER=epoll make test` would only make them refuse to start.
export KIT_POLLER=select

SCENARIOS=(tcp_client_ends_first tcp_connect_refused pipe_slow_reader dgram_basic timers_io)

# ---- 1. the echo server, traced and straced
command -v strace >/dev/null 2>&1 || ex_setup_error "strace is missing (apt-get install strace)"
strace -f -o /dev/null true 2>/dev/null || ex_setup_error "strace cannot trace here (ptrace is forbidden)"
export KIT_TRACE=1
ex_start_server server tcp "listening on {PORT}" strace -f -qq -o "$EX_TMP/strace.txt" \
  -e trace=select,pselect6,poll,ppoll,epoll_wait,epoll_pwait,epoll_pwait2 "$EX_BIN"
unset KIT_TRACE
# The server itself, strace's child: killed by the cleanup too (a tracee outlives a
# strace killed with SIGKILL).
# shellcheck disable=SC2013
for pid in $(cat "/proc/$EX_SERVER_PID/task/"*/children 2>/dev/null); do EX_PIDS+=("$pid"); done
for i in 1 2 3; do
  got=$(node -e '
    const s = require("net").connect(Number(process.argv[1]), "127.0.0.1", () => s.end(process.argv[2]));
    let got = ""; s.on("data", (d) => (got += d)); s.on("close", () => console.log(got));
    s.on("error", (e) => console.log("error " + e.code));
    setTimeout(() => { console.log("no answer"); process.exit(0); }, 5000).unref();' "$EX_PORT" "line $i $RANDOM") ||
    ex_fail "the client could not run"
  [[ $got == "line $i "* ]] || ex_fail "client $i sent 'line $i ...' and got back '$got'"
done
ex_wait_count server close 3 5 || ex_fail "the server did not see the three connections close"
# Stop the server itself (strace's child); strace then ends with it.
# shellcheck disable=SC2013
for pid in $(cat "/proc/$EX_SERVER_PID/task/"*/children 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
ex_wait_exit "$EX_SERVER_PID" 5 || ex_fail "the server did not end on SIGTERM"
grep -q '^\[trace\] select(\[ [0-9]' "$EX_TMP/server.out" "$EX_TMP/server.err" ||
  ex_fail "KIT_TRACE=1 shows no 'select([ 3r ... ], timeout=...)' line before a wait (describe())"
grep -qE '^[0-9]+ +(select|pselect6)\(' "$EX_TMP/strace.txt" ||
  ex_fail "strace saw no select(2) call: the backend must sleep in select(2)"
if grep -E '^[0-9]+ +(poll|ppoll|epoll_wait|epoll_pwait2?)\(' "$EX_TMP/strace.txt" | head -3 | grep -q .; then
  ex_fail "strace saw the server call poll(2) or epoll_wait(2): $(grep -E '^[0-9]+ +(poll|ppoll|epoll)' "$EX_TMP/strace.txt" | head -1)"
fi

# ---- 2. a descriptor above FD_SETSIZE
(( $(ulimit -n) > 1200 )) || ulimit -n 1200 2>/dev/null || ex_setup_error "ulimit -n is $(ulimit -n): 1,200 descriptors are needed"
port=$(ex_free_port tcp)
# shellcheck disable=SC2016
ex_start high bash -c 'for ((i = 3; i <= 1100; i++)); do eval "exec $i</dev/null"; done; exec "$0" --port "$1"' "$EX_BIN" "$port"
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with its listening socket above FD_SETSIZE the server was still running after 5 s"
(( EX_STATUS != 0 )) || ex_fail "with its listening socket above FD_SETSIZE the server ended with status 0"
(( EX_STATUS < 128 )) || ex_fail "with its listening socket above FD_SETSIZE the server was killed by signal $((EX_STATUS - 128)) (FD_SET past the end of an fd_set?)"
grep -q FD_SETSIZE "$EX_TMP/high.err" ||
  ex_fail "with its listening socket above FD_SETSIZE the server ended (status $EX_STATUS) without naming FD_SETSIZE on stderr"
if grep -q '^listening' "$EX_TMP/high.out"; then ex_fail "the server said 'listening' on a socket select(2) cannot watch"; fi

# ---- 3. differential scenarios, built with the variant's backend
obj=$EX_ROOT/build/obj/exercises/08_select_backend/$EX_VARIANT/poller_select.o
[[ -f $obj ]] || ex_setup_error "$obj is missing (run: make build/exercises/08_select_backend/$EX_VARIANT)"
objs=()
for s in "${SCENARIOS[@]}"; do objs+=("build/obj/tests/diff/scenarios/$s.o"); done
# One make at a time: the tests check several variants at once, and two makes building
# the same object side by side would write it together.
mkdir -p "$EX_ROOT/build"
flock "$EX_ROOT/build/.check-08_select_backend.lock" make -C "$EX_ROOT" -s --no-print-directory "${objs[@]}" build/libposix_impl.a ||
  ex_setup_error "the scenarios did not build"
# shellcheck disable=SC2016
link=$(make -C "$EX_ROOT" -s --no-print-directory --eval 'ex-link: ; @echo "LINK: $(LINK) :: $(LIBS) $(LDLIBS)"' ex-link |
  sed -n 's/^LINK: //p')
[[ -n $link ]] || ex_setup_error "cannot read the link command from the Makefile"
mkdir -p bin
for s in "${SCENARIOS[@]}"; do
  # Objects first, the library last: the linker takes poller.o from the archive only
  # for names still undefined, and poller_select.o has already defined them.
  # shellcheck disable=SC2086
  ${link% :: *} -o "bin/$s" "$EX_ROOT/build/obj/tests/diff/scenarios/$s.o" "$obj" "$EX_ROOT/build/libposix_impl.a" ${link#* :: } \
    >"$EX_TMP/link.err" 2>&1 || { EX_NAMES+=(link); ex_setup_error "linking $s with poller_select.o failed: $(head -3 "$EX_TMP/link.err")"; }
done
EX_NAMES+=(diff)
node "$EX_ROOT/exercises/08_select_backend/diff_select.js" "$EX_TMP/bin" "${SCENARIOS[@]}" >"$EX_TMP/diff.out" 2>&1
case $? in
  0) ;;
  1) ex_fail "a differential scenario differs from Node with the select backend: $(head -1 "$EX_TMP/diff.out")" ;;
  *) ex_setup_error "diff_select.js could not run: $(tail -3 "$EX_TMP/diff.out")" ;;
esac

ex_pass "echo through select(2), FD_SETSIZE refused with a clear error, ${#SCENARIOS[@]} scenarios same as Node"
