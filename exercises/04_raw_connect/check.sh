#!/usr/bin/env bash
# check.sh -- exercise 04_raw_connect: a connected UDP client learns that nobody listens.
#
#   bash exercises/04_raw_connect/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=04_raw_connect)
#
# In a temporary directory:
#   - with no server on a free UDP port: the exercise's client must end within 5 s with
#     status 1, name ECONNREFUSED on stderr, and not print "Arquivo enviado";
#   - with lesson 03's server (build/lessons/03_udp_server) listening: the client must
#     print "Arquivo enviado por UDP para 127.0.0.1:PORT", exit 0, and the server must
#     save the file (a random size between 1 and 60,000 bytes) byte for byte.
source "$(dirname "$0")/../lib.sh"
ex_init 04_raw_connect "$@"

size=$(( 1 + RANDOM * 2 % 60000 ))
head -c "$size" /dev/urandom > client_files/client.txt

port=$(ex_free_port udp) || ex_setup_error "cannot find a free UDP port"
ex_start nobody "$EX_BIN" --port "$port" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with no server the client did not end within 5 s"
grep -q "Arquivo enviado" "$EX_TMP/nobody.out" &&
  ex_fail "with no server listening the client still says 'Arquivo enviado': connect(2) the socket and wait for the ICMP answer"
[[ $EX_STATUS == 1 ]] || ex_fail "with no server the exit status is $EX_STATUS, expected 1"
grep -q ECONNREFUSED "$EX_TMP/nobody.err" || ex_fail "with no server, name ECONNREFUSED on stderr; got: $(head -c 200 "$EX_TMP/nobody.err")"

ex_start_server server udp "aguardando dados do cliente..." "$EX_ROOT/build/lessons/03_udp_server" --host 127.0.0.1
ex_start client "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with a server the client did not end within 5 s"
[[ $EX_STATUS == 0 ]] || ex_fail "with a server listening the client exited with status $EX_STATUS: $(head -c 200 "$EX_TMP/client.err")"
grep -qxF "Arquivo enviado por UDP para 127.0.0.1:$EX_PORT" "$EX_TMP/client.out" ||
  ex_fail "with a server the client should print 'Arquivo enviado por UDP para 127.0.0.1:$EX_PORT'"
ex_wait_count server "arquivo salvo com sucesso!" 1 5 || ex_fail "the server did not save the datagram"
files=$(ex_saved_files)
[[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the saved datagram differs from the $size-byte file sent"

ex_pass "no server: ECONNREFUSED and status 1; with a server: sent and saved intact"
