#!/usr/bin/env bash
# check.sh -- exercise 02_raw_sendall: a 40-50 MB upload survives a stopped receiver.
#
#   bash exercises/02_raw_sendall/check.sh [starter|solution]
#   (or: make check-exercise E=02_raw_sendall)
#
# Starts lesson 01's server (build/lessons/01_tcp_server) on a free port in a temporary
# directory and runs the exercise's client with a file of 40 to 50 MB of random bytes. As soon as
# the server has received its first bytes, the server is stopped (SIGSTOP) for one
# second, so that the client's send buffer fills up and send(2) returns a partial count
# and then EAGAIN; then it continues (SIGCONT). The client must end with status 0 and
# print exactly "conectado ao servidor" and "conexao encerrada", nothing on stderr; the
# server must save one file identical to the one sent.
source "$(dirname "$0")/../lib.sh"
ex_init 02_raw_sendall "$@"

ex_start_server server tcp "escutando porta {PORT}" "$EX_ROOT/build/lessons/01_tcp_server"
SIZE=$((40000000 + RANDOM * 300))  # 40 to 50 MB, a different size every run
head -c "$SIZE" /dev/urandom > client_files/client.txt

ex_start client "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
CLIENT=$EX_LAST_PID
ex_wait_line server "$EX_SERVER_PID" "recebendo dados..." 10 || ex_fail "the server received nothing from the client"
kill -STOP "$EX_SERVER_PID"
sleep 1
kill -CONT "$EX_SERVER_PID"

ex_wait_exit "$CLIENT" 30 || ex_fail "the client did not end within 30 s"
[[ $EX_STATUS == 0 ]] || ex_fail "the client exited with status $EX_STATUS: $(head -c 300 "$EX_TMP/client.err")"
[[ ! -s $EX_TMP/client.err ]] || ex_fail "the client wrote on stderr: $(head -c 300 "$EX_TMP/client.err")"
[[ $(cat "$EX_TMP/client.out") == $'conectado ao servidor\nconexao encerrada' ]] ||
  ex_fail "the client should print 'conectado ao servidor' then 'conexao encerrada'"
ex_wait_count server "arquivo salvo com sucesso!" 1 10 || ex_fail "the server did not save the upload"
files=$(ex_saved_files)
[[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" ||
  ex_fail "the saved file differs from the one sent ($(stat -c %s "server_files/$files") of $SIZE bytes): bytes were lost or repeated"

ex_pass "$SIZE bytes arrived intact across a 1 s SIGSTOP of the server"
