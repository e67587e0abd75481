#!/usr/bin/env bash
# check.sh -- exercise 03_unique_names: datagrams of the same second get files of their own.
#
#   bash exercises/03_unique_names/check.sh [starter|solution]
#   (or: make check-exercise E=03_unique_names)
#
# Starts the exercise's server on a free UDP port in a temporary directory, sends it
# five different datagrams at once (a few milliseconds apart, so that most or all of
# them share one second) and passes when
#   - the server saved five files, and their contents are the five datagrams;
#   - every name is server_<DD-MM-YYYY h-mm-ss>_UDP.txt or ..._<time>-N_UDP.txt, and
#     each second has exactly one name without a number (the document's name).
source "$(dirname "$0")/../lib.sh"
ex_init 03_unique_names "$@"

ex_start_server server udp "aguardando dados do cliente..." "$EX_BIN" --host 127.0.0.1

cat > burst.js <<'JS'
// Five datagrams of different contents and lengths, sent back to back.
const dgram = require('dgram');
const port = Number(process.argv[2]);
const s = dgram.createSocket('udp4');
let left = 5;
for (let i = 1; i <= 5; i++) {
  const msg = Buffer.from(`datagrama ${i} ${'x'.repeat(i * 10)}\n`);
  s.send(msg, port, '127.0.0.1', (err) => {
    if (err) { console.error(err.message); process.exitCode = 1; }
    if (--left === 0) s.close();
  });
}
JS
for i in 1 2 3 4 5; do
  printf 'datagrama %d %s\n' "$i" "$(printf 'x%.0s' $(seq 1 $((i * 10))))"
done | sort > expected.txt

ex_start burst node burst.js "$EX_PORT"
ex_wait_exit "$EX_LAST_PID" 5 && [[ $EX_STATUS == 0 ]] || ex_fail "could not send the datagrams"
ex_wait_count server "arquivo salvo com sucesso!" 5 5 ||
  ex_fail "the server printed 'arquivo salvo com sucesso!' $(ex_count_lines server 'arquivo salvo com sucesso!') times for 5 datagrams"

files=$(ex_saved_files)
count=$(grep -c . <<<"$files")
(( count == 5 )) ||
  ex_fail "5 datagrams arrived but server_files/ holds $count file(s): the later ones overwrote the earlier ($(tr '\n' ' ' <<<"$files"))"

(cd server_files && cat -- *) | sort > got.txt
cmp -s expected.txt got.txt || ex_fail "the files' contents are not the five datagrams (a mix of two writes?)"

stamp='[0-9]{2}-[0-9]{2}-[0-9]{4} [0-9]{1,2}-[0-9]{2}-[0-9]{2}'
declare -A plain=() numbered=()
while IFS= read -r f; do
  [[ $f =~ ^server_($stamp)(-[1-9][0-9]*)?_UDP\.txt$ ]] ||
    ex_fail "unexpected name '$f': expected server_<time>_UDP.txt or server_<time>-N_UDP.txt"
  if [[ -z ${BASH_REMATCH[2]} ]]; then plain[${BASH_REMATCH[1]}]=1; else numbered[${BASH_REMATCH[1]}]=1; fi
done <<<"$files"
for second in "${!numbered[@]}"; do
  [[ -n ${plain[$second]:-} ]] ||
    ex_fail "the first file of $second should keep the document's name (no number); names: $(tr '\n' ' ' <<<"$files")"
done

ex_pass "5 datagrams, 5 files: $(tr '\n' ' ' <<<"$files")"
