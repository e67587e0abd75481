#!/usr/bin/env bash
# check.sh -- exercise 03_unique_names: datagrams of the same second get files of their own.
#
#   bash exercises/03_unique_names/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=03_unique_names)
#
# Starts the exercise's server on a free UDP port in a temporary directory and sends it
# two bursts of datagrams (3 to 6 each, random contents and lengths), each burst just
# after a second begins (so that it falls within one second), the second burst in a
# later second. Passes when
#   - the server saved one file per datagram, and their contents are the datagrams;
#   - every name is server_<DD-MM-YYYY h-mm-ss>_UDP.txt or ..._<time>-N_UDP.txt, and
#     each second has the document's name once and then -1, -2, ... with no gap (a
#     counter that does not start again at a new second fails; so does a server that
#     prints the lines without saving).
source "$(dirname "$0")/../lib.sh"
ex_init 03_unique_names "$@"

ex_start_server server udp "aguardando dados do cliente..." "$EX_BIN" --host 127.0.0.1

cat > burst.js <<'JS'
// Two bursts of datagrams of random contents, each one right after a second begins;
// every datagram is also written, one per line, to expected.txt.
const dgram = require('dgram');
const crypto = require('crypto');
const fs = require('fs');
const port = Number(process.argv[2]);
const s = dgram.createSocket('udp4');
const bursts = [3 + crypto.randomInt(4), 3 + crypto.randomInt(4)];
const sent = [];
const atNextSecond = (fn) => setTimeout(fn, 1020 - (Date.now() % 1000));
function burst(i) {
  const n = bursts[i];
  let left = n;
  for (let k = 0; k < n; k++) {
    const line = `datagrama ${i}.${k} ${crypto.randomBytes(5 + crypto.randomInt(200)).toString('hex')}`;
    sent.push(line);
    s.send(Buffer.from(line + '\n'), port, '127.0.0.1', (err) => {
      if (err) { console.error(err.message); process.exitCode = 1; }
      if (--left > 0) return;
      if (i + 1 < bursts.length) return atNextSecond(() => burst(i + 1));
      fs.writeFileSync('expected.txt', sent.sort().join('\n') + '\n');
      console.log(sent.length);
      s.close();
    });
  }
}
atNextSecond(() => burst(0));
JS

ex_start burst node burst.js "$EX_PORT"
ex_wait_exit "$EX_LAST_PID" 5 && [[ $EX_STATUS == 0 ]] || ex_fail "could not send the datagrams"
total=$(cat "$EX_TMP/burst.out")
ex_wait_count server "arquivo salvo com sucesso!" "$total" 5 ||
  ex_fail "the server printed 'arquivo salvo com sucesso!' $(ex_count_lines server 'arquivo salvo com sucesso!') times for $total datagrams"
sleep 0.2

files=$(ex_saved_files)
count=$(grep -c . <<<"$files")
(( count == total )) ||
  ex_fail "$total datagrams arrived but server_files/ holds $count file(s): the later ones overwrote the earlier ($(tr '\n' ' ' <<<"$files"))"

(cd server_files && cat -- *) | LC_ALL=C sort > got.txt
cmp -s expected.txt got.txt || ex_fail "the files' contents are not the datagrams sent (a mix of two writes?)"

stamp='[0-9]{2}-[0-9]{2}-[0-9]{4} [0-9]{1,2}-[0-9]{2}-[0-9]{2}'
declare -A nums=()
while IFS= read -r f; do
  [[ $f =~ ^server_($stamp)(-([1-9][0-9]*))?_UDP\.txt$ ]] ||
    ex_fail "unexpected name '$f': expected server_<time>_UDP.txt or server_<time>-N_UDP.txt"
  nums[${BASH_REMATCH[1]}]+=" ${BASH_REMATCH[3]:-0}"
done <<<"$files"
for second in "${!nums[@]}"; do
  got=$(tr ' ' '\n' <<<"${nums[$second]}" | grep . | sort -n | tr '\n' ' ')
  want=$(seq 0 $(( $(wc -w <<<"${nums[$second]}") - 1 )) | tr '\n' ' ')
  [[ $got == "$want" ]] ||
    ex_fail "the files of $second should be the document's name, then -1, -2, ... (numbers $want with 0 for no number), got numbers: $got; names: $(tr '\n' ' ' <<<"$files")"
done

ex_pass "$total datagrams in two seconds, $total files: $(tr '\n' ' ' <<<"$files")"
