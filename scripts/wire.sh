#!/usr/bin/env bash
# wire.sh: lesson 05, the document's programs on a real link (`make wire`; needs root).
#
# Builds a two-host network on this machine: two network namespaces, "a" (the client,
# 10.55.0.1) and "b" (the server, 10.55.0.2), joined by a veth pair with MTU 1500, as
# Ethernet. Then, capturing with tcpdump on b's end of the link:
#   1 tcp    lesson 01's server and lesson 02's client, KIT_TRACE=1 on both: handshake,
#            MSS, window, data, ACKs, FINs, each packet beside the event the program saw;
#            then `ss -tan` in a: the client's connection in TIME-WAIT
#   2 rst    a client that sends one byte and resets: the RST, and lesson 01's server
#            dying of it (ECONNRESET, status 1), as Node's does
#   3 udp    lesson 04's client -> lesson 03's server: one datagram, no handshake, no
#            ACK; then to a port where nobody listens: the ICMP port unreachable, what the
#            client says (nothing wrong), and a connect()ed UDP socket (ECONNREFUSED)
#   4 frag   a 65,507-byte file in one datagram: 45 IP fragments, their offsets, and
#            the file reassembled byte for byte
#   5 loss   nftables drops a random share of the packets entering each namespace
#            (`numgen random mod 100 < N`: tc netem is not in this kernel): lesson 01/02
#            move a 10 MiB file intact at 1, 5 and 20 %, while lesson 04's single
#            65,507-byte datagram arrives in about (1-p)^45 of 200 tries
#   6 dup    nftables' `dup to` sends b a second copy of every packet a sends: lesson
#            03's server gets lesson 04's one datagram twice (UDP has no sequence numbers),
#            while lesson 01 saves lesson 02's file once, byte-exact (TCP's sequence
#            numbers make each second copy a no-op, acknowledged as a duplicate: D-SACK)
# The pcap files (open them in Wireshark) and the annotated text go to build/wire/
# (or --out DIR). Everything the script creates (namespaces, veth, nft tables, which
# live inside the namespaces, processes, temporary files) is removed on exit, also on
# failure and on Ctrl-C: trap below.
#
#   scripts/wire.sh            everything (about 20 seconds on 2 cores)
#   scripts/wire.sh --quick    the shortened run of `make test`: 1 MiB at 5 %, 40 tries
#   scripts/wire.sh --only tcp,frag     some experiments only
#   scripts/wire.sh --check-root        exit 0 if namespaces can be made here, 3 if not
#
# Exit status: 0 done, 1 an experiment went wrong (said why), 2 bad usage or a missing
# tool, 3 not root (a normal user can do the loopback part of lesson 05's README).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/lessons

QUICK=0 ONLY="tcp,rst,udp,frag,loss,dup" OUT=$ROOT/build/wire CHECK_ROOT=0
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --check-root) CHECK_ROOT=1 ;;
    *) echo "wire: unknown argument '$1' (see the top of scripts/wire.sh)" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

if [[ $(id -u) -ne 0 ]]; then
  echo "wire: needs root (network namespaces, veth, nftables, tcpdump)." >&2
  echo "wire: as a normal user, follow lessons/05_wire/README.md's loopback section instead." >&2
  exit 3
fi

