#!/usr/bin/env bash
# check.sh -- exercise 02_end_on_missing_file: the client ends when its file is missing.
#
#   bash exercises/02_end_on_missing_file/check.sh [starter|solution]
#   (or: make check-exercise E=02_end_on_missing_file)
#
# Starts lesson 01's server (build/lessons/01_tcp_server) on a free port in a
# temporary directory, then runs the exercise's client
#   1. with no client_files/client.txt: it must print the ENOENT error, then
#      "conexao encerrada", and end by itself within 3 s with status 0; the server
#      must see the connection end;
#   2. with the file present (random bytes, random size): the upload must work as
#      before, byte for byte;
#   3. with no file again, against a Node server that answers the client's FIN with
#      its own only after a random 600-1000 ms (allowHalfOpen): the client must still
#      be there until then and end after it, since 'close' means that both sides are
#      closed. A program that prints "conexao encerrada" itself and exits fails here.
source "$(dirname "$0")/../lib.sh"
ex_init 02_end_on_missing_file "$@"

ex_start_server server tcp "escutando porta {PORT}" "$EX_ROOT/build/lessons/01_tcp_server" --host 127.0.0.1

# ---------------------------------------------------------------- 1. no file
ex_start missing "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
if ! ex_wait_exit "$EX_LAST_PID" 3; then
  if grep -q ENOENT "$EX_TMP/missing.out"; then
    ex_fail "the client printed the error but was still connected 3 s later: nothing ended the socket"
  fi
  ex_fail "the client did not end within 3 s"
fi
[[ $EX_STATUS == 0 ]] || ex_fail "with the file missing the client exited with status $EX_STATUS, expected 0"
grep -q "ENOENT: no such file or directory, open './client_files/client.txt'" "$EX_TMP/missing.out" ||
  ex_fail "the client should still print the ENOENT error"
[[ $(tail -n 1 "$EX_TMP/missing.out") == "conexao encerrada" ]] ||
  ex_fail "the client's last line should be 'conexao encerrada' (its 'close' event)"
ex_wait_count server "conexao com o cliente encerrada" 1 3 || ex_fail "the server did not see the connection end"
# The server saves an empty file for that connection; let it finish before the next.
ex_wait_count server "arquivo salvo com sucesso!" 1 3 || ex_fail "the server did not finish with the first connection"

# ---------------------------------------------------------------- 2. with the file
SIZE=$((100000 + RANDOM * 10))
head -c "$SIZE" /dev/urandom > client_files/client.txt
rm -f server_files/*
ex_start upload "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "with the file present the client did not end within 10 s"
[[ $EX_STATUS == 0 ]] || ex_fail "with the file present the client exited with status $EX_STATUS"
ex_wait_count server "arquivo salvo com sucesso!" 2 5 || ex_fail "the server did not save the upload"
files=$(ex_saved_files)
[[ $(wc -l <<<"$files") == 1 && -n $files ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the saved file differs from the $SIZE bytes sent"

# ---------------------------------------------------------------- 3. a server slow to close
rm -f client_files/client.txt
DELAY=$((600 + RANDOM % 400))
cat > slow_close.js <<'JS'
// slow_close.js DELAY --port P: on the client's FIN, wait DELAY ms, then send ours.
const net = require('net');
const [delay, , port] = process.argv.slice(2);
net.createServer({ allowHalfOpen: true }, (sock) => {
  sock.resume();
  sock.on('end', () => setTimeout(() => { console.log('fin sent'); sock.end(); }, Number(delay)));
  sock.on('error', () => {});
}).listen(Number(port), '127.0.0.1', () => console.log(`ouvindo ${port}`));
JS
ex_start_server slowclose tcp "ouvindo {PORT}" node slow_close.js "$DELAY"
start=$(date +%s%N)
ex_start late "$EX_BIN" --port "$EX_PORT" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "against a server that closes its side $DELAY ms after the client's FIN, the client did not end within 5 s"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
(( elapsed >= DELAY - 50 )) ||
  ex_fail "the client ended after $elapsed ms, before the server had closed its side ($DELAY ms after the client's FIN): 'conexao encerrada' comes from the socket's 'close', once both sides are closed; is the line printed by hand, or the process ended early?"
[[ $(tail -n 1 "$EX_TMP/late.out") == "conexao encerrada" ]] || ex_fail "against the slow server, the client's last line should be 'conexao encerrada'"

ex_pass "ended at once without a file (after the server's FIN), uploaded $SIZE bytes intact with one"
