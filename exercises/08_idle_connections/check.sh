#!/usr/bin/env bash
# check.sh -- exercise 08_idle_connections: N idle connections and one active one,
# seen in the loop's trace under both backends.
#
#   bash exercises/08_idle_connections/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=08_idle_connections)
#
# A Node server on a free port counts the connections open at once and answers `ping`
# with a random word. The variant runs twice, with a random N (20-60), under
# KIT_POLLER=poll and KIT_POLLER=epoll with KIT_TRACE=1. Each run must print
# `connected N` and `reply WORD` and exit 0 within 10 s; the server must have had
# N + 1 connections open when the ping came; and the trace must show a wait that
# watched at least N + 1 descriptors and found exactly 1 ready (the reply).
source "$(dirname "$0")/../lib.sh"
ex_init 08_idle_connections "$@"

word=w$RANDOM$RANDOM
# shellcheck disable=SC2016
ex_start_server server tcp "listening on {PORT}" node -e '
  const net = require("net");
  const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
  let open = 0;
  const srv = net.createServer((c) => {
    open++;
    c.on("data", (d) => {
      if (d.toString().includes("ping")) { console.log(`ping with ${open} open`); c.write(process.argv[1] + "\n"); }
    });
    c.on("error", () => {});
    c.on("close", () => open--);
  });
  srv.on("error", (e) => { console.log(e.code); process.exit(1); });
  srv.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));' "$word"

for poller in poll epoll; do
  n=$((20 + RANDOM % 41))
  syscall=$poller; [[ $poller == epoll ]] && syscall=epoll_wait
  ex_start "client-$poller" env KIT_POLLER=$poller KIT_TRACE=1 "$EX_BIN" --port "$EX_PORT" --count "$n"
  if ! ex_wait_exit "$EX_LAST_PID" 10; then
    grep -q '^connected' "$EX_TMP/client-$poller.out" ||
      ex_fail "KIT_POLLER=$poller --count $n: still running after 10 s, and no 'connected $n': were the $n idle connections opened?"
    ex_fail "KIT_POLLER=$poller --count $n: still running after 10 s (every connection must end after the reply)"
  fi
  (( EX_STATUS == 0 )) || ex_fail "KIT_POLLER=$poller --count $n: exit status $EX_STATUS"
  grep -qxF "connected $n" "$EX_TMP/client-$poller.out" || ex_fail "KIT_POLLER=$poller --count $n: no line 'connected $n'"
  grep -qxF "reply $word" "$EX_TMP/client-$poller.out" || ex_fail "KIT_POLLER=$poller: no line 'reply $word'"
  ex_wait_line server "$EX_SERVER_PID" "ping with $((n + 1)) open" 2 ||
    ex_fail "KIT_POLLER=$poller --count $n: the server did not have $((n + 1)) connections open when the ping came: $(grep '^ping' "$EX_TMP/server.out" | tail -1)"
  # The wait that brought the reply: N + 1 (or more) watched, 1 ready.
  # shellcheck disable=SC2016
  node -e '
    const [file, syscall, min] = process.argv.slice(1);
    const t = require("fs").readFileSync(file, "utf8").split("\n");
    const re = new RegExp(`^\\[trace\\] ${syscall}\\(.*\\[([^\\]]*)\\]`);
    for (let i = 0; i + 1 < t.length; i++) {
      const m = re.exec(t[i]);
      if (m && m[1].trim().split(/\s+/).length >= Number(min) && t[i + 1] === `[trace] ${syscall} -> 1 ready`) process.exit(0);
    }
    process.exit(1);' "$EX_TMP/client-$poller.err" "$syscall" "$((n + 1))" ||
    ex_fail "KIT_POLLER=$poller --count $n: the trace shows no $syscall watching $((n + 1)) descriptors with 1 ready"
done
ex_pass "N + 1 watched, 1 ready, under poll and epoll"
