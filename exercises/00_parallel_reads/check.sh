#!/usr/bin/env bash
# check.sh -- exercise 00_parallel_reads: every file is read at once, on the thread pool.
#
#   bash exercises/00_parallel_reads/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=00_parallel_reads)
#
# Runs the program twice in a temporary directory, with names and sizes drawn at random
# on every run (a program that prints expected lines without reading cannot know them):
#   1. 4 to 6 regular files (0 to 200,000 random bytes each) and one FIFO (mkfifo),
#      placed neither first nor last. The FIFO is written only after every regular
#      file's line has appeared: a program that reads one file after the other waits
#      behind the FIFO for ever and fails here. Then each file's line must be there
#      once, "<name>: <n> bytes" with its real size, the FIFO's too, and last
#      "total: <N> bytes in <K> files"; exit status 0.
#   2. 3 regular files and, between them, a name that does not exist: its Node-style
#      ENOENT error on stderr, the 3 others' lines, a total of those 3 only, status 1.
source "$(dirname "$0")/../lib.sh"
ex_init 00_parallel_reads "$@"

rand_name() { printf '%s%04x%04x.%s' "$1" $RANDOM $RANDOM "$2"; }
size_of() { stat -c %s "$1"; }

# ---------------------------------------------------------------- 1. a FIFO among files
n=$((4 + RANDOM % 3))
regular=()
for ((i = 0; i < n; i++)); do
  f=$(rand_name arq bin)
  head -c $((RANDOM * 6 + RANDOM % 7)) /dev/urandom > "$f"
  regular+=("$f")
done
fifo=$(rand_name fila fifo)
mkfifo "$fifo" || ex_setup_error "mkfifo failed"
pos=$((1 + RANDOM % (n - 1)))   # 1..n-1: never first, never last
args=("${regular[@]:0:pos}" "$fifo" "${regular[@]:pos}")

ex_start run1 "$EX_BIN" "${args[@]}"
RUN1=$EX_LAST_PID
for f in "${regular[@]}"; do
  ex_wait_line run1 "$RUN1" "$f: $(size_of "$f") bytes" 4 || {
    ex_alive "$RUN1" && ex_fail "'$f: $(size_of "$f") bytes' did not appear within 4 s while the FIFO '$fifo' (argument $((pos + 1)) of $((n + 1))) waited for a writer: are the reads started all at once, or one after the other?"
    ex_fail "'$f: $(size_of "$f") bytes' is missing (the program ended with the FIFO never written)"
  }
done
grep -q '^total:' "$EX_TMP/run1.out" && ex_fail "the total was printed before the FIFO had been read"

# Now feed the FIFO (opening it for writing blocks until the program has it open for
# reading, which it must, since its read was started with the others).
fifo_size=$((1 + RANDOM % 60000))
head -c "$fifo_size" /dev/urandom > fifo.content
timeout 5 dd if=fifo.content of="$fifo" bs=65536 status=none ||
  ex_fail "could not write the FIFO within 5 s: the program never opened it"
ex_wait_exit "$RUN1" 5 || ex_fail "the program did not end within 5 s after the FIFO was written"
[[ $EX_STATUS == 0 ]] || ex_fail "every file was readable, yet the exit status is $EX_STATUS (expected 0)"

total=$fifo_size
for f in "${regular[@]}"; do
  [[ $(ex_count_lines run1 "$f: $(size_of "$f") bytes") == 1 ]] || ex_fail "'$f: $(size_of "$f") bytes' should be printed exactly once"
  total=$((total + $(size_of "$f")))
done
[[ $(ex_count_lines run1 "$fifo: $fifo_size bytes") == 1 ]] ||
  ex_fail "expected '$fifo: $fifo_size bytes' once (the bytes written into the FIFO)"
want_total="total: $total bytes in $((n + 1)) files"
[[ $(tail -n 1 "$EX_TMP/run1.out") == "$want_total" ]] ||
  ex_fail "the last line should be '$want_total', got '$(tail -n 1 "$EX_TMP/run1.out")'"
(( $(wc -l < "$EX_TMP/run1.out") == n + 2 )) || ex_fail "expected $((n + 2)) lines on stdout (one per file and the total)"

# ---------------------------------------------------------------- 2. a missing file
rm -f "${regular[@]}" "$fifo"
three=()
for ((i = 0; i < 3; i++)); do
  f=$(rand_name doc txt)
  head -c $((RANDOM * 3)) /dev/urandom > "$f"
  three+=("$f")
done
missing=$(rand_name sumido txt)
ex_start run2 "$EX_BIN" "${three[0]}" "$missing" "${three[1]}" "${three[2]}"
ex_wait_exit "$EX_LAST_PID" 5 || ex_fail "with a missing file, the program did not end within 5 s"
[[ $EX_STATUS == 1 ]] || ex_fail "with a missing file the exit status should be 1, got $EX_STATUS"
grep -qF "ENOENT: no such file or directory, open '$missing'" "$EX_TMP/run2.err" ||
  ex_fail "stderr should carry Node's error for the missing file: ENOENT: no such file or directory, open '$missing'"
total=0
for f in "${three[@]}"; do
  [[ $(ex_count_lines run2 "$f: $(size_of "$f") bytes") == 1 ]] ||
    ex_fail "after a missing file the others must still be read: '$f: $(size_of "$f") bytes' is missing"
  total=$((total + $(size_of "$f")))
done
[[ $(tail -n 1 "$EX_TMP/run2.out") == "total: $total bytes in 3 files" ]] ||
  ex_fail "the last line should be 'total: $total bytes in 3 files' (the missing file is not counted), got '$(tail -n 1 "$EX_TMP/run2.out")'"

ex_pass "$((n + 1)) files read at once (the FIFO did not hold the others), a missing one reported"
