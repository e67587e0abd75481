#!/usr/bin/env bash
# check.sh -- exercise 06_max_total: lesson 06's server with --max-total BYTES bounds
# the sizes announced by the uploads in progress, and frees them when an upload ends.
#
#   bash exercises/06_max_total/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=06_max_total)
#
# A random budget T of 4 to 6 MiB. The variant runs with `--max-total T` on a free port.
# A Node one-liner (the holder) sends a header announcing T - 256 KiB and a few bytes,
# then waits: that upload is in progress. Lesson 06's Node client
# (lessons/06_upload/client.js) then uploads:
#   512 KiB                  refused, ERR EQUOTA (it would go over T), nothing saved;
#   128 KiB                  accepted (it fits beside the holder);
# the holder is killed (the server logs ERR ESHORT: its bytes never came), then:
#   T - 64 KiB, twice        accepted both times: the holder's bytes, and the first
#                            upload's, were given back when each was over;
#   T + 1 bytes              refused, ERR EQUOTA, even alone.
source "$(dirname "$0")/../lib.sh"
ex_init 06_max_total "$@"

client=$EX_ROOT/lessons/06_upload/client.js
KiB=1024
total=$(( (4096 + RANDOM % 2048) * KiB ))

n=0
# upload BYTES: the Node client uploads BYTES random bytes; EX_STATUS is its status.
upload() {
  n=$((n + 1))
  name="f$n-$RANDOM.bin"
  head -c "$1" /dev/urandom > "client_files/$name"
  ex_start "client$n" node "$client" "client_files/$name" --port "$EX_PORT"
  ex_wait_exit "$EX_LAST_PID" 15 || ex_fail "the client uploading $1 bytes did not end within 15 s"
}
accepted() {
  upload "$1"
  (( EX_STATUS == 0 )) || ex_fail "$2: an upload of $1 bytes was refused: $(tail -1 "$EX_TMP/client$n.err")"
  cmp -s "client_files/$name" "server_files/$name" || ex_fail "$2: the $1 bytes are not saved as $name"
}
refused() {
  upload "$1"
  (( EX_STATUS == 1 )) || ex_fail "$2: an upload of $1 bytes must be refused (client exit status $EX_STATUS)"
  grep -q 'ERR EQUOTA' "$EX_TMP/client$n.err" ||
    ex_fail "$2: $1 bytes refused, but not with ERR EQUOTA: $(tail -1 "$EX_TMP/client$n.err")"
  [[ ! -e server_files/$name ]] || ex_fail "$2: the refused upload was saved"
}

ex_start_server server tcp "listening on 127.0.0.1:{PORT}" "$EX_BIN" --dir server_files --no-fsync --max-total "$total"
held=$((total - 256 * KiB))
# shellcheck disable=SC2016
ex_start holder node -e '
  const [port, size] = process.argv.slice(1);
  const s = require("net").connect(Number(port), "127.0.0.1", () => {
    s.write(`KITUP/1 ${size} held.bin\n` + "x".repeat(1000), () => console.log("held"));
  });
  s.on("data", (d) => console.log(`answer ${d}`));
  s.on("error", () => {});' "$EX_PORT" "$held"
holder=$EX_LAST_PID
ex_wait_line holder "$holder" held 5 || ex_fail "the holder could not start its upload"
sleep 0.3
refused $((512 * KiB)) "with $held of $total bytes announced by an upload in progress"
accepted $((128 * KiB)) "with $held of $total bytes taken, 128 KiB still fit"
grep -q '^answer' "$EX_TMP/holder.out" && ex_fail "the upload in progress was answered: $(grep '^answer' "$EX_TMP/holder.out")"
{ kill -KILL "$holder"; wait "$holder"; } 2>/dev/null
# Its kernel closes the socket: a FIN (ESHORT, the announced bytes never came) or a reset.
for ((i = 0; i < 100; i++)); do grep -qE 'ERR (ESHORT|ECONNRESET)' "$EX_TMP/server.out" && break; sleep 0.05; done
grep -qE 'ERR (ESHORT|ECONNRESET)' "$EX_TMP/server.out" ||
  ex_fail "the server did not log the end of the killed upload (rejected ... ERR ESHORT)"
accepted $((total - 64 * KiB)) "after the upload in progress was killed, its bytes must be free again"
accepted $((total - 64 * KiB)) "after an upload succeeded, its bytes must be free again"
refused $((total + 1)) "over --max-total alone"
ex_pass "a budget of $total bytes: refused when over it, freed by every upload that ended, well or not"
