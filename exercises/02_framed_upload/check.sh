#!/usr/bin/env bash
# check.sh -- exercise 02_framed_upload: a length-prefixed upload acknowledged by SHA-256.
#
#   bash exercises/02_framed_upload/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=02_framed_upload)
#
# Starts two Node servers on free ports, each reading frames: an 8-byte big-endian
# length, then that many bytes. The honest one answers the SHA-256 (hex) of those bytes
# and "\n"; the liar answers a digest with one character changed. Each server logs what
# it read (announced length, bytes received, their digest). Then the client runs with
#   1. files of 0 bytes, 1 byte and a random size (1 to 3 MiB), against the honest
#      server: the length read must equal the bytes received (a little-endian length
#      announces 2^56 bytes for 1 byte), the bytes must be the file's, and the client
#      must exit 0 printing exactly the file's digest (computed here with sha256sum);
#   2. a random file against the liar: the client must exit 1, print no digest on
#      stdout, and say why on stderr.
source "$(dirname "$0")/../lib.sh"
ex_init 02_framed_upload "$@"
command -v sha256sum >/dev/null || ex_setup_error "sha256sum is missing (coreutils)"

cat > server.js <<'JS'
// server.js MODE LOG --port P: frames in, SHA-256 out (MODE honest or liar).
const net = require('net');
const fs = require('fs');
const crypto = require('crypto');
const [mode, log, , port] = process.argv.slice(2);
const server = net.createServer((sock) => {
  const chunks = []; let size = 0; let len = null; let answered = false;
  const record = (o) => fs.appendFileSync(log, JSON.stringify(o) + '\n');
  sock.on('data', (d) => {
    chunks.push(d); size += d.length;
    if (answered) return;
    if (len === null && size >= 8) len = Buffer.concat(chunks).readBigUInt64BE(0);
    if (len !== null && BigInt(size - 8) >= len) {
      const body = Buffer.concat(chunks).subarray(8, 8 + Number(len));
      let sha = crypto.createHash('sha256').update(body).digest('hex');
      record({ len: String(len), received: size - 8, sha });
      if (mode === 'liar') sha = (sha[0] === '0' ? '1' : '0') + sha.slice(1);
      answered = true;
      sock.end(sha + '\n');
    }
  });
  sock.on('end', () => {
    if (answered) return;
    record({ len: len === null ? null : String(len), received: Math.max(0, size - 8), header: size >= 8 ? null : size });
    sock.end();
  });
  sock.on('error', () => {});
});
server.listen(Number(port), '127.0.0.1', () => console.log(`ouvindo ${port}`));
JS

ex_start_server honest tcp "ouvindo {PORT}" node server.js honest honest.log
HONEST=$EX_PORT
ex_start_server liar tcp "ouvindo {PORT}" node server.js liar liar.log
LIAR=$EX_PORT

# upload NAME PORT LOG: run the client once; sets OUT, ERR, EX_STATUS and LOGLINE (what
# the server read), checking the frame itself.
upload() {
  local name=$1 port=$2 log=$3 before
  before=$(cat "$log" 2>/dev/null | wc -l)
  ex_start "$name" "$EX_BIN" --port "$port" --host 127.0.0.1
  ex_wait_exit "$EX_LAST_PID" 15 || ex_fail "$name: the client did not end within 15 s"
  OUT=$(cat "$EX_TMP/$name.out"); ERR=$(cat "$EX_TMP/$name.err")
  sleep 0.1
  LOGLINE=$(sed -n "$((before + 1))p" "$log" 2>/dev/null)
  [[ -n $LOGLINE ]] || ex_fail "$name: the server received no frame (no connection, or it closed before sending anything)"
  local size len received
  size=$(stat -c %s client_files/client.txt)
  len=$(sed -E 's/.*"len":"?([0-9]+|null)"?,.*/\1/' <<<"$LOGLINE")
  received=$(sed -E 's/.*"received":([0-9]+).*/\1/' <<<"$LOGLINE")
  [[ $len != null ]] || ex_fail "$name: the server received $received bytes, fewer than the 8 of a length header"
  [[ $len == "$size" ]] ||
    ex_fail "$name: the length header says $len bytes for a file of $size bytes ($received bytes came after it): 8 bytes, in network byte order (big-endian, most significant byte first)?"
  [[ $received == "$size" ]] || ex_fail "$name: the server received $received bytes after the header, the file has $size"
  grep -qF "\"sha\":\"$(sha256sum client_files/client.txt | cut -c1-64)\"" <<<"$LOGLINE" ||
    ex_fail "$name: the bytes the server received are not the file's"
}

# ---------------------------------------------------------------- 1. honest server
big=$((1048576 + RANDOM * 64 + RANDOM % 64))
for size in 0 1 "$big"; do
  head -c "$size" /dev/urandom > client_files/client.txt
  want=$(sha256sum client_files/client.txt | cut -c1-64)
  upload "up$size" "$HONEST" honest.log
  [[ $EX_STATUS == 0 ]] || ex_fail "a $size-byte upload, answered with the right digest: exit status $EX_STATUS, expected 0 (stderr: ${ERR:0:200})"
  [[ $OUT == "$want" ]] || ex_fail "a $size-byte upload: stdout should be exactly the digest $want, got '${OUT:0:200}'"
done

# ---------------------------------------------------------------- 2. lying server
head -c $((1000 + RANDOM)) /dev/urandom > client_files/client.txt
want=$(sha256sum client_files/client.txt | cut -c1-64)
upload liar "$LIAR" liar.log
[[ $EX_STATUS == 1 ]] ||
  ex_fail "a server that answered a wrong digest: exit status $EX_STATUS, expected 1 (the client must compare the answer with the SHA-256 of what it sent)"
[[ $OUT != *[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]* ]] ||
  ex_fail "a server that answered a wrong digest: the client printed a digest on stdout ('${OUT:0:80}'), which means 'arrived intact'"
[[ -n $ERR ]] || ex_fail "a server that answered a wrong digest: the client exited 1 but said nothing on stderr"

ex_pass "0, 1 and $big bytes framed in network byte order and acknowledged; a wrong digest refused"
