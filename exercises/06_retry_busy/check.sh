#!/usr/bin/env bash
# check.sh -- exercise 06_retry_busy: lesson 06's client with --retries N tries again
# after ERR EBUSY, with a doubling delay, and only after EBUSY.
#
#   bash exercises/06_retry_busy/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=06_retry_busy)
#
# Lesson 06's Node server (lessons/06_upload/server.js, the C++ server's twin) runs
# with --max-uploads 1 --max-size 1000000 on a free port. A Node one-liner (the holder)
# starts an upload and keeps it in progress, so every other connection hears ERR EBUSY.
#   1. The variant without --retries: exit 1 with ERR EBUSY, after one attempt.
#   2. With --retries 4, while the holder is killed 0.8 s later: exit 0, the file saved
#      under its name with the bytes sent; stderr says `busy, retrying in MS ms`, each MS
#      twice the one before (100, 200, 400...); the server refused it at least once.
#   3. A file over --max-size with --retries 3: exit 1 with ERR ETOOBIG after exactly one
#      attempt (waiting would not change that answer).
source "$(dirname "$0")/../lib.sh"
ex_init 06_retry_busy "$@"

ex_start_server server tcp "listening on 127.0.0.1:{PORT}" node "$EX_ROOT/lessons/06_upload/server.js" \
  --dir server_files --no-fsync --max-uploads 1 --max-size 1000000
# shellcheck disable=SC2016
ex_start holder node -e '
  const s = require("net").connect(Number(process.argv[1]), "127.0.0.1", () => {
    s.write("KITUP/1 1000 held.bin\nxx", () => console.log("held"));
  });
  s.on("error", () => {});' "$EX_PORT"
holder=$EX_LAST_PID
ex_wait_line holder "$holder" held 5 || ex_fail "the holder could not start its upload"
sleep 0.2
busy() { grep -c 'ERR EBUSY' "$EX_TMP/server.out" || true; }

# 1. No --retries: as in the lesson.
name="a-$RANDOM.bin"
head -c $((2000 + RANDOM)) /dev/urandom > "client_files/$name"
ex_start once "$EX_BIN" "client_files/$name" --port "$EX_PORT"
ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "without --retries, the client did not end within 10 s while the server was busy"
(( EX_STATUS == 1 )) || ex_fail "without --retries, a busy server must end the client with status 1 (got $EX_STATUS)"
grep -q 'ERR EBUSY' "$EX_TMP/once.err" || ex_fail "without --retries: no ERR EBUSY on stderr"
sleep 0.2
(( $(busy) == 1 )) || ex_fail "without --retries the client must try once; the server refused $(busy) connections"

# 2. --retries 4, and the slot frees 0.8 s after the client starts.
name="b-$RANDOM.bin"
head -c $((20000 + RANDOM)) /dev/urandom > "client_files/$name"
ex_start retry "$EX_BIN" "client_files/$name" --port "$EX_PORT" --retries 4
client=$EX_LAST_PID
sleep 0.8
{ kill -KILL "$holder"; wait "$holder"; } 2>/dev/null
ex_wait_exit "$client" 15 || ex_fail "with --retries 4, the client did not end within 15 s"
(( EX_STATUS == 0 )) ||
  ex_fail "with --retries 4 and the server free again after 0.8 s, the upload must succeed (exit status $EX_STATUS): $(tail -1 "$EX_TMP/retry.err")"
cmp -s "client_files/$name" "server_files/$name" || ex_fail "the retried upload is not saved as $name with the bytes sent"
(( $(busy) >= 2 )) || ex_fail "the server never refused the retrying client: did it wait for the slot some other way?"
mapfile -t waits < <(sed -n 's/^busy, retrying in \([0-9]*\) ms$/\1/p' "$EX_TMP/retry.err")
(( ${#waits[@]} >= 1 )) || ex_fail "no 'busy, retrying in MS ms' line on stderr"
(( waits[0] == 100 )) || ex_fail "the first wait must be 100 ms, not ${waits[0]}"
for ((i = 1; i < ${#waits[@]}; i++)); do
  (( waits[i] == 2 * waits[i - 1] )) || ex_fail "the waits must double (backoff): ${waits[*]}"
done
(( ${#waits[@]} == $(busy) - 1 )) ||
  ex_fail "${#waits[@]} 'retrying' lines, but the server refused this client $(( $(busy) - 1 )) times"

# 3. ETOOBIG is not retried.
name="c-$RANDOM.bin"
head -c 1000001 /dev/urandom > "client_files/$name"
ex_start toobig "$EX_BIN" "client_files/$name" --port "$EX_PORT" --retries 3
ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "the client sending a file over --max-size did not end within 10 s"
(( EX_STATUS == 1 )) || ex_fail "a file over --max-size must end the client with status 1 (got $EX_STATUS)"
grep -q 'ERR ETOOBIG' "$EX_TMP/toobig.err" || ex_fail "a file over --max-size: no ERR ETOOBIG on stderr"
sleep 0.3
toobig=$(grep -c 'ERR ETOOBIG' "$EX_TMP/server.out" || true)
(( toobig == 1 )) || ex_fail "ERR ETOOBIG must not be retried: the server refused the file $toobig times"
ex_pass "EBUSY retried after ${waits[*]} ms, then saved; ETOOBIG not retried"
