#!/usr/bin/env bash
# check.sh -- exercise 03_raw_truncated: the raw UDP server refuses a cut datagram.
#
#   bash exercises/03_raw_truncated/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=03_raw_truncated)
#
# Starts the exercise's server on a free UDP port in a temporary directory and sends it
# datagrams with lesson 04's client (build/lessons/04_udp_client):
#   - 1,024 bytes (the limit): saved byte for byte, "arquivo salvo com sucesso!";
#   - 1,025 bytes, then a random size between 2,000 and 60,000: nothing saved, and one
#     line "datagrama truncado: N bytes (limite 1024)" with the real size N of each
#     (which the server can only know through MSG_TRUNC).
# The server must still be running afterwards.
source "$(dirname "$0")/../lib.sh"
ex_init 03_raw_truncated "$@"

ex_start_server server udp "aguardando dados do cliente..." "$EX_BIN" --host 127.0.0.1

send() {  # send SIZE: lesson 04's client sends a file of SIZE random bytes as one datagram
  head -c "$1" /dev/urandom > client_files/client.txt
  ex_start "client_$1" "$EX_ROOT/build/lessons/04_udp_client" --port "$EX_PORT" --host 127.0.0.1
  ex_wait_exit "$EX_LAST_PID" 5 && [[ $EX_STATUS == 0 ]] || ex_fail "lesson 04's client failed to send $1 bytes"
}

send 1024
ex_wait_count server "arquivo salvo com sucesso!" 1 5 || ex_fail "a 1,024-byte datagram (the limit) was not saved"
files=$(ex_saved_files)
[[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "expected one file after the 1,024-byte datagram, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the 1,024-byte datagram was not saved byte for byte"
rm -f server_files/*

big=$(( 2000 + RANDOM % 58000 ))
for size in 1025 "$big"; do
  send "$size"
  line="datagrama truncado: $size bytes (limite 1024)"
  if ! ex_wait_line server "$EX_SERVER_PID" "$line" 3; then
    ex_fail "for a $size-byte datagram, expected the line '$line'"
  fi
done
sleep 0.3
files=$(ex_saved_files)
[[ -z $files ]] || ex_fail "a datagram over the limit was saved (cut to fit): $files"
(( $(ex_count_lines server "arquivo salvo com sucesso!") == 1 )) || ex_fail "only the 1,024-byte datagram may be saved"
ex_alive "$EX_SERVER_PID" || ex_fail "the server is not running any more"

ex_pass "1,024 bytes saved; 1,025 and $big bytes refused with their real size"
