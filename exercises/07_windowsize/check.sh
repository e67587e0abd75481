#!/usr/bin/env bash
# check.sh -- exercise 07_windowsize: RFC 7440's windowsize in a TFTP server.
#
#   bash exercises/07_windowsize/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=07_windowsize)
#
# Starts the exercise's server on a free UDP port with a random 40-160 KB file in
# server_files/ and gets it with exercises/tftp_peer.js:
#   1. asking windowsize N (a random 4..12): the first answer must be an OACK with
#      windowsize N, and the DATA must come N at a time between two ACKs;
#   2. asking windowsize 6 while losing a seeded 10% of the DATA: after the client
#      acknowledges the block before a gap, the next window must start right after it;
#   3. without the option: lock-step, one DATA per ACK, as before;
#   4. with atftp (if installed) asking windowsize 8: the file arrives intact.
# Every file must arrive byte for byte. A FAIL line gives the seed of the losses.
source "$(dirname "$0")/../lib.sh"
ex_init 07_windowsize "$@"

head -c $((40000 + RANDOM * 3)) /dev/urandom > server_files/f.bin
ex_start_server server udp "listening on {PORT}" "$EX_BIN"

get() {  # get PEER_FLAGS... -> sets OUT (the peer's JSON)
  rm -f client_files/f.bin
  OUT=$(node "$EX_ROOT/exercises/tftp_peer.js" get "$EX_PORT" f.bin client_files/f.bin "$@") ||
    ex_fail "the peer could not run"
  [[ $(field ok) == true ]] || ex_fail "get ($*): the transfer did not finish: $OUT"
  cmp -s server_files/f.bin client_files/f.bin || ex_fail "get ($*): the file arrived different: $OUT"
}
field() { node -p "const r=JSON.parse(process.argv[1]); String(r.$1)" "$OUT"; }

n=$((4 + RANDOM % 9))
get --windowsize "$n"
[[ $(field 'oack && r.oack.windowsize') == "$n" ]] ||
  ex_fail "asking windowsize $n, the first answer should be an OACK with windowsize $n; the peer saw: $OUT"
[[ $(field maxBurst) == "$n" ]] ||
  ex_fail "with windowsize $n, expected $n DATA between two ACKs; the longest run was $(field maxBurst): $OUT"

get --windowsize 6 --drop-data 0.1 --limit 10

get
[[ $(field oack) == null && $(field maxBurst) == 1 ]] ||
  ex_fail "without the option: no OACK and one DATA per ACK expected; the peer saw: $OUT"

if command -v atftp >/dev/null 2>&1; then
  rm -f client_files/f.bin
  (cd client_files && timeout 20 atftp --option "windowsize 8" -g -r f.bin -l f.bin 127.0.0.1 "$EX_PORT" >/dev/null 2>&1)
  cmp -s server_files/f.bin client_files/f.bin || ex_fail "atftp --option 'windowsize 8': the file arrived different or not at all"
fi

ex_pass "OACK windowsize, N DATA per ACK, the window restarted after a gap, lock-step without the option"
