# mk/bench.mk -- `make bench` (project issue 7, item 4), included at the end of the
# Makefile (`-include mk/bench.mk`), which defines `bench` (deps, the lesson binaries,
# then scripts/bench.sh). This file adds the bench's own programs (issues 20 and 21),
# built into build/bench-bin/ before the run:
#   floor_server, floor_client   the design floor: lessons 01/02's design in plain C,
#                                no kit code (bench/floor_*.c)
#   floor_upload_server          lesson 06's floor: socket to file in 64 KiB pieces
#   retain_slice                 a kit server that keeps a 16-byte slice of a long
#                                stream (bench/retain_slice.cpp; Node twin .js)
#   timers_close                 1,000,000 timers created, fired and closed
#                                (bench/timers_close.cpp; Node twin .js)
# The rest of the bench is Node scripts (bench/*.js) and gnuplot (bench/plots.gp).
# Report, data and plots go to build/bench/.
#
#   make bench                    the full run (10 rounds), about 10 minutes on 2 cores
#   make bench-quick              a quick check that every part works (about 20 s)
#   make bench BENCH_ROUNDS=5     knobs are environment variables, listed in
#                                 scripts/bench.sh; make passes command-line
#                                 variables to the environment of its recipes

BENCH_BIN  := $(BUILD)/bench-bin
BENCH_BINS := $(BENCH_BIN)/floor_server $(BENCH_BIN)/floor_client $(BENCH_BIN)/retain_slice \
              $(BENCH_BIN)/timers_close
# lesson 06's floor (issue 16): 64 KiB pieces from the socket to a file, nothing else
BENCH_BINS += $(BENCH_BIN)/floor_upload_server
BENCH_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror

.PHONY: bench-quick bench-bins
bench bench-quick: bench-bins
bench-bins: bench-build
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) $(BENCH_BINS)

$(BENCH_BIN)/floor_%: bench/floor_%.c
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $<

# The bench's programs on the kit: a server keeping a 16-byte slice of a long stream
# (issue 20, item 5), and 1,000,000 timers created, fired and closed (issue 20, item 4).
$(BENCH_BIN)/retain_slice $(BENCH_BIN)/timers_close: $(BENCH_BIN)/%: $(BUILD)/obj/bench/%.o $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

-include $(BUILD)/obj/bench/retain_slice.d $(BUILD)/obj/bench/timers_close.d

bench-quick:
	$(Q)BENCH_QUICK=1 bash scripts/bench.sh
