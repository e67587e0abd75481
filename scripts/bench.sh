#!/usr/bin/env bash
# bench.sh: `make bench`. Every number is a ratio against a peer run side by side in
# the same run (the C++ lessons against our Node programs and against the design
# floor, alternating), plus iperf3 on loopback moving the same bytes as the ceiling;
# never a timed test. The method and a reference run: docs/performance.md.
#
#   1. TCP upload (lessons 01+02 vs the design floor bench/floor_*.c vs
#      server.js+client.js): time (min, median, p90, max) and server peak RSS per
#      size                                                      bench/tcp.js
#   2. a 16-byte slice kept from a long stream: server peak RSS, C++ vs Node
#                                                                bench/retain.js
#   3. N clients at once against lesson 01 and server.js, one load generator
#                                                                bench/concurrency.js
#   4. UDP datagrams per second (lesson 03 vs server.js)         bench/udp-bench.js
#   5. 1,000,000 equal timers created, fired and closed (the kit vs Node)
#                                                                bench/timers-bench.js
#   6. the tables on stdout and in $BENCH_OUT/report.md, the medians as gnuplot data
#      and PNG plots in $BENCH_OUT                               bench/report.js
#
# Knobs (environment):
#   BENCH_ROUNDS       rounds of every measure (default 10; min, median, p90 and max
#                      are reported)
#   BENCH_TCP_SIZES    MiB per upload, comma-separated (default 1,16,256,1024)
#   BENCH_ROUNDS_1G    rounds for sizes of 1024 MiB and more (default BENCH_ROUNDS: one
#                      1 GiB round takes about 12 s and 5 GiB of RAM)
#   BENCH_RETAIN_MIB   MiB streamed past the retained slice (default 768)
#   BENCH_RETAIN_ROUNDS rounds of the retained-slice measure (default 3)
#   BENCH_AB_SERVER    another build of lesson 01's server, run in every TCP round
#                      beside the others (a same-run A/B; see docs/performance.md)
#   BENCH_AB_CLIENT    the same for lesson 02's client (with BENCH_AB_SERVER: an A/B
#                      of the whole pair)
#   BENCH_PERF_STAT    1: run each TCP client under `perf stat` and keep its context
#                      switches, CPU time, page faults and system calls in tcp.json
#   BENCH_CONC_LEVELS  clients at once (default 1,10,100,1000)
#   BENCH_CONC_KIB     upload of each of those clients, KiB (default 64)
#   BENCH_UDP_COUNT    datagrams per UDP run (default 20000)
#   BENCH_UDP_SIZE     bytes per datagram (default 64)
#   BENCH_UDP_RUNS     UDP rounds (default BENCH_ROUNDS; one round takes about 4 s)
#   BENCH_TIMERS       timers in the timer row (default 1000000)
#   BENCH_TFTP_MIB     MiB per TFTP get/put, lesson 07 vs in.tftpd (default 32: 256, as
#                      issue 17 names, takes many minutes at lock-step 512-byte blocks; the
#                      table goes to $BENCH_OUT/tftp.md, bench/tftp-bench.js)
#   BENCH_TFTP_ROUNDS  rounds of each TFTP setting (default 1)
#   BENCH_C10K_N       lesson 08, C10K: idle connections, comma-separated, "max" = the hard
#                      RLIMIT_NOFILE less 100 (default 10,100,1000,3000,10000,max; bench/c10k.js)
#   BENCH_C10K_ROUNDS  round trips per C10K run (default 2000; fewer if BENCH_C10K_MAX_SECONDS,
#                      default 5, runs out: poll(2) at 20,000 takes milliseconds each)
#   BENCH_C10K_REPS    repetitions of every C10K run (default 5)
#   BENCH_C10K_CPU     the CPU both C10K programs are pinned to (default the last; none: unpinned)
#   BENCH_UPLOAD_SIZES MiB per lesson 06 upload (default 16,256,1024,4096; the 4 GiB size needs
#                      8 GiB free on BENCH_TMP; bench/upload-bench.js)
#   BENCH_UPLOAD_ROUNDS rounds of each lesson 06 column (default 3; 1 from 1024 MiB up,
#                      BENCH_UPLOAD_BIG_ROUNDS)
#   BENCH_UPLOAD_PERF  1: attach `perf record` to lesson 06's servers at the largest size
#   BENCH_UPLOAD_KINDS lesson 06 columns (default framed,raw,node,floor,iperf3; add
#                      splice,sendfile,zerocopy for the floor without user-space copies)
#   BENCH_NOFILE       soft RLIMIT_NOFILE wanted (default 4096; raised up to the hard
#                      limit; concurrency levels that do not fit are skipped)
#   BENCH_OUT          where the report, data and plots go (default build/bench)
#   BENCH_TMP          where the servers write (default /dev/shm, a tmpfs)
#   BENCH_COMMIT       the commit to name in the report when this tree is not a git
#                      checkout (e.g. `git archive HEAD | tar -x -C DIR`)
#   BENCH_QUICK=1      a quick check that everything works (about 20 s): sizes 1,16,
#                      1 round, 5,000 datagrams, 64 MiB past the retained slice;
#                      explicit knobs still win
#                      (C10K: N = 100 and 1,000, 500 round trips, 1 repetition: about 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  : "${BENCH_ROUNDS:=1}" "${BENCH_TCP_SIZES:=1,16}" "${BENCH_UDP_COUNT:=5000}" "${BENCH_UDP_RUNS:=1}" "${BENCH_TFTP_MIB:=8}" "${BENCH_TFTP_ROUNDS:=1}"
  : "${BENCH_UPLOAD_SIZES:=4,16}" "${BENCH_UPLOAD_ROUNDS:=1}"
  : "${BENCH_RETAIN_MIB:=64}" "${BENCH_RETAIN_ROUNDS:=1}" "${BENCH_TIMERS:=100000}"
  : "${BENCH_C10K_N:=100,1000}" "${BENCH_C10K_ROUNDS:=500}" "${BENCH_C10K_REPS:=1}"