# Every name carries this process's id: two runs (make wire and make test) never meet.
TAG=$$
NSA=kitwire-a-$TAG NSB=kitwire-b-$TAG
VA=kwa$TAG VB=kwb$TAG           # interface names: at most 15 characters
IPA=10.55.0.1 IPB=10.55.0.2
WORK=""
cleanup() {
  local ns pid
  trap - EXIT INT TERM
  for ns in "$NSA" "$NSB"; do
    # Every process started in our namespaces (servers, clients, tcpdump): ours only.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  # Deleting a namespace deletes the veth end and the nft tables inside it.
  for ns in "$NSA" "$NSB"; do ip netns del "$ns" 2>/dev/null || true; done
  ip link del "$VA" 2>/dev/null || true
  if [[ -n $WORK ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "wire: interrupted, cleaning up" >&2; exit 130' INT TERM

if ((CHECK_ROOT)); then
  ip netns add "$NSA" 2>/dev/null && ip netns del "$NSA" && exit 0
  echo "wire: root, but network namespaces cannot be created here" >&2
  exit 3
fi

for tool in tcpdump nft ip ss nstat; do
  if ! command -v "$tool" >/dev/null; then
    bash scripts/deps.sh wire >&2 || exit 2
    break
  fi
done
for b in 01_tcp_server 02_tcp_client 03_udp_server 04_udp_client; do
  [[ -x $BIN/$b ]] || { echo "wire: $BIN/$b is missing (run make)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kit-wire.XXXXXX")
mkdir -p "$OUT" "$WORK"/{a,b}/{client_files,server_files}
A() { ip netns exec "$NSA" "$@"; }
B() { ip netns exec "$NSB" "$@"; }
say() { printf '%s\n' "$*"; }
heading() { printf '\n==== %s ====\n' "$*"; }
fail() { echo "wire: FAILED: $*" >&2; exit 1; }

# ---------------------------------------------------------------- the link
ip netns add "$NSA"
ip netns add "$NSB"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$NSA"
ip link set "$VB" netns "$NSB"
for side in A:$VA:$IPA B:$VB:$IPB; do
  IFS=: read -r ns dev addr <<<"$side"
  # gso_max_segs 1: the kernel hands the veth one Ethernet-sized segment at a time,
  # so the capture shows what a real NIC would put on the wire, not 64 KiB blobs.
  $ns ip link set lo up
  $ns ip link set "$dev" mtu 1500 gso_max_segs 1
  $ns ip addr add "$addr/24" dev "$dev"
  $ns ip link set "$dev" up
  # Reassembly memory: room for the partial datagrams of the loss experiment
  # (each waits 30 s for its missing fragments) so that none is evicted early.
  $ns sysctl -qw net.ipv4.ipfrag_high_thresh=268435456
done
say "link: namespace $NSA ($VA, $IPA) <-> namespace $NSB ($VB, $IPB), MTU 1500"

# capture NAME [FILTER...]: tcpdump on b's end of the link, into $OUT/NAME.pcap;
# returns once tcpdump says it is listening. stop_capture ends it (SIGINT: it flushes).
CAP_PID=""
capture() {
  local name=$1; shift
  rm -f "$OUT/$name.pcap"
  # ip netns exec directly (not through B): then $! is tcpdump itself, which SIGINT ends.
  ip netns exec "$NSB" tcpdump -i "$VB" -n -U --immediate-mode -s 1600 -B 8192 -w "$OUT/$name.pcap" "$@" 2>"$WORK/$name.tcpdump.err" &
  CAP_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q listening "$WORK/$name.tcpdump.err" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "tcpdump did not start: $(cat "$WORK/$name.tcpdump.err")"
}
stop_capture() {
  sleep 0.2   # the last packets reach the capture
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  CAP_PID=""
}
wait_line() { # wait_line FILE REGEX SECONDS
  local i
  for ((i = 0; i < $3 * 20; i++)); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# Each program runs in its namespace with its stdout and stderr (KIT_TRACE=1 lines
# included) read line by line by a stamper that puts the wall-clock time first, in
# tcpdump -tt's format (`1765081234.567890 line`), so that the program's events can be
# sorted among the packets. stdbuf -oL: the program's stdout is a pipe, which stdio
# would otherwise flush only at exit. A line is stamped when the stamper reads it, a
# little after the program wrote it (tens of microseconds; more on a busy machine),
# never before. The stamper starts first, and the program only once it runs (the
# file "ready"): a program that is quicker to start than the stamper would otherwise
# have all its lines stamped at once, late. Perl reads the pipe a block at a time;
# bash's read (the fallback, where perl has no Time::HiRes) one byte at a time, and
# falls behind a busy trace.
if perl -MTime::HiRes -e 1 2>/dev/null; then
  STAMP='perl -MTime::HiRes=time -ne '"'"'BEGIN { $| = 1; open(my $f, ">", $ENV{READY}) and close($f) } printf "%.6f %s", time, $_'"'"
else
  STAMP='{ : >"$READY"; while IFS= read -r l; do printf "%s %s\n" "$EPOCHREALTIME" "$l"; done; }'
fi
STAMPED='cd "$1" && shift && export READY=$(mktemp -u "$WORK/ready.XXXXXX") &&
  exec > >(eval "$STAMP") 2>&1 && until [[ -e $READY ]]; do sleep 0.005; done && rm -f "$READY" &&
  exec stdbuf -oL "$@"'
export STAMP WORK
# fg CMD...: run CMD and wait for it. Not simply CMD: while a foreground command runs,
# bash holds a signal's trap until the command ends (a `kill` of this script alone
# would then wait for a client stuck in a retransmission timeout); `wait` returns at
# once on a signal, the trap runs, and cleanup kills the command with the namespace.
fg() {
  "$@" &
  wait $!
}
# run_in NS DIR LOG CMD...: run CMD in namespace NS, directory DIR, stamped into LOG.
run_in() {
  local ns=$1 dir=$2 log=$3; shift 3
  ip netns exec "$ns" env LC_ALL=C bash -c "$STAMPED" _ "$dir" "$@" >"$log" &
  wait $!      # (see fg below)
  sleep 0.05   # the stamper writes the last lines after the program's exit
}
# start_server LOG CMD...: the same in b, in the background; SERVER_PID ends with it.
SERVER_PID=""
start_server() {
  local log=$1; shift
  ip netns exec "$NSB" env LC_ALL=C bash -c "$STAMPED" _ "$WORK/b" "$@" >"$log" &
  SERVER_PID=$!
}
stop_servers() { # SIGTERM to every program still running in b, then reap them
  # (not SIGINT: a background job of a script starts with SIGINT ignored)
  local pid
  for pid in $(ip netns pids "$NSB"); do kill -TERM "$pid" 2>/dev/null || true; done
  wait "$SERVER_PID" 2>/dev/null || true
}

# ---------------------------------------------------------------- 1 tcp
if want tcp; then
  heading "1. TCP: lesson 02's client uploads 4,000 bytes to lesson 01's server"
  head -c 4000 /dev/urandom >"$WORK/a/client_files/client.txt"
  capture 1-tcp tcp port 8124
  start_server "$WORK/1-server.log" env KIT_TRACE=1 "$BIN/01_tcp_server" --host "$IPB"
  wait_line "$WORK/1-server.log" 'escutando porta' 5 || fail "lesson 01's server did not start"
  run_in "$NSA" "$WORK/a" "$WORK/1-client.log" env KIT_TRACE=1 "$BIN/02_tcp_client" --host "$IPB"
  wait_line "$WORK/1-server.log" 'arquivo salvo' 5 || fail "lesson 01's server saved nothing"
  stop_capture
  A ss -tan state time-wait >"$OUT/1-tcp-ss.txt"
  stop_servers
  cmp -s "$WORK/a/client_files/client.txt" "$WORK"/b/server_files/* || fail "the saved file differs"
  tcpdump -r "$OUT/1-tcp.pcap" -n -tt 2>/dev/null >"$WORK/1-tcp.txt"
  node scripts/wire-annotate.js tcp "$WORK/1-tcp.txt" "client=$WORK/1-client.log" "server=$WORK/1-server.log" \
    | tee "$OUT/1-tcp.txt"
  say ""
  say "ss -tan state time-wait, in the client's namespace, just after:"
  tee -a "$OUT/1-tcp.txt" <"$OUT/1-tcp-ss.txt"
  rm -f "$WORK"/b/server_files/*
fi

# ---------------------------------------------------------------- 2 rst
if want rst; then
  heading "2. RST: a client sends one byte, then resets; lesson 01's server dies of it"
  capture 2-rst tcp port 8124
  start_server "$WORK/2-server.log" "$BIN/01_tcp_server" --host "$IPB"
  wait_line "$WORK/2-server.log" 'escutando porta' 5 || fail "lesson 01's server did not start"
  # resetAndDestroy(): SO_LINGER 0, then close(2): the kernel sends RST instead of FIN
  # (as when a program closes with unread bytes in its receive buffer).
  run_in "$NSA" "$WORK/a" "$WORK/2-client.log" node -e "const s=require('net').connect(8124,'$IPB',()=>{
    console.log('node client: connected, writes 1 byte');s.write('x');
    setTimeout(()=>{console.log('node client: resetAndDestroy()');s.resetAndDestroy()},100)})"
  status=0
  wait "$SERVER_PID" || status=$?   # a pipeline's status is its last command's: check the log
  stop_capture
  grep -q 'ECONNRESET' "$WORK/2-server.log" || fail "the server did not die of ECONNRESET"
  tcpdump -r "$OUT/2-rst.pcap" -n -tt 2>/dev/null >"$WORK/2-rst.txt"
  node scripts/wire-annotate.js tcp "$WORK/2-rst.txt" "client=$WORK/2-client.log" "server=$WORK/2-server.log" \
    | tee "$OUT/2-rst.txt"
  rm -f "$WORK"/b/server_files/*
fi

# ---------------------------------------------------------------- 3 udp
if want udp; then
  heading "3. UDP: lesson 04's client sends 15 bytes to lesson 03's server, then to a closed port"
  echo "olá, servidor" >"$WORK/a/client_files/client.txt"
  capture 3-udp udp or icmp
  start_server "$WORK/3-server.log" env KIT_TRACE=1 "$BIN/03_udp_server" --host "$IPB"
  wait_line "$WORK/3-server.log" 'aguardando|escutando|listening' 5 || fail "lesson 03's server did not start"
  run_in "$NSA" "$WORK/a" "$WORK/3-client.log" env KIT_TRACE=1 "$BIN/04_udp_client" --host "$IPB"
  wait_line "$WORK/3-server.log" 'arquivo salvo' 5 || fail "lesson 03's server saved nothing"
  sleep 0.2
  # Nobody listens on 8125: the datagram goes out, b's kernel answers with ICMP.
  run_in "$NSA" "$WORK/a" "$WORK/3-closed.log" "$BIN/04_udp_client" --host "$IPB" --port 8125
  sleep 0.2
  # The same with a connect()ed socket (Node's dgram, socket.connect): the ICMP error is
  # now the socket's, and its next receive fails with ECONNREFUSED.
  run_in "$NSA" "$WORK/a" "$WORK/3-connected.log" node -e "const d=require('dgram').createSocket('udp4');
    d.on('error',(e)=>{console.log('connected socket: error',e.code,e.syscall);d.close()});
    d.connect(8125,'$IPB',()=>d.send('x',(e)=>{console.log('connected socket: send callback, error =',e);setTimeout(()=>{try{d.close()}catch{}},500)}))"
  stop_capture
  tcpdump -r "$OUT/3-udp.pcap" -n -tt 2>/dev/null >"$WORK/3-udp.txt"
  node scripts/wire-annotate.js udp "$WORK/3-udp.txt" "client=$WORK/3-client.log" "server=$WORK/3-server.log" \
    "client=$WORK/3-closed.log" "node=$WORK/3-connected.log" | tee "$OUT/3-udp.txt"
  grep -q 'udp port 8125 unreachable' "$WORK/3-udp.txt" || fail "no ICMP port unreachable was captured"
  grep -q 'Arquivo enviado' "$WORK/3-closed.log" || fail "the client to the closed port did not say 'Arquivo enviado'"
  grep -q 'ECONNREFUSED' "$WORK/3-connected.log" || fail "the connected socket did not get ECONNREFUSED"
  stop_servers
  rm -f "$WORK"/b/server_files/*
fi

# ---------------------------------------------------------------- 4 frag
if want frag; then
  heading "4. Fragmentation: one 65,507-byte datagram over MTU 1500"
  head -c 65507 /dev/urandom >"$WORK/a/client_files/client.txt"
  capture 4-frag udp or '(ip[6:2] & 0x1fff != 0)'
  start_server "$WORK/4-server.log" "$BIN/03_udp_server" --host "$IPB"
  wait_line "$WORK/4-server.log" 'aguardando|escutando|listening' 5 || fail "lesson 03's server did not start"
  run_in "$NSA" "$WORK/a" "$WORK/4-client.log" "$BIN/04_udp_client" --host "$IPB"
  wait_line "$WORK/4-server.log" 'arquivo salvo' 5 || fail "lesson 03's server saved nothing"
  stop_capture
  stop_servers
  cmp -s "$WORK/a/client_files/client.txt" "$WORK"/b/server_files/* || fail "the reassembled file differs"
  tcpdump -r "$OUT/4-frag.pcap" -n -tt -v 2>/dev/null >"$WORK/4-frag.txt"
  node scripts/wire-annotate.js frag "$WORK/4-frag.txt" | tee "$OUT/4-frag.txt"
  say "saved by lesson 03's server: $(wc -c <"$WORK"/b/server_files/*) bytes, identical to the file sent (cmp)"
  rm -f "$WORK"/b/server_files/*
fi

# ---------------------------------------------------------------- 5 loss
# loss N: every packet entering either namespace is dropped with probability N/100, at
# the netdev ingress hook of its veth end: before IP reassembly, so one fragment at a
# time, and after tcpdump's tap (a capture there would still show dropped packets:
# the counter rule counts them instead). N=0 removes the rules.
loss() {
  local ns dev
  for side in "$NSA:$VA" "$NSB:$VB"; do
    IFS=: read -r ns dev <<<"$side"
    ip netns exec "$ns" nft delete table netdev kitwire 2>/dev/null || true
    (($1 > 0)) || continue
    ip netns exec "$ns" nft -f - <<EOF
table netdev kitwire {
  chain ingress {
    type filter hook ingress device "$dev" priority 0; policy accept;
    numgen random mod 100 < $1 counter drop
  }
}
EOF
  done
}
dropped() { # packets dropped so far in namespace $1
  ip netns exec "$1" nft list table netdev kitwire 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
snmp() { # snmp NS PROTO FIELD: a counter of /proc/net/snmp in namespace NS
  ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1==p { if (!n) { for (i=2;i<=NF;i++) if ($i==f) c=i; n=1 } else print $c }' /proc/net/snmp
}

if want loss; then
  if ((QUICK)); then RATES="5" SIZE_MIB=1 TRIES=40; else RATES="1 5 20" SIZE_MIB=10 TRIES=200; fi
  # Linux waits at least 200 ms (TCP_RTO_MIN) before it resends an unacknowledged
  # segment, and doubles the wait after each loss of the resent one: at 20 % loss a
  # 10 MiB upload spent 50 s to minutes mostly waiting. This link's round trip is
  # about 50 microseconds, so the route's rto_min is set to 2 ms in both namespaces
  # for the loss runs (the kernel takes it from the route): the same recovery, faster.
  for side in "$NSA:$VA:$IPA" "$NSB:$VB:$IPB"; do
    IFS=: read -r ns dev addr <<<"$side"
    ip netns exec "$ns" ip route replace 10.55.0.0/24 dev "$dev" proto kernel scope link src "$addr" rto_min 2ms
    # And at most 1 s between two tries (default 120 s; Linux 6.15 and later): under
    # 20 % loss both ways, the RTT estimate can swell with old echoed timestamps and
    # push the timer to tens of seconds.
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rto_max_ms=1000 2>/dev/null || true
  done
  heading "5. Loss: nftables drops a random share of the packets in both directions (numgen random)"
  say "(tc netem would do it too, with delay and reordering, but this kernel has no sch_netem;"
  say " TCP's minimum retransmission timeout is 2 ms on this link's route instead of 200 ms)"
  head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$WORK/big.bin"
  head -c 65507 /dev/urandom >"$WORK/dgram.bin"
  tcp_rows=() udp_rows=() plot_args=()
  for p in $RATES; do
    loss "$p"
    # TCP: one upload of SIZE_MIB MiB, lesson 01's server and lesson 02's client.
    cp "$WORK/big.bin" "$WORK/a/client_files/client.txt"
    start_server "$WORK/5-tcp-$p.log" "$BIN/01_tcp_server" --host "$IPB"
    wait_line "$WORK/5-tcp-$p.log" 'escutando porta' 5 || fail "lesson 01's server did not start"
    A nstat -n >/dev/null   # nstat remembers the counters: the next call shows the difference
    t0=$(date +%s%N)
    fg ip netns exec "$NSA" bash -c 'cd "$1" && exec "$2" --host "$3" >/dev/null 2>&1' _ "$WORK/a" "$BIN/02_tcp_client" "$IPB" ||
      fail "lesson 02's client failed at $p % loss"
    wait_line "$WORK/5-tcp-$p.log" 'arquivo salvo' 60 || fail "nothing saved at $p % loss"
    ms=$((($(date +%s%N) - t0) / 1000000))
    retrans=$(A nstat -a TcpRetransSegs 2>/dev/null | awk '/TcpRetransSegs/ {print $2}')
    stop_servers
    if cmp -s "$WORK/big.bin" "$WORK"/b/server_files/*; then same=yes; else same=NO; fi
    [[ $same == yes ]] || fail "TCP delivered a different file at $p % loss"
    rm -f "$WORK"/b/server_files/*
    tcp_rows+=("$(printf '| %3s %% | %6s MiB | %-10s | %7s | %8s ms |' "$p" "$SIZE_MIB" "$same" "${retrans:-0}" "$ms")")

    # UDP: TRIES single 65,507-byte datagrams, one client run each.
    cp "$WORK/dgram.bin" "$WORK/a/client_files/client.txt"
    start_server "$WORK/5-udp-$p.log" "$BIN/03_udp_server" --host "$IPB"
    wait_line "$WORK/5-udp-$p.log" 'aguardando|escutando|listening' 5 || fail "lesson 03's server did not start"
    before=$(snmp "$NSB" Udp InDatagrams) rcvbuf0=$(snmp "$NSB" Udp RcvbufErrors)
    # One shell in a runs the TRIES clients one after another (an `ip netns exec` per
    # try would cost more than the try), 5 ms apart: the server reads each in time.
    fg ip netns exec "$NSA" bash -c 'cd "$1" && for ((i = 0; i < $4; i++)); do
        "$2" --host "$3" >/dev/null 2>&1 || exit 1; sleep 0.005; done' _ "$WORK/a" "$BIN/04_udp_client" "$IPB" "$TRIES" ||
      fail "lesson 04's client failed"
    sleep 0.3
    got=$(($(snmp "$NSB" Udp InDatagrams) - before))
    rcvbuf=$(($(snmp "$NSB" Udp RcvbufErrors) - rcvbuf0))
    ((rcvbuf == 0)) || say "note: $rcvbuf datagrams lost to the server's receive buffer, not to the link"
    stop_servers
    rm -f "$WORK"/b/server_files/*
    plot_args+=("$p:$got:$TRIES")
    udp_rows+=("$(node -e '
      const [p, n, got] = process.argv.slice(1).map(Number);
      const q = Math.pow(1 - p / 100, 45), mean = n * q, sd = Math.sqrt(n * q * (1 - q));
      const z = sd > 0 ? (got - mean) / sd : (got === 0 ? 0 : Infinity);
      const ok = Math.abs(got - mean) <= Math.max(3 * sd, 1) ? "yes" : "NO";
      console.log(`| ${String(p).padStart(3)} % | ${String(n).padStart(5)} | ${String(got).padStart(7)} | ${(100 * got / n).toFixed(1).padStart(6)} % | ${(100 * q).toFixed(1).padStart(7)} % | ${mean.toFixed(1).padStart(6)} +- ${(3 * sd).toFixed(1).padEnd(5)} | ${ok.padEnd(3)} |`);
    ' "$p" "$TRIES" "$got")")
    say "$p % loss: dropped by nftables: $(dropped "$NSB") packets into b, $(dropped "$NSA") into a"
  done
  loss 0
  {
    say ""
    say "TCP, lesson 02 -> lesson 01, both directions lossy (retransmitted: TcpRetransSegs, nstat in a):"
    say "|  loss |       size | byte-exact | retrans |     time    |"
    say "|------:|-----------:|------------|--------:|------------:|"
    printf '%s\n' "${tcp_rows[@]}"
    say ""
    say "UDP, lesson 04 -> lesson 03: one 65,507-byte datagram = 45 fragments; it arrives only if all 45 do."
    say "predicted share (1-p)^45; 'within' = measured count inside the mean +- 3 standard deviations"
    say "(binomial: sd = sqrt(n q (1-q))), or within 1 when that band is narrower than one datagram"
    say "|  loss | tries | arrived | measured | predicted | expected (3 sd)  | within |"
    say "|------:|------:|--------:|---------:|----------:|------------------|--------|"
    printf '%s\n' "${udp_rows[@]}"
    say ""
    say "the same as a plot: share of datagrams that arrived, 0 to 100 %; # measured, | predicted"
    node -e '
      for (const a of process.argv.slice(1)) {
        const [p, got, n] = a.split(":").map(Number);
        const q = Math.pow(1 - p / 100, 45), W = 50;
        const bar = [..."#".repeat(Math.round(W * got / n)).padEnd(W + 1, " ")];
        bar[Math.min(W, Math.round(W * q))] = "|";
        console.log(`${String(p).padStart(4)} % ${bar.join("")} ${(100 * got / n).toFixed(1)} % / ${(100 * q).toFixed(1)} %`);
      }' "${plot_args[@]}"
  } | tee "$OUT/5-loss.txt"
  grep -q '| NO' "$OUT/5-loss.txt" && fail "a measured share is outside the binomial band (see the table)"
fi

# ---------------------------------------------------------------- 6 dup
# nftables' `dup to ADDRESS` (nf_dup_ipv4) clones a packet and routes the clone to
# ADDRESS: in a's output hook, every packet for b leaves twice. The clone is marked so
# that it is not cloned again. (Reordering has no nftables statement; tc netem, which
# does both, is not in this kernel.)
dup_count() { # packets the dup rule saw so far (each original and its copy)
  A nft list chain ip kitdup out | awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}'
}
if want dup; then
  heading "6. Duplication: nftables sends b a second copy of every packet from a (dup to)"
  A nft add table ip kitdup
  A nft add chain ip kitdup out '{ type filter hook output priority 0; }'
  A nft add rule ip kitdup out ip daddr "$IPB" counter dup to "$IPB"
  # UDP: one datagram sent, two received: each is a message of its own.
  echo "uma vez só" >"$WORK/a/client_files/client.txt"
  start_server "$WORK/6-udp.log" "$BIN/03_udp_server" --host "$IPB"
  wait_line "$WORK/6-udp.log" 'aguardando|escutando|listening' 5 || fail "lesson 03's server did not start"
  run_in "$NSA" "$WORK/a" "$WORK/6-udp-client.log" "$BIN/04_udp_client" --host "$IPB"
  sleep 0.5
  stop_servers
  got=$(grep -c 'arquivo salvo' "$WORK/6-udp.log" || true)
  say "UDP: lesson 04's client sent 1 datagram ($(grep -c 'Arquivo enviado' "$WORK/6-udp-client.log" || true) 'Arquivo enviado' line);"
  say "     lesson 03's server received and saved $got ('arquivo salvo' lines): UDP has no sequence"
  say "     numbers, so a duplicate is a new message, and the program must cope with it itself"
  ((got == 2)) || fail "lesson 03's server saved $got datagrams, expected 2"
  rm -f "$WORK"/b/server_files/*
  # TCP: the whole upload doubled on the wire, the file saved once, byte-exact.
  head -c $((QUICK ? 1048576 : 4194304)) /dev/urandom >"$WORK/a/client_files/client.txt"
  start_server "$WORK/6-tcp.log" "$BIN/01_tcp_server" --host "$IPB"
  wait_line "$WORK/6-tcp.log" 'escutando porta' 5 || fail "lesson 01's server did not start"
  B nstat -n >/dev/null   # nstat remembers the counters: the next call shows the difference
  before=$(dup_count)
  fg ip netns exec "$NSA" bash -c 'cd "$1" && exec "$2" --host "$3" >/dev/null 2>&1' _ "$WORK/a" "$BIN/02_tcp_client" "$IPB" ||
    fail "lesson 02's client failed with duplicated packets"
  wait_line "$WORK/6-tcp.log" 'arquivo salvo' 30 || fail "nothing saved with duplicated packets"
  stop_servers
  dsack=$(B nstat -a TcpExtTCPDSACKOldSent 2>/dev/null | awk '/TCPDSACKOldSent/ {print $2}')
  # The rule's counter sees each packet and its copy: half of it is what TCP sent.
  sent=$((($(dup_count) - before) / 2))
  files=$(find "$WORK/b/server_files" -type f | wc -l)
  cmp -s "$WORK/a/client_files/client.txt" "$WORK"/b/server_files/* && same=yes || same=NO
  say "TCP: a sent $sent packets to b, and b got each twice; lesson 01 saved $files file, byte-exact: $same;"
  say "     b's TCP answered ${dsack:-0} duplicate segments with a D-SACK (TcpExtTCPDSACKOldSent):"
  say "     the sequence numbers say the bytes are already in, and the program never sees them"
  [[ $same == yes && $files == 1 ]] || fail "TCP did not deliver the file once, byte-exact, with duplicated packets"
  A nft delete table ip kitdup
  rm -f "$WORK"/b/server_files/*
fi

say ""
say "pcap files for Wireshark: $(cd "$OUT" && ls -1 ./*.pcap 2>/dev/null | sed 's|^\./||' | tr '\n' ' ')in ${OUT#"$ROOT"/}/"
say "wire: done; namespaces, veth and nft tables removed"
