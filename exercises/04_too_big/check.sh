#!/usr/bin/env bash
# check.sh -- exercise 04_too_big: a file over one datagram is refused with a clear message.
#
#   bash exercises/04_too_big/check.sh [starter|solution]   (or: make check-exercise E=04_too_big)
#
# Starts lesson 03's server (build/lessons/03_udp_server) on a free UDP port in a
# temporary directory, then runs the exercise's client with files of
#   - 65,508 and 70,000 bytes: it must end within 5 s with status 1, print a line that
#     gives the file's size and the limit 65507, send nothing, and show no EMSGSIZE
#     error (no crash);
#   - 65,507 bytes (the limit): it must be sent as before, and saved byte for byte.
source "$(dirname "$0")/../lib.sh"
ex_init 04_too_big "$@"

ex_start_server server udp "aguardando dados do cliente..." "$EX_ROOT/build/lessons/03_udp_server" --host 127.0.0.1

too_big() {  # too_big SIZE
  local size=$1 name="client_$1" all
  head -c "$size" /dev/urandom > client_files/client.txt
  ex_start "$name" "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
  ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with a $size-byte file the client did not end within 5 s"
  all=$(cat "$EX_TMP/$name.out" "$EX_TMP/$name.err")
  if grep -q EMSGSIZE <<<"$all"; then
    ex_fail "with a $size-byte file the client still tried to send it and failed with EMSGSIZE; check the size before sending"
  fi
  [[ $EX_STATUS == 1 ]] || ex_fail "with a $size-byte file the exit status is $EX_STATUS, expected 1"
  grep -q "Arquivo enviado" "$EX_TMP/$name.out" && ex_fail "with a $size-byte file the client says it sent it"
  grep -q '^Error\|Uncaught\|uncaught' <<<"$all" && ex_fail "with a $size-byte file the client crashed instead of printing a message"
  grep -E "(^|[^0-9])$size([^0-9]|$)" <<<"$all" | grep -qE '(^|[^0-9])65507([^0-9]|$)' ||
    ex_fail "with a $size-byte file, print one line that gives the size ($size) and the limit (65507); got: $(tr '\n' ' ' <<<"$all")"
}

too_big 65508
too_big 70000

head -c 65507 /dev/urandom > client_files/client.txt
ex_start fits "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with a 65,507-byte file the client did not end within 5 s"
[[ $EX_STATUS == 0 ]] || ex_fail "a 65,507-byte file fits in one datagram, but the client exited with status $EX_STATUS"
grep -qxF "Arquivo enviado por UDP para 127.0.0.1:$EX_PORT" "$EX_TMP/fits.out" ||
  ex_fail "with a 65,507-byte file the client should still print 'Arquivo enviado por UDP para 127.0.0.1:$EX_PORT'"
ex_wait_count server "arquivo salvo com sucesso!" 1 5 || ex_fail "the server did not save the 65,507-byte datagram"
(( $(ex_count_lines server "arquivo salvo com sucesso!") == 1 )) ||
  ex_fail "the server received more than one datagram: a file that was too big was sent anyway"
files=$(ex_saved_files)
[[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the saved datagram differs from the file sent"

ex_pass "65,508 and 70,000 bytes refused with a message, 65,507 bytes sent intact"