fi
ROUNDS=${BENCH_ROUNDS:-10}
ROUNDS_1G=${BENCH_ROUNDS_1G:-$ROUNDS}
OUT=${BENCH_OUT:-build/bench}

# iperf3 (the ceiling) and gnuplot (the plots), installed if missing.
bash scripts/deps.sh bench

for bin in lessons/01_tcp_server lessons/02_tcp_client lessons/03_udp_server \
           bench-bin/floor_server bench-bin/floor_client bench-bin/retain_slice bench-bin/timers_close \
           bench-bin/timers_close_notrace; do
  if [[ ! -x build/$bin ]]; then
    echo "bench: build/$bin is missing; run make bench-bins (or make bench)" >&2
    exit 1
  fi
done

# 1,000 clients need about 1,000 descriptors in the generator and as many in the
# server (which inherits this limit); the default soft limit is often 1024.
want=${BENCH_NOFILE:-4096}
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [[ $soft != unlimited ]] && (( soft < want )); then
  if [[ $hard == unlimited ]] || (( hard >= want )); then ulimit -Sn "$want"
  else
    ulimit -Sn "$hard"
    echo "bench: the hard RLIMIT_NOFILE is $hard (< $want): larger concurrency levels will be skipped"
  fi
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.dat "$OUT"/*.png "$OUT"/report.md
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== 1/5 TCP upload: lessons 01+02 vs the design floor vs server.js+client.js, iperf3 as the ceiling =="
node bench/tcp.js --sizes "${BENCH_TCP_SIZES:-1,16,256,1024}" --rounds "$ROUNDS" \
  --big-rounds "$ROUNDS_1G" --out "$OUT/tcp.json"
echo
echo "== 2/5 a 16-byte slice kept from a long stream: server peak RSS, C++ vs Node =="
node bench/retain.js --mib "${BENCH_RETAIN_MIB:-768}" --rounds "${BENCH_RETAIN_ROUNDS:-3}" --out "$OUT/retain.json"
echo
echo "== 3/5 concurrency: N clients at once, lesson 01 vs server.js, one load generator (ulimit -n $(ulimit -Sn)) =="
node bench/concurrency.js --levels "${BENCH_CONC_LEVELS:-1,10,100,1000}" --kib "${BENCH_CONC_KIB:-64}" \
  --rounds "$ROUNDS" --out "$OUT/concurrency.json"
echo
echo "== 4/5 UDP: lesson 03 vs server.js, same sender, iperf3 as the ceiling =="
node bench/udp-bench.js "${BENCH_UDP_COUNT:-20000}" "${BENCH_UDP_SIZE:-64}" "${BENCH_UDP_RUNS:-$ROUNDS}" --out "$OUT/udp.json"
echo
echo "== 5/5 timers: ${BENCH_TIMERS:-1000000} equal timeouts created, fired and closed, the kit vs Node =="
node bench/timers-bench.js --count "${BENCH_TIMERS:-1000000}" --rounds "$ROUNDS" --out "$OUT/timers.json"
echo
echo "== lesson 07, TFTP: ${BENCH_TFTP_MIB:-32} MiB get and put, the kit's server vs in.tftpd, same client =="
node bench/tftp-bench.js --mib "${BENCH_TFTP_MIB:-32}" --rounds "${BENCH_TFTP_ROUNDS:-1}" --out "$OUT/tftp.md"
echo
echo "== lesson 08, C10K: N idle connections and one active, the kit on poll and epoll vs Node =="
node bench/c10k.js --n "${BENCH_C10K_N:-10,100,1000,3000,10000,max}" --rounds "${BENCH_C10K_ROUNDS:-2000}" \
  --reps "${BENCH_C10K_REPS:-5}" --out "$OUT/c10k.json"
echo
echo "== lesson 06 upload: framed, raw, Node twin, floor, iperf3 (${BENCH_UPLOAD_SIZES:-16,256,1024,4096} MiB, fsync off) =="
node bench/upload-bench.js --sizes "${BENCH_UPLOAD_SIZES:-16,256,1024,4096}" --rounds "${BENCH_UPLOAD_ROUNDS:-3}" \
  --big-rounds "${BENCH_UPLOAD_BIG_ROUNDS:-1}" --kinds "${BENCH_UPLOAD_KINDS:-framed,raw,node,floor,iperf3}" \
  --out "$OUT/upload.json"
echo
BENCH_SECONDS=$((SECONDS - start)) BENCH_LOAD_START=$load_start node bench/report.js --dir "$OUT"
