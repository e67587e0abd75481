#!/usr/bin/env bash
# check.sh -- exercise 04_too_big: a file over one datagram is refused with a clear message,
# over IPv4 and over IPv6, each with its own limit.
#
#   bash exercises/04_too_big/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=04_too_big)
#
# For each family (IPv4, then --udp6 on ::1) it starts lesson 03's server
# (build/lessons/03_udp_server) on a free UDP port in a temporary directory, then runs
# the exercise's client with random files of
#   - LIMIT bytes, and a random size below it: sent as before, saved byte for byte;
#   - LIMIT+1 bytes and a random size between LIMIT+2 and 200,000: the client must end
#     within 5 s with status 1, print a line that gives the file's size and LIMIT, send
#     nothing, show no EMSGSIZE error (no crash) and not say "Arquivo enviado";
# where LIMIT is 65,507 over IPv4 and 65,527 over IPv6 (IPv6's length field does not
# count its own header). With --udp6 the sizes between the two limits must be sent:
# a solution that uses IPv4's limit for both fails there.
source "$(dirname "$0")/../lib.sh"
ex_init 04_too_big "$@"

# one FAMILY LIMIT HOST [FLAGS...]: the whole check for one address family.
one() {
  local family=$1 limit=$2 host=$3 size
  shift 3
  local flags=("$@")
  rm -f server_files/*
  ex_start_server "server_$family" udp "aguardando dados do cliente..." \
    "$EX_ROOT/build/lessons/03_udp_server" "${flags[@]}" --host "$host"
  local server=server_$family saved=0

  local fits=("$limit" $((1 + RANDOM * 2 % (limit - 1))))
  # Over IPv6, also a size that IPv4 would refuse.
  [[ $family == IPv6 ]] && fits+=($((65508 + RANDOM % 20)))
  for size in "${fits[@]}"; do
    local name="fits_${family}_$size" files
    head -c "$size" /dev/urandom > client_files/client.txt
    ex_start "$name" "$EX_BIN" "${flags[@]}" --port "$EX_PORT" --host "$host"
    ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "$family: with a $size-byte file the client did not end within 5 s"
    [[ $EX_STATUS == 0 ]] ||
      ex_fail "$family: a $size-byte file fits in one datagram (the limit over $family is $limit), but the client exited with status $EX_STATUS: $(head -c 200 "$EX_TMP/$name.err")"
    grep -qxF "Arquivo enviado por UDP para $host:$EX_PORT" "$EX_TMP/$name.out" ||
      ex_fail "$family: with a $size-byte file the client should still print 'Arquivo enviado por UDP para $host:$EX_PORT'"
    saved=$((saved + 1))
    ex_wait_count "$server" "arquivo salvo com sucesso!" "$saved" 5 || ex_fail "$family: the server did not save the $size-byte datagram"
    (( $(ex_count_lines "$server" "arquivo salvo com sucesso!") == saved )) ||
      ex_fail "$family: the server received more datagrams than the files that fit: a file over the limit was sent anyway"
    files=$(ex_saved_files)
    [[ $(grep -c . <<<"$files") == 1 ]] || ex_fail "$family: expected one file in server_files/, found: ${files:-none}"
    cmp -s client_files/client.txt "server_files/$files" || ex_fail "$family: the saved $size-byte datagram differs from the file sent"
    rm -f server_files/*
  done
  for size in $((limit + 1)) $((limit + 2 + RANDOM * 4 % (200000 - limit - 2))); do
    local name="client_${family}_$size" all
    head -c "$size" /dev/urandom > client_files/client.txt
    ex_start "$name" "$EX_BIN" "${flags[@]}" --port "$EX_PORT" --host "$host"
    ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "$family: with a $size-byte file the client did not end within 5 s"
    all=$(cat "$EX_TMP/$name.out" "$EX_TMP/$name.err")
    grep -q EMSGSIZE <<<"$all" &&
      ex_fail "$family: with a $size-byte file the client still tried to send it and failed with EMSGSIZE; check the size before sending"
    grep -q "Arquivo enviado" "$EX_TMP/$name.out" && ex_fail "$family: with a $size-byte file (over the limit) the client says it sent it"
    grep -q '^Error\|Uncaught\|uncaught' <<<"$all" && ex_fail "$family: with a $size-byte file the client crashed instead of printing a message"
    [[ $EX_STATUS == 1 ]] || ex_fail "$family: with a $size-byte file (over the limit) the exit status is $EX_STATUS, expected 1"
    grep -E "(^|[^0-9])$size([^0-9]|$)" "$EX_TMP/$name.err" | grep -qE "(^|[^0-9])$limit([^0-9]|$)" ||
      ex_fail "$family: with a $size-byte file, print one line on stderr that gives the size ($size) and the limit over $family ($limit); got: $(tr '\n' ' ' <<<"$all" | cut -c1-200)"
  done

  kill -KILL "$EX_SERVER_PID" 2>/dev/null
  wait "$EX_SERVER_PID" 2>/dev/null
}

one IPv4 65507 127.0.0.1
one IPv6 65527 ::1 --udp6

ex_pass "over IPv4 65,508 bytes and more refused, 65,507 sent; over IPv6 65,528 and more refused, 65,527 sent; each saved intact"
