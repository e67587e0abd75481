#!/usr/bin/env bash
# check.sh -- exercise 06_accept_ext: lesson 06's server with --accept .EXT,... refuses
# the names with another extension, on the header.
#
#   bash exercises/06_accept_ext/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=06_accept_ext)
#
# Two extensions of three random letters, A and B. The variant runs with
# `--accept .A,.B` (A in capitals: the comparison ignores letter case) on a free port;
# lesson 06's Node client (lessons/06_upload/client.js, the C++ client's twin) uploads
# random bytes under several names:
#   f-R.a and F-R.B                   accepted: exit 0, saved under that name, same bytes;
#   f-R.a.sh, f-R.xb, a-R (no dot)    refused: exit 1 and ERR ETYPE, nothing saved,
#                                     no temporary (.kitup-*.part) left.
# Then the variant runs again without --accept: a `.sh` name is accepted (no list, no
# filter).
source "$(dirname "$0")/../lib.sh"
ex_init 06_accept_ext "$@"

client=$EX_ROOT/lessons/06_upload/client.js
letters() { local s="" i; for i in 1 2 3; do s+=$(printf "\\x$(printf %x $((97 + RANDOM % 26)))"); done; echo "$s"; }
a=$(letters)
b=$(letters)
while [[ $b == "$a" ]]; do b=$(letters); done
r=$RANDOM

n=0
# upload NAME: the Node client uploads random bytes as client_files/NAME; EX_STATUS is its status.
upload() {
  n=$((n + 1))
  head -c $((1000 + RANDOM)) /dev/urandom > "client_files/$1"
  ex_start "client$n" node "$client" "client_files/$1" --port "$EX_PORT"
  ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "the client uploading $1 did not end within 10 s"
}
accepted() {
  upload "$1"
  (( EX_STATUS == 0 )) || ex_fail "$2: $1 was refused (client exit status $EX_STATUS): $(tail -1 "$EX_TMP/client$n.err")"
  cmp -s "client_files/$1" "server_files/$1" || ex_fail "$2: $1 is not saved under its name with the bytes sent"
}
refused() {
  upload "$1"
  (( EX_STATUS == 1 )) || ex_fail "$1 must be refused with --accept .${a^^},.$b (client exit status $EX_STATUS, expected 1)"
  grep -q 'ERR ETYPE' "$EX_TMP/client$n.err" ||
    ex_fail "$1 refused, but not with ERR ETYPE: $(tail -1 "$EX_TMP/client$n.err")"
  [[ ! -e server_files/$1 ]] || ex_fail "$1 was refused but saved anyway"
  sleep 0.1
  ! ls -A server_files | grep -q '^\.kitup-' || ex_fail "a temporary is left after refusing $1: $(ls -A server_files | tr '\n' ' ')"
}

ex_start_server server tcp "listening on 127.0.0.1:{PORT}" "$EX_BIN" --dir server_files --no-fsync --accept ".${a^^},.$b"
accepted "f-$r.$a" "--accept .${a^^} (capitals) must accept .$a"
accepted "F-$r.${b^^}" "--accept .$b must accept .${b^^} (capitals)"
refused "f-$r.$a.sh"
refused "f-$r.x$b"
refused "$a-$r"
grep -q "ERR ETYPE" "$EX_TMP/server.out" || ex_fail "the server logged no 'rejected ... ERR ETYPE' line"
kill -TERM "$EX_SERVER_PID"
ex_wait_exit "$EX_SERVER_PID" 5 || ex_fail "the server did not exit within 5 s of SIGTERM"

ex_start_server server2 tcp "listening on 127.0.0.1:{PORT}" "$EX_BIN" --dir server_files --no-fsync
accepted "g-$r.sh" "without --accept every name is accepted"
ex_pass ".$a and .$b accepted in any case, other names refused with ERR ETYPE before anything was written"
