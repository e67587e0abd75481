#!/usr/bin/env bash
# check.sh -- exercise 01_raw_idle_timeout: the raw server drops a silent client after 2 s.
#
#   bash exercises/01_raw_idle_timeout/check.sh [starter|solution]
#   (or: make check-exercise E=01_raw_idle_timeout)
#
# Starts the exercise's server on a free port in a temporary directory, then at once:
#   - a silent client, which connects and sends nothing: the server must close the
#     connection (the client sees the server's FIN) between 1.5 s and 5 s later, print
#     "cliente inativo" exactly once, and save nothing for it;
#   - a slow client, which sends 8 random pieces of 10 bytes, one every 500 ms (4 s in
#     all, longer than the idle limit, never 2 s silent), then ends: its upload must be
#     saved byte for byte, with the lesson's lines.
# The server must still be running afterwards.
source "$(dirname "$0")/../lib.sh"
ex_init 01_raw_idle_timeout "$@"

ex_start_server server tcp "escutando porta {PORT}" "$EX_BIN"

# The silent client prints "closed N" (ms after connecting) when the server ends it.
ex_start silent node -e "
const t0 = Date.now();
const s = require('net').connect($EX_PORT, '127.0.0.1');
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
s.on('close', () => { console.log('closed ' + (Date.now() - t0)); process.exit(0); });
setTimeout(() => { console.log('still open'); process.exit(0); }, 6000);
"
SILENT=$EX_LAST_PID

# The slow client sends client_files/client.txt in 8 pieces, 500 ms apart, then ends.
head -c 80 /dev/urandom > client_files/client.txt
ex_start slow node -e "
const data = require('fs').readFileSync('client_files/client.txt');
const s = require('net').connect($EX_PORT, '127.0.0.1', () => {
  let i = 0;
  const tick = setInterval(() => {
    s.write(data.subarray(i * 10, i * 10 + 10));
    if (++i === 8) { clearInterval(tick); s.end(); }
  }, 500);
});
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
s.on('close', () => { console.log('done'); process.exit(0); });
"
SLOW=$EX_LAST_PID

ex_wait_exit "$SILENT" 10 || ex_fail "the silent client's script did not end"
ex_wait_exit "$SLOW" 15 || ex_fail "the slow client did not finish within 15 s"

verdict=$(cat "$EX_TMP/silent.out")
case $verdict in
  "still open") ex_fail "the silent client was still connected after 6 s: drop it after 2 s of silence" ;;
  closed*)
    ms=${verdict#closed }
    (( ms >= 1500 )) || ex_fail "the silent client was dropped after $ms ms, before 2 s of silence"
    (( ms <= 5000 )) || ex_fail "the silent client was dropped only after $ms ms (2 s expected)" ;;
  *) ex_fail "the silent client saw: $verdict (expected the server to close it with a FIN)" ;;
esac
grep -qxF done "$EX_TMP/slow.out" || ex_fail "the slow client did not complete: $(cat "$EX_TMP/slow.out")"

ex_wait_count server "arquivo salvo com sucesso!" 1 5 ||
  ex_fail "the slow client's upload was not saved: was it dropped although it sent 10 bytes every 500 ms? (silence counts from the last byte received)"
sleep 0.3
(( $(ex_count_lines server "cliente inativo") == 1 )) ||
  ex_fail "expected exactly one 'cliente inativo' line, got $(ex_count_lines server "cliente inativo")"
(( $(ex_count_lines server "arquivo salvo com sucesso!") == 1 )) ||
  ex_fail "expected one save (the slow client's), got $(ex_count_lines server "arquivo salvo com sucesso!"): the silent client must not be saved"
files=$(ex_saved_files)
[[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "expected one file in server_files/, found: ${files:-none}"
cmp -s client_files/client.txt "server_files/$files" || ex_fail "the slow client's upload differs from what it sent"
ex_alive "$EX_SERVER_PID" || ex_fail "the server is not running any more"

ex_pass "silent client dropped after $ms ms, the slow one (4 s) saved intact"
