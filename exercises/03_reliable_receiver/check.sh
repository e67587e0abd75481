#!/usr/bin/env bash
# check.sh -- exercise 03_reliable_receiver: files sent with stop-and-wait over lossy UDP
# are saved whole, once each, one per sender.
#
#   bash exercises/03_reliable_receiver/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=03_reliable_receiver)
#
# Starts the exercise's server on a free UDP port in a temporary directory, then five
# copies of sender.js (beside this script: the sending side of the protocol) at the
# same time, with files of 0, 1 and 1,025 bytes and two of a random size between
# 20,000 and 200,000 bytes (random contents). Each sender, with its own seeded loss,
# never sends 20-30% of its DATA datagrams, ignores 20-30% of the ACKs, sends some DATA
# twice, and sends a block again after 20 ms without its ACK, up to 50 times.
# Passes when
#   - every sender ends with status 0 within 30 s (every block acknowledged, also the
#     ones that arrived again; no ACK of 4 bytes for a block not sent yet);
#   - the server printed "arquivo salvo com sucesso!" five times, and server_files/
#     holds five files whose contents are the five files sent, byte for byte.
# A FAIL line gives the seeds of the senders' losses.
source "$(dirname "$0")/../lib.sh"
ex_init 03_reliable_receiver "$@"
HERE=$EX_ROOT/exercises/03_reliable_receiver

ex_start_server server udp "aguardando dados do cliente..." "$EX_BIN" --host 127.0.0.1

sizes=(0 1 1025 $((20000 + RANDOM * 6 % 180000)) $((20000 + RANDOM * 6 % 180000)))
pids=() seeds=()
for i in "${!sizes[@]}"; do
  head -c "${sizes[$i]}" /dev/urandom > "client_files/file$i"
  seeds[i]=$((RANDOM * 32768 + RANDOM))
  ex_start "sender$i" node "$HERE/sender.js" "$EX_PORT" "client_files/file$i" "${seeds[$i]}"
  pids[i]=$EX_LAST_PID
done

for i in "${!sizes[@]}"; do
  what="the sender of ${sizes[$i]} bytes (seed ${seeds[$i]})"
  ex_wait_exit "${pids[$i]}" 30 || ex_fail "$what did not end within 30 s"
  [[ $EX_STATUS == 0 ]] ||
    ex_fail "$what failed (status $EX_STATUS): $(head -c 300 "$EX_TMP/sender$i.err" | tr '\n' ' ')"
done

n=${#sizes[@]}
ex_wait_count server "arquivo salvo com sucesso!" "$n" 5 ||
  ex_fail "$n transfers completed, but the server printed 'arquivo salvo com sucesso!' $(ex_count_lines server 'arquivo salvo com sucesso!') time(s)"
sleep 0.3
saves=$(ex_count_lines server "arquivo salvo com sucesso!")
(( saves == n )) || ex_fail "the server printed 'arquivo salvo com sucesso!' $saves times for $n files: save each file once"

files=$(ex_saved_files)
count=$(grep -c . <<<"$files")
(( count == n )) || ex_fail "$n files sent, but server_files/ holds $count: $(tr '\n' ' ' <<<"$files")"

want=$(cd client_files && for i in "${!sizes[@]}"; do sha256sum < "file$i"; done | sort)
got=$(cd server_files && for f in *; do sha256sum < "$f"; done | sort)
if [[ $want != "$got" ]]; then
  detail=$(cd server_files && for f in *; do printf '%s (%s bytes) ' "$f" "$(wc -c < "$f")"; done)
  ex_fail "the saved files are not the files sent (sizes sent: ${sizes[*]}); saved: $detail"
fi

ex_pass "5 senders at once (${sizes[*]} bytes, DATA and ACKs lost, DATA twice): 5 files, each saved once, byte for byte"
