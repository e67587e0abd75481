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
#   c10k_server, c10k_client     C10K (issue 18, item 3): a kit echo server holding N
#                                idle connections (bench/c10k_server.cpp; Node twin .js)
#                                and the C load generator (bench/c10k_client.c)
#   timers_close_notrace         the same on the kit built with -DKIT_TRACE_COMPILED_OUT
#                                (every trace point compiled away, objects in
#                                build/bench-notrace/): the timer row's peer for the
#                                trace's cost when off (issue 19)
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
              $(BENCH_BIN)/timers_close $(BENCH_BIN)/timers_close_notrace
BENCH_BINS += $(BENCH_BIN)/c10k_server $(BENCH_BIN)/c10k_client
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

# C10K (issue 18, item 3): the kit's echo server, and the load generator in plain C
# (it holds up to ~20,000 connections; a Node generator would cost more than the
# servers it measures).
$(BENCH_BIN)/c10k_server: $(BUILD)/obj/bench/c10k_server.o $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

$(BENCH_BIN)/c10k_client: bench/c10k_client.c
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(BENCH_CFLAGS) -D_GNU_SOURCE -o $@ $< -lm

-include $(BUILD)/obj/bench/c10k_server.d

bench-quick:
	$(Q)BENCH_QUICK=1 bash scripts/bench.sh

# The kit with its trace compiled out (posix_impl/trace.hpp, KIT_TRACE_COMPILED_OUT),
# for timers_close_notrace only: the library's sources and the program, compiled once
# more with the define, linked as objects (no second libposix_impl.a).
NOTRACE_DIR  := $(BUILD)/bench-notrace
NOTRACE_OBJS := $(LIB_SRCS:%.cpp=$(NOTRACE_DIR)/%.o) $(NOTRACE_DIR)/bench/timers_close.o

$(NOTRACE_DIR)/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,CXX,$< (trace compiled out))
	$(Q)$(COMPILE) -DKIT_TRACE_COMPILED_OUT -c $< -o $@

$(BENCH_BIN)/timers_close_notrace: $(NOTRACE_OBJS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(LINK) -o $@ $(filter %.o,$^) $(LIBS) $(LDLIBS)

-include $(NOTRACE_OBJS:.o=.d)

