# exercises/pcapcheck.sh -- sourced by lesson 05's check scripts (05_pcap_*), after
# lib.sh's ex_init. Not run by itself.
#
# ex_pcap_check MODE: write capture files with exercises/pcapgen.js MODE (three random
# seeds and one fixed seed), run the exercise's program (EX_BIN FILE.pcap) on each, and
# compare its stdout with what pcapgen.js says a correct decoder prints. A program
# that prints nothing, or the same lines whatever the file holds, cannot pass: every
# seed gives other addresses, ports, sizes and orders.
ex_pcap_check() {
  local mode=$1 seed n=0
  for seed in $((RANDOM * 32768 + RANDOM)) $((RANDOM * 32768 + RANDOM)) $((RANDOM * 32768 + RANDOM)) 20261207; do
    n=$((n + 1))
    node "$EX_ROOT/exercises/pcapgen.js" "$mode" "$seed" "$EX_TMP/cap$n.pcap" >"$EX_TMP/want$n.txt" ||
      ex_setup_error "pcapgen.js failed for seed $seed"
    ex_start "run$n" "$EX_BIN" "$EX_TMP/cap$n.pcap"
    ex_wait_exit "$EX_LAST_PID" 10 || ex_fail "the program did not end within 10 s on cap$n.pcap"
    [[ $EX_STATUS == 0 ]] || ex_fail "the program exited with status $EX_STATUS on cap$n.pcap"
    if ! diff -u "$EX_TMP/want$n.txt" "$EX_TMP/run$n.out" >"$EX_TMP/diff$n.txt"; then
      echo "---- expected (seed $seed: node exercises/pcapgen.js $mode $seed FILE.pcap) vs yours ----"
      head -n 30 "$EX_TMP/diff$n.txt" | cut -c1-200
      ex_fail "wrong lines for capture $n (seed $seed); see the diff above"
    fi
  done
  ex_pass "4 captures (seeds varied), every line right"
}
