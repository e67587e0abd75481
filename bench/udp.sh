#!/usr/bin/env bash
# udp.sh -- datagrams per second received and saved by lesson 03: the C++ server beside
# our Node server, with the same sender, and iperf3 -u as the ceiling. See
# bench/udp-bench.js for what is measured.
#
#   bash bench/udp.sh [COUNT [SIZE [RUNS]]]     (defaults 20000 64 3; needs `make`)
#
# Run from anywhere; the programs must be built (make) and node installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x build/lessons/03_udp_server ]]; then
  echo "bench/udp.sh: build/lessons/03_udp_server is missing; run make first" >&2
  exit 1
fi
exec node bench/udp-bench.js "$@"
