#!/usr/bin/env bash
# bench.sh: `make bench`. Every number is a ratio against a peer run side by side in
# the same run (the lessons against our Node twins), never a timed test.
#   BENCH_TCP_SIZES  MiB per upload, comma-separated (default 1,16,256)
#   BENCH_ROUNDS     rounds per size (default 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== TCP: lessons 01+02 vs server.js+client.js =="
node bench/tcp.js --sizes "${BENCH_TCP_SIZES:-1,16,256}" --rounds "${BENCH_ROUNDS:-3}"
echo
echo "== UDP: lesson 03 vs server.js, same sender =="
bash bench/udp.sh
