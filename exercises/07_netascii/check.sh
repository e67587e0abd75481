#!/usr/bin/env bash
# check.sh -- exercise 07_netascii: a TFTP server refuses netascii with ERROR 0, in any
# letter case, and says why.
#
#   bash exercises/07_netascii/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=07_netascii)
#
# Starts the exercise's server on a free UDP port and sends it read requests with
# exercises/tftp_peer.js, each for a random filename, in modes: netascii and octet in
# random letter cases, and a random unknown mode. Expected answers, as ERROR packets
# (a NUL-terminated message) from the server's port:
#   netascii -> ERROR 0, the message names the mode exactly as sent and says "octet";
#   octet    -> ERROR 1, the message names the file;
#   other    -> ERROR 4, the message names the mode as sent.
# Then tftp-hpa's own client (netascii by default) must print the server's message.
source "$(dirname "$0")/../lib.sh"
ex_init 07_netascii "$@"

ex_start_server server udp "listening on {PORT}" "$EX_BIN"

case_mix() {  # a random mix of upper and lower case letters
  local s=$1 out="" i c
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if ((RANDOM % 2)); then out+=${c^^}; else out+=$c; fi
  done
  echo "$out"
}

ask() {  # ask MODE FILE -> sets CODE, MESSAGE (or fails)
  local out
  out=$(node "$EX_ROOT/exercises/tftp_peer.js" request "$EX_PORT" "$1" "$2") ||
    ex_fail "the peer could not run"
  node -e 'const r=JSON.parse(process.argv[1]); process.exit(r.op===5 && r.terminated ? 0 : 1)' "$out" ||
    ex_fail "a request in mode '$1' for '$2' got no well-formed ERROR packet (opcode 5, code, message, NUL); got: $out"
  CODE=$(node -p 'JSON.parse(process.argv[1]).code' "$out")
  MESSAGE=$(node -p 'JSON.parse(process.argv[1]).message' "$out")
}

for round in 1 2 3; do
  file="f$RANDOM-$round.bin"
  for mode in netascii NETASCII "$(case_mix netascii)"; do
    ask "$mode" "$file"
    [[ $CODE == 0 ]] || ex_fail "mode '$mode' (netascii: modes are case-insensitive) got ERROR $CODE, expected 0; message: $MESSAGE"
    [[ $MESSAGE == *"$mode"* && $MESSAGE == *octet* ]] ||
      ex_fail "mode '$mode': the message should name the mode as sent ('$mode') and say to use octet; got '$MESSAGE'"
  done
  for mode in octet OCTET "$(case_mix octet)"; do
    ask "$mode" "$file"
    [[ $CODE == 1 && $MESSAGE == *"$file"* ]] ||
      ex_fail "mode '$mode' for '$file': expected ERROR 1 naming the file; got ERROR $CODE '$MESSAGE'"
  done
  mode="mode$RANDOM"
  ask "$mode" "$file"
  [[ $CODE == 4 && $MESSAGE == *"$mode"* ]] ||
    ex_fail "unknown mode '$mode': expected ERROR 4 naming the mode; got ERROR $CODE '$MESSAGE'"
done

if command -v tftp >/dev/null 2>&1; then
  out=$(cd client_files && timeout 10 tftp 127.0.0.1 "$EX_PORT" -c get "hpa$RANDOM" 2>&1)
  [[ $out == *octet* ]] || ex_fail "tftp-hpa's client (netascii) should print your message; it printed: $out"
fi

ex_pass "netascii refused with ERROR 0 in any case, octet answered, unknown modes refused"
