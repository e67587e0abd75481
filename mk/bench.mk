# mk/bench.mk -- `make bench` (project issue 7, item 4), included at the end of the
# Makefile (`-include mk/bench.mk`), which defines `bench` (deps, the lesson binaries, then scripts/bench.sh).
# The bench is Node scripts (bench/*.js) and gnuplot (bench/plots.gp): nothing to
# build beyond the lessons. Report, data and plots go to build/bench/.
#
#   make bench                    the full run, about 3 minutes on 2 cores
#   make bench-quick              a quick check that every part works (about 30 s)
#   make bench BENCH_ROUNDS=5     knobs are environment variables, listed in
#                                 scripts/bench.sh; make passes command-line
#                                 variables to the environment of its recipes

.PHONY: bench-quick
bench-quick: bench-build
	$(Q)BENCH_QUICK=1 bash scripts/bench.sh

# The timer row's C++ side (bench/timers-bench.js runs it beside bench/timers_close.js).
BENCH_BINS := $(BUILD)/bench/timers_close

$(BUILD)/bench/timers_close: bench/timers_close.cpp $(LIB) $(FLAGS_STAMP)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(LINK) $(INCLUDES) $(CPPFLAGS) $< $(LIB) $(LIBS) -o $@
