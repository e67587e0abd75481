#!/usr/bin/env bash
# check.sh -- exercise 04_stop_and_wait: a file arrives whole over UDP that loses,
# duplicates and delays, because the client waits for each block's ACK and sends again.
#
#   bash exercises/04_stop_and_wait/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=04_stop_and_wait)
#
# In a temporary directory, for files of 0, 1, 1,024, 1,025 bytes and a random size
# between 60,000 and 250,000 bytes (random contents), it starts receiver.js (beside this
# script: the receiving side of the protocol, seeded loss: it ignores 20-30% of the DATA
# datagrams, drops 20-30% of its ACKs, sends some twice and delays some past the
# client's timeout; and once, instead of taking the first copy of block 1, it sends a
# late copy of ACK 0), runs the exercise's client against it and passes when, each time,
#   - the client ends by itself with status 0 (within 30 s), and prints
#     "Arquivo enviado por UDP para 127.0.0.1:PORT: N blocos, R retransmissoes" where N
#     is the number of blocks and R the retransmissions the receiver actually saw;
#   - the receiver got the blocks in order (never one before the previous one was
#     acknowledged) and the file it wrote is the file sent, byte for byte;
# then it runs the client towards a port where nobody listens: it must give up by
# itself within 10 s with status 1, a line on stderr, and no "Arquivo enviado".
# A FAIL line gives the seed of the receiver's losses (SEED=... repeats it).
source "$(dirname "$0")/../lib.sh"
ex_init 04_stop_and_wait "$@"
HERE=$EX_ROOT/exercises/04_stop_and_wait

transfer() {  # transfer SIZE
  local size=$1 seed=${SEED:-$((RANDOM * 32768 + RANDOM))} name="client_$1" port stats
  head -c "$size" /dev/urandom > client_files/client.txt
  rm -f received.bin received.bin.json
  ex_start "receiver_$size" node "$HERE/receiver.js" "$EX_TMP/received.bin" "$seed"
  local rpid=$EX_LAST_PID
  local i
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$EX_TMP/receiver_$size.out" 2>/dev/null)
    [[ -n $port ]] && break
    ex_alive "$rpid" || ex_setup_error "receiver.js did not start: $(cat "$EX_TMP/receiver_$size.err")"
    sleep 0.05
  done
  [[ -n $port ]] || ex_setup_error "receiver.js printed no port"

  ex_start "$name" "$EX_BIN" --port "$port" --host 127.0.0.1
  ex_wait_exit "$EX_LAST_PID" 30 ||
    ex_fail "$size bytes (seed $seed): the client did not end within 30 s; it must end once the last block is acknowledged"
  sleep 0.2  # let the receiver read what the client sent last
  kill -TERM "$rpid" 2>/dev/null
  wait "$rpid" 2>/dev/null
  [[ -f received.bin.json ]] || ex_setup_error "receiver.js wrote no statistics"
  stats=$(node -e "const s=require('./received.bin.json');console.log(s.data, s.blocks, s.done ? 1 : 0, Math.round(s.dropData*100), Math.round(s.dropAck*100));console.log([...new Set(s.errors)].slice(0,3).join('; '))" )
  local data blocks done dropd dropa errors
  read -r data blocks done dropd dropa <<<"$(head -n1 <<<"$stats")"
  errors=$(tail -n +2 <<<"$stats")
  local loss="seed $seed: $dropd% of DATA and $dropa% of ACKs lost"
  [[ -z $errors ]] || ex_fail "$size bytes ($loss): the receiver saw a protocol error: $errors"
  [[ $EX_STATUS == 0 ]] ||
    ex_fail "$size bytes ($loss): the client exited with status $EX_STATUS; it must retransmit a block until its ACK comes: $(tail -n 2 "$EX_TMP/$name.err" | tr '\n' ' ')"
  [[ $done == 1 ]] || ex_fail "$size bytes ($loss): the client ended, but the receiver never got the last block ($blocks blocks received)"
  cmp -s client_files/client.txt received.bin ||
    ex_fail "$size bytes ($loss): the file received ($(wc -c < received.bin) bytes) differs from the file sent"
  local want=$(( size == 0 ? 1 : (size + 1023) / 1024 )) retrans=$((data - blocks))
  (( blocks == want )) || ex_fail "$size bytes: $blocks blocks, expected $want (1,024 bytes each, an empty file is one empty last block)"
  local line="Arquivo enviado por UDP para 127.0.0.1:$port: $want blocos, $retrans retransmissoes"
  grep -qxF -- "$line" "$EX_TMP/$name.out" ||
    ex_fail "$size bytes ($loss): expected the summary line '$line' (the receiver got $data DATA datagrams for $want blocks); got: $(head -c 300 "$EX_TMP/$name.out" | tr '\n' ' ')"
  SUMMARY+="${size}B: $want blocks, $retrans retransmissions; "
}

SUMMARY=""
for size in 0 1 1024 1025 $((60000 + RANDOM * 6 % 190000)); do
  transfer "$size"
done

head -c 3000 /dev/urandom > client_files/client.txt
port=$(ex_free_port udp) || ex_setup_error "cannot find a free UDP port"
ex_start nobody "$EX_BIN" --port "$port" --host 127.0.0.1
ex_wait_exit "$EX_LAST_PID" 10 ||
  ex_fail "with nobody listening the client did not give up within 10 s: retransmit a bounded number of times, then end with status 1"
grep -q "Arquivo enviado" "$EX_TMP/nobody.out" && ex_fail "with nobody listening the client says 'Arquivo enviado'"
[[ $EX_STATUS == 1 ]] || ex_fail "with nobody listening the exit status is $EX_STATUS, expected 1"
[[ -s $EX_TMP/nobody.err ]] || ex_fail "with nobody listening, print one line on stderr saying which block got no ACK"

ex_pass "${SUMMARY}nobody listening: gave up, status 1"
