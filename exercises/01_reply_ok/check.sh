#!/usr/bin/env bash
# check.sh -- exercise 01_reply_ok: the server answers "ok" once the upload is complete.
#
#   bash exercises/01_reply_ok/check.sh [starter|solution]   (or: make check-exercise E=01_reply_ok)
#
# Starts the exercise's server on a free port in a temporary directory, then
#   1. uploads a file of random size (100 to 300 KB) with lesson 02's client (build/lessons/02_tcp_client):
#      the client must print "ok" between "conectado ao servidor" and
#      "conexao encerrada", and the server must still save the file byte for byte;
#   2. uploads with a slow Node client that sends half, waits 400 ms, then sends the
#      rest and ends: nothing may arrive before the end, and then exactly "ok".
source "$(dirname "$0")/../lib.sh"
ex_init 01_reply_ok "$@"

ex_start_server server tcp "escutando porta {PORT}" "$EX_BIN" --host 127.0.0.1

# ---------------------------------------------------------------- 1. lesson 02's client
for i in $(seq 1 $((2000 + RANDOM % 4000))); do
  printf 'linha %05d: um arquivo enviado por TCP, em pedacos, ate o fim.\n' "$i"
done > client_files/client.txt

ex_start client "$EX_ROOT/build/lessons/02_tcp_client" --port "$EX_PORT" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "lesson 02's client did not end within 10 s"
[[ $EX_STATUS == 0 ]] || ex_fail "lesson 02's client exited with status $EX_STATUS"

got=$(tr '\n' '|' < "$EX_TMP/client.out")
[[ $got == "conectado ao servidor|ok|conexao encerrada|" ]] ||
  ex_fail "the client should print 'conectado ao servidor', 'ok', 'conexao encerrada'; it printed: ${got//|/ / }"

ex_wait_line server "$EX_SERVER_PID" "arquivo salvo com sucesso!" 5 || ex_fail "the server did not save the upload"
files=$(ex_saved_files)
[[ $(wc -l <<<"$files") == 1 && -n $files ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the saved file differs from the file sent"

# ---------------------------------------------------------------- 2. a slow client
cat > slow_client.js <<'JS'
// Sends half the file, waits 400 ms, sends the rest, ends; reports what came back.
const net = require('net');
const [port] = process.argv.slice(2);
const sock = net.connect(Number(port), '127.0.0.1');
let got = '', early = null;
sock.setEncoding('utf8');
sock.on('data', (d) => { got += d; });
sock.on('connect', () => {
  sock.write('primeira metade, ');
  setTimeout(() => { early = got; sock.end('segunda metade\n'); }, 400);
});
sock.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(0); });
sock.on('close', () => console.log(JSON.stringify({ early, got })));
setTimeout(() => { console.log(JSON.stringify({ timeout: true, early, got })); process.exit(0); }, 5000).unref();
JS
ex_start slow node slow_client.js "$EX_PORT"
ex_wait_exit "$EX_LAST_PID" 8 || ex_fail "the slow client did not end"
result=$(tail -n 1 "$EX_TMP/slow.out")
[[ $result == '{"early":"","got":"ok"}' ]] || {
  case $result in
    *'"early":"ok'*) ex_fail "the server answered before the client had sent everything: $result" ;;
    *'"got":"okok'*) ex_fail "the server answered more than once: $result (one 'ok' per upload, not per 'data')" ;;
    *) ex_fail "a client that sends in two parts should receive exactly \"ok\" after its end; got: $result" ;;
  esac
}
ex_alive "$EX_SERVER_PID" || ex_fail "the server ended"

ex_pass "client printed ok, file saved intact, the answer came after the upload's end"
