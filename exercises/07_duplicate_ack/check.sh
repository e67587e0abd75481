#!/usr/bin/env bash
# check.sh -- exercise 07_duplicate_ack: a TFTP server that never answers a duplicate
# ACK (the sorcerer's apprentice) and retransmits on its timer.
#
#   bash exercises/07_duplicate_ack/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=07_duplicate_ack)
#
# Starts the exercise's server on a free UDP port, with files of 0, 512 and a random
# 40-160 KB in server_files/, and gets each with exercises/tftp_peer.js:
#   1. a client that sends every ACK twice: the file must arrive byte for byte, with
#      hardly more DATA packets than blocks (a server that answers duplicates sends
#      each block 2, 4, 8... times);
#   2. a client that loses a seeded 20% of the DATA (a 10-20 KB file) and, like any TFTP
#      receiver, repeats its last ACK after 300 ms of silence: that repeat is a
#      duplicate, so only a server that retransmits on its own timer finishes (10 s).
# A FAIL line gives the seed; the peer prints what it saw.
source "$(dirname "$0")/../lib.sh"
ex_init 07_duplicate_ack "$@"

head -c 0 /dev/urandom > server_files/empty.bin
head -c 512 /dev/urandom > server_files/one.bin
head -c $((40000 + RANDOM * 3)) /dev/urandom > server_files/big.bin
head -c $((10000 + RANDOM % 10000)) /dev/urandom > server_files/lossy.bin
ex_start_server server udp "listening on {PORT}" "$EX_BIN"

get() {  # get FILE PEER_FLAGS... -> sets OUT (the peer's JSON)
  local file=$1
  shift
  rm -f "client_files/$file"
  OUT=$(node "$EX_ROOT/exercises/tftp_peer.js" get "$EX_PORT" "$file" "client_files/$file" "$@") ||
    ex_fail "the peer could not run"
  field() { node -p "JSON.parse(process.argv[1]).$1" "$OUT"; }
  [[ $(field ok) == true ]] || ex_fail "get $file ($*): the transfer did not finish: $OUT"
  cmp -s "server_files/$file" "client_files/$file" || ex_fail "get $file ($*): the file arrived different: $OUT"
}

for file in empty.bin one.bin big.bin; do
  get "$file" --dup-acks
  blocks=$(field blocks) data=$(field dataPackets)
  (( data <= blocks + blocks / 20 + 2 )) ||
    ex_fail "get $file with every ACK sent twice: $data DATA packets for $blocks blocks; a duplicate ACK must not be answered (sorcerer's apprentice)"
done

get lossy.bin --drop-data 0.2 --limit 10

ex_pass "duplicate ACKs ignored (DATA packets = blocks), lost DATA recovered by the timer"
