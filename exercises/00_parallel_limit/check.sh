#!/usr/bin/env bash
# check.sh -- exercise 00_parallel_limit: copy N files with at most K copies in flight.
#
#   bash exercises/00_parallel_limit/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=00_parallel_limit)
#
# Runs `parallel_copy --jobs K out/ src/*` for K = 2 and K = 3, in random order, with
# K+2 or K+3 sources of random names. The sources are FIFOs (mkfifo): reading one
# blocks a pool thread until the check writes it, so the check can see how many copies
# are in flight. A probe (node) tries to open every FIFO for writing without blocking:
# open(O_WRONLY|O_NONBLOCK) fails with ENXIO while nobody has it open for reading, and
# succeeds once the program has started reading it. Once K of them (or all that are
# left, if fewer) have held open for 0.15 s, the probe feeds one (random bytes, then
# EOF) and watches again, until all are fed. It passes when
#   - never more than K FIFOs are open at once (the pool has 4 threads, so K <= 3 tells
#     an unlimited program apart), and never fewer than K for 1.5 s while K or more are
#     left (the copies must run side by side);
#   - every copy in out/ is byte-exact, each file has its "<src>: <n> bytes copied"
#     line, "copied N files, 0 failed" is the last line and the status is 0.
source "$(dirname "$0")/../lib.sh"
ex_init 00_parallel_limit "$@"

cat > probe.js <<'JS'
// probe.js SRC_DIR EXPECTED_DIR K: feed the FIFOs of SRC_DIR one by one with the bytes
// of EXPECTED_DIR/<same name>, counting how many have a reader at once. Prints JSON.
const fs = require('fs');
const path = require('path');
const [dir, exp, k] = process.argv.slice(2);
const K = Number(k);
const names = fs.readdirSync(dir);
const open = new Map();   // FIFOs that have a reader, not fed yet: name -> our fd
const done = new Set();
const samples = [];
let peak = 0, count = -1, since = Date.now();
function finish(extra) {
  console.log(JSON.stringify({ peak, samples, fed: done.size, of: names.length, ...extra }));
  process.exit(0);
}
function feed(name, fd) {
  const data = fs.readFileSync(path.join(exp, name));
  let off = 0;
  while (off < data.length) {
    try { off += fs.writeSync(fd, data, off); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); }
  }
  fs.closeSync(fd);  // EOF for the reader
}
function probe() {
  for (const n of names) {
    if (done.has(n) || open.has(n)) continue;
    try {
      open.set(n, fs.openSync(path.join(dir, n), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch (e) {
      if (e.code !== 'ENXIO') throw e;   // ENXIO: no reader yet
    }
  }
  peak = Math.max(peak, open.size);
  if (open.size > K) return finish({ over: open.size });
  if (open.size !== count) { count = open.size; since = Date.now(); }
  if (done.size === names.length) return finish({});
  // As many as there should be (K, or all that are left): feed one once the count has
  // held for 150 ms. Fewer for 1.5 s (a slow machine gets that long): too few at once.
  const expected = Math.min(K, names.length - done.size);
  const steady = Date.now() - since;
  if (open.size === expected && steady >= 150) {
    samples.push(open.size);
    const [name, fd] = open.entries().next().value;
    open.delete(name);
    done.add(name);
    feed(name, fd);
    count = -1;
  } else if (open.size < expected && steady >= (peak === 0 ? 5000 : 1500)) {  // a slow start: 5 s
    return finish({ short: open.size, expected });
  }
  setTimeout(probe, 20);
}
probe();
JS

rand_name() { printf '%s%04x%04x.%s' "$1" $RANDOM $RANDOM "$2"; }

run_with() {
  local k=$1 n=$(($1 + 2 + RANDOM % 2)) i name
  local src=src$k exp=exp$k out=out$k
  mkdir -p "$src" "$exp" "$out"
  for ((i = 0; i < n; i++)); do
    name=$(rand_name arq dat)
    mkfifo "$src/$name" || ex_setup_error "mkfifo failed"
    head -c $((1 + RANDOM % 60000)) /dev/urandom > "$exp/$name"
  done
  ex_start "copy$k" env UV_THREADPOOL_SIZE=4 "$EX_BIN" --jobs "$k" "$out" $(ls -1 "$src" | shuf | sed "s|^|$src/|")
  local prog=$EX_LAST_PID
  ex_start "probe$k" node probe.js "$src" "$exp" "$k"
  ex_wait_exit "$EX_LAST_PID" 30 || ex_fail "--jobs $k: the probe did not finish within 30 s"
  local result
  result=$(tail -n 1 "$EX_TMP/probe$k.out")
  local peak=${result#*\"peak\":}; peak=${peak%%,*}
  [[ $peak =~ ^[0-9]+$ ]] || ex_fail "--jobs $k: the probe failed: $(head -c 300 "$EX_TMP/probe$k.err")"
  case $result in
    *'"over":'*)
      ex_fail "--jobs $k: $peak sources were being read at the same time, more than K = $k ($result)" ;;
    *'"short":0,'*)
      ex_fail "--jobs $k: for seconds no source was open for reading while files were left ($result): does the program copy at all, and start the next copy when one ends?" ;;
    *'"short":'*)
      local short=${result#*\"short\":}
      ex_fail "--jobs $k: only ${short%%,*} source(s) read at the same time for 1.5 s while more were waiting; expected $k side by side ($result)" ;;
  esac
  (( peak == k )) || ex_fail "--jobs $k: never more than $peak source(s) read at the same time, expected $k ($result)"
  ex_wait_exit "$prog" 5 || ex_fail "--jobs $k: the program did not end within 5 s after the last source was fed"
  [[ $EX_STATUS == 0 ]] || ex_fail "--jobs $k: exit status $EX_STATUS, expected 0"
  for name in $(ls -1 "$exp"); do
    cmp -s "$exp/$name" "$out/$name" || ex_fail "--jobs $k: $out/$name is missing or differs from what was written into $src/$name"
    [[ $(ex_count_lines "copy$k" "$src/$name: $(stat -c %s "$exp/$name") bytes copied") == 1 ]] ||
      ex_fail "--jobs $k: expected the line '$src/$name: $(stat -c %s "$exp/$name") bytes copied' once"
  done
  [[ $(tail -n 1 "$EX_TMP/copy$k.out") == "copied $n files, 0 failed" ]] ||
    ex_fail "--jobs $k: the last line should be 'copied $n files, 0 failed', got '$(tail -n 1 "$EX_TMP/copy$k.out")'"
  PEAKS+="K=$k: $peak of $n at once; "
}

PEAKS=""
if (( RANDOM % 2 )); then run_with 2; run_with 3; else run_with 3; run_with 2; fi
ex_pass "${PEAKS%; }, copies byte-exact"
