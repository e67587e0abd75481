# mk/check.mk -- `make check` and `make fuzz` (project issue 7, items 2 and 3).
# Included at the end of the Makefile, whose variables it uses (BUILD, ASAN_DIR,
# ASAN_COMPILE, LIB_SRCS, LESSONS, write_stamp, msg, Q...).
#
#   make check           everything below, in this order; stops at the first failure:
#     check-asan           the unit tests under ASan+UBSan (with each poller: poll,
#                          then KIT_POLLER=epoll); the lessons built with
#                          ASan+UBSan (build/asan/lessons/NN_name, and the raw twins
#                          NN_name_raw, NN_name_blocking) run by the integration tests
#                          and by byte-exact TCP/UDP transfers
#     check-tsan           the unit tests of the thread pool, the loop and fs under
#                          ThreadSanitizer (build/tsan/tests/unit_tests, clang++)
#     check-valgrind       TCP 01<-02 and UDP 03<-04 transfers under valgrind memcheck
#                          (the main.cpp programs and their raw.cpp twins)
#     check-fuzz           the fuzz targets replay fuzz/regressions/ and fuzz/corpus/
#     check-lint           clang-tidy (.clang-tidy) and cppcheck on posix_impl/ and on
#                          the raw twins (lessons/NN_name/raw.cpp, blocking.cpp)
#   make fuzz            each fuzz target for FUZZ_SECONDS (20) seconds; FUZZ_MERGE=1
#                        also merges new inputs into fuzz/corpus/<target>/
#   make check-analyzer  clang-tidy with clang-analyzer-* on posix_impl/ (slow, see below)
#
# Builds happen first, one compiler per core (check and check-build are among the
# Makefile's PARALLEL_GOALS); the checks then run one after another in one recipe,
# because the network and timing tests should not compete with each other for the CPU.
#
# Options: TSAN_CXX (clang++), FUZZ_CXX (clang++), TSAN_TAGS, FUZZ_SECONDS, FUZZ_MERGE,
# CLANG_TIDY (clang-tidy), CPPCHECK (cppcheck).

CHECK_DIR := $(BUILD)/check
TSAN_DIR  := $(BUILD)/tsan
FUZZ_DIR  := $(BUILD)/fuzz

.PHONY: check-deps check check-build check-asan check-tsan check-valgrind check-fuzz check-lint \
        check-tidy check-cppcheck check-analyzer fuzz

# ---------------------------------------------------------------- ASan+UBSan lessons
# The same compiler and flags as the ASan unit tests (ASAN_COMPILE, ASAN_LIB). The
# objects go under build/asan/obj/, because build/asan/lessons/NN_name is the binary.
ASAN_LESSON_BINS := $(LESSONS:%=$(ASAN_DIR)/lessons/%)
asan_lesson_objs  = $(patsubst %.cpp,$(ASAN_DIR)/obj/%.o,$(call lesson_srcs,$(1)))
ASAN_LESSON_OBJS := $(foreach l,$(LESSONS),$(call asan_lesson_objs,$(l)))

$(ASAN_DIR)/obj/%.o: %.cpp $(ASAN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,ASAN,$<)
	$(Q)$(ASAN_COMPILE) -c $< -o $@

define ASAN_LESSON_RULE
$(ASAN_DIR)/lessons/$(1): $(call asan_lesson_objs,$(1)) $(ASAN_LIB) $(ASAN_FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,LD,$$@)
	$$(Q)$$(ASAN_LINK) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS) $$(LDLIBS)
endef
$(foreach l,$(LESSONS),$(eval $(call ASAN_LESSON_RULE,$(l))))

# The server/client pairs (PAIR_LESSONS in the Makefile, lesson 07): two programs each,
# sharing the folder's other sources, as in the normal build.
asan_pair_objs = $(filter-out $(ASAN_DIR)/obj/lessons/$(1)/$(2).o,$(call asan_lesson_objs,$(1)))
ASAN_LESSON_BINS += $(foreach l,$(PAIR_LESSONS),$(ASAN_DIR)/lessons/$(l)_server $(ASAN_DIR)/lessons/$(l)_client)
ASAN_LESSON_OBJS += $(foreach l,$(PAIR_LESSONS),$(call asan_lesson_objs,$(l)))
define ASAN_PAIR_RULE
$(ASAN_DIR)/lessons/$(1)_$(2): $(call asan_pair_objs,$(1),$(3)) $(ASAN_LIB) $(ASAN_FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,LD,$$@)
	$$(Q)$$(ASAN_LINK) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS) $$(LESSON_LIBS_$(1)) $$(LDLIBS)
endef
$(foreach l,$(PAIR_LESSONS),$(eval $(call ASAN_PAIR_RULE,$(l),server,client))$(eval $(call ASAN_PAIR_RULE,$(l),client,server)))

# The raw twins (RAW_BINS in the Makefile) under ASan+UBSan: one file each, only fmt.
ASAN_RAW_BINS := $(RAW_BINS:$(BUILD)/lessons/%=$(ASAN_DIR)/lessons/%)

$(ASAN_DIR)/lessons/%_raw: lessons/%/raw.cpp $(ASAN_FLAGS_STAMP)
	@mkdir -p $(@D) $(ASAN_DIR)/obj/lessons
	$(call msg,ASAN,$<)
	$(Q)$(CXX) $(ASAN_CXXFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MF $(ASAN_DIR)/obj/lessons/$(@F).d -MT $@ -o $@ $< $(LDFLAGS) $(RAW_LIBS) $(LDLIBS)

$(ASAN_DIR)/lessons/%_blocking: lessons/%/blocking.cpp $(ASAN_FLAGS_STAMP)
	@mkdir -p $(@D) $(ASAN_DIR)/obj/lessons
	$(call msg,ASAN,$<)
	$(Q)$(CXX) $(ASAN_CXXFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MF $(ASAN_DIR)/obj/lessons/$(@F).d -MT $@ -o $@ $< $(LDFLAGS) $(RAW_LIBS) $(LDLIBS)

# ---------------------------------------------------------------- ThreadSanitizer build
# clang++ by default (the ASan build uses $(CXX), g++ unless told otherwise, so the two
# sanitizer builds also cover both compilers). Only the test files that hold a test
# tagged TSAN_TAGS are compiled: Catch2 test files are slow to build, and the library's
# threads live in the pool (fs, dns) and the loop's wakeup. Catch2's main() is compiled
# at -O0 -g1: it is the slowest file to build (a minute at -O1 here) and runs no threads.
# TSAN_TAGS= (empty) builds and runs every unit test under TSan (about 30 s more).
TSAN_CXX      ?= clang++
TSAN_TAGS     ?= [threadpool],[loop],[fs]
TSAN_CXXFLAGS := $(STD) $(WARNINGS) -fsanitize=thread -fno-omit-frame-pointer -O1 -g $(CXXFLAGS)
TSAN_COMPILE   = $(TSAN_CXX) $(TSAN_CXXFLAGS) $(INCLUDES) $(CPPFLAGS) $(DEPFLAGS)
TSAN_LINK      = $(TSAN_CXX) $(TSAN_CXXFLAGS) $(LDFLAGS)
TSAN_FLAGS_STAMP := $(TSAN_DIR)/.flags

comma := ,
tsan_tag_pattern := $(subst $(comma),\|,$(subst [,\[,$(subst ],\],$(TSAN_TAGS))))
TSAN_TEST_SRCS := $(sort $(filter %/main.cpp,$(TEST_SRCS)) \
                    $(if $(TEST_SRCS),$(shell grep -l -e '$(tsan_tag_pattern)' $(TEST_SRCS) 2>/dev/null)))
TSAN_LIB_OBJS  := $(LIB_SRCS:%.cpp=$(TSAN_DIR)/%.o)
TSAN_TEST_OBJS := $(TSAN_TEST_SRCS:%.cpp=$(TSAN_DIR)/%.o)
TSAN_LIB       := $(TSAN_DIR)/libposix_impl.a
TSAN_UNIT_TESTS := $(TSAN_DIR)/tests/unit_tests

TSAN_TESTS_STAMP := $(TSAN_DIR)/.tests

$(TSAN_FLAGS_STAMP): FORCE
	$(call write_stamp,$(TSAN_COMPILE) | $(TSAN_LINK) $(LIBS) $(LDLIBS) | $(AR))

# Which test files are linked: another TSAN_TAGS relinks, without recompiling.
$(TSAN_TESTS_STAMP): FORCE
	$(call write_stamp,$(TSAN_TEST_SRCS))

# TSAN_OPT is added after the flags (the later -O wins) and is not in the stamp: a
# target-specific variable is also seen by the target's prerequisites, the stamp too.
$(TSAN_DIR)/tests/unit/main.o: TSAN_OPT := -O0 -g1

$(TSAN_DIR)/%.o: %.cpp $(TSAN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,TSAN,$<)
	$(Q)$(TSAN_COMPILE) $(TSAN_OPT) -c $< -o $@

$(TSAN_LIB): $(TSAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(TSAN_UNIT_TESTS): $(TSAN_TEST_OBJS) $(TSAN_LIB) $(TSAN_FLAGS_STAMP) $(TSAN_TESTS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(TSAN_LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

# ---------------------------------------------------------------- fuzz targets
# libFuzzer needs clang. Each fuzz/NAME.cpp is one target, linked with the part of the
# library the targets use (FUZZ_LIB_SRCS: add a file here if a target needs more).
# -fno-sanitize-recover=undefined: a UBSan report is a crash libFuzzer records.
FUZZ_CXX      ?= clang++
FUZZ_SECONDS  ?= 20
FUZZ_MERGE    ?= 0
FUZZ_SANITIZE := address,undefined
FUZZ_CXXFLAGS := $(STD) $(WARNINGS) -O1 -g -fno-omit-frame-pointer \
                 -fsanitize=$(FUZZ_SANITIZE) -fno-sanitize-recover=undefined $(CXXFLAGS)
FUZZ_COMPILE   = $(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(INCLUDES) $(CPPFLAGS) $(DEPFLAGS)
FUZZ_LINK      = $(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $(LDFLAGS)
FUZZ_FLAGS_STAMP := $(FUZZ_DIR)/.flags

FUZZ_LIB_SRCS := $(wildcard $(patsubst %,posix_impl/%.cpp,buffer console errors events loop poller process string_decoder timers trace))
# tftp_transfer_fuzz drives a tftp::Transfer on a real dgram socket (lesson 07).
FUZZ_LIB_SRCS += $(wildcard $(patsubst %,posix_impl/%.cpp,dgram dns sockaddr))
FUZZ_SRCS     := $(sort $(wildcard fuzz/*_fuzz.cpp))
FUZZ_TARGETS  := $(patsubst fuzz/%.cpp,%,$(FUZZ_SRCS))
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.cpp=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB      := $(FUZZ_DIR)/libposix_impl.a
FUZZ_TIMEOUT  ?= 10

$(FUZZ_FLAGS_STAMP): FORCE
	$(call write_stamp,$(FUZZ_COMPILE) | $(FUZZ_LINK) $(LIBS) $(LDLIBS) | $(AR))

$(FUZZ_DIR)/obj/%.o: %.cpp $(FUZZ_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$<)
	$(Q)$(FUZZ_COMPILE) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/fuzz/%.o $(FUZZ_LIB) $(FUZZ_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(FUZZ_LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

# make fuzz: new inputs go to build/fuzz/new/<target> (the repository's corpus is read,
# not written, unless FUZZ_MERGE=1, which adds only the inputs that bring new coverage).
# A crash, a hang (> FUZZ_TIMEOUT s for one input) or an out-of-memory stops the run and
# leaves the input in build/fuzz/artifacts/<target>/; copy it to fuzz/regressions/<target>/
# and `make check` replays it from then on.
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t $(FUZZ_DIR)/new/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  echo "== fuzz $$t: $(FUZZ_SECONDS) s, corpus fuzz/corpus/$$t"; \
	  if ! $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
	      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
	      $(FUZZ_DIR)/new/$$t fuzz/corpus/$$t 2>$(FUZZ_DIR)/$$t.log; then \
	    tail -n 60 $(FUZZ_DIR)/$$t.log; \
	    echo "fuzz: $$t failed; the input is in $(FUZZ_DIR)/artifacts/$$t/:"; \
	    ls -1 $(FUZZ_DIR)/artifacts/$$t/; \
	    echo "fuzz: copy it to fuzz/regressions/$$t/ (make check replays it) and fix the bug"; \
	    exit 1; \
	  fi; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_DIR)/$$t.log || true; \
	  grep -E '^#[0-9]+.*(DONE|cov:)' $(FUZZ_DIR)/$$t.log | tail -n 1; \
	  if [ "$(FUZZ_MERGE)" = 1 ]; then \
	    $(FUZZ_DIR)/$$t -merge=1 fuzz/corpus/$$t $(FUZZ_DIR)/new/$$t 2>>$(FUZZ_DIR)/$$t.log; \
	    echo "fuzz: fuzz/corpus/$$t now holds $$(ls fuzz/corpus/$$t | wc -l) inputs"; \
	  fi; \
	done

# ---------------------------------------------------------------- lint
# clang-tidy with the repository's .clang-tidy, one stamp per source file. A stamp
# depends on the file's object in the normal build, whose .d file lists the headers it
# includes, so a header change re-checks exactly the files that include it.
# clang-analyzer-* is not in .clang-tidy: on this machine it takes 3 min 20 s for
# posix_impl/, against 80 s for all the other checks, and found nothing; it would take
# `make check` past its 6-minute budget. `make check-analyzer` runs it.
CLANG_TIDY ?= clang-tidy
CPPCHECK   ?= cppcheck
TIDY_ARGS  := -- $(STD) $(INCLUDES)
TIDY_STAMPS := $(LIB_SRCS:%.cpp=$(CHECK_DIR)/tidy/%.ok)

$(CHECK_DIR)/tidy/%.ok: %.cpp $(BUILD)/%.o .clang-tidy
	@mkdir -p $(@D)
	$(call msg,TIDY,$<)
	$(Q)$(CLANG_TIDY) --quiet $< $(TIDY_ARGS) >$@.log 2>&1 || { cat $@.log; exit 1; }
	$(Q)mv -f $@.log $@

# The raw twins stand alone: no object in the normal build, no -Iposix_impl.
RAW_TIDY_STAMPS := $(RAW_SRCS:%.cpp=$(CHECK_DIR)/tidy/%.ok)
TIDY_STAMPS     += $(RAW_TIDY_STAMPS)

$(RAW_TIDY_STAMPS): $(CHECK_DIR)/tidy/%.ok: %.cpp .clang-tidy
	@mkdir -p $(@D)
	$(call msg,TIDY,$<)
	$(Q)$(CLANG_TIDY) --quiet $< -- $(STD) >$@.log 2>&1 || { cat $@.log; exit 1; }
	$(Q)mv -f $@.log $@

check-tidy: $(TIDY_STAMPS)
	@echo "check-tidy: clang-tidy clean on $(words $(TIDY_STAMPS)) files of posix_impl/ and the raw twins"

check-analyzer:
	$(Q)status=0; for f in $(LIB_SRCS); do \
	  printf '  %-5s %s\n' ANLZ $$f; \
	  $(CLANG_TIDY) --quiet --checks='-*,clang-analyzer-*' --warnings-as-errors='*' $$f $(TIDY_ARGS) || status=1; \
	done; exit $$status

# --inline-suppr: a false positive is suppressed where it occurs, with the reason.
# The raw twins are checked one at a time: each is a program of its own, and their
# `struct Server` / `struct Client` are not one class defined twice.
check-cppcheck:
	$(run_cppcheck)

check-lint: check-tidy check-cppcheck

# ---------------------------------------------------------------- the runs
# The integration suites that run the lesson programs (the others test docs, slides,
# exercises or the diff scenarios, and need no sanitizer build of the lessons).
CHECK_INTEGRATION ?= $(wildcard $(patsubst %,tests/integration/%.test.js,lesson00 tcp udp parity tftp))
# lesson 06's upload server and client (build/asan/lessons/06_upload_*, PAIR_LESSONS)
CHECK_INTEGRATION += $(wildcard tests/integration/upload.test.js)

# Sanitizer options for every run: stop at the first report, with a stack trace.
CHECK_ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1 \
                  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# second_deadlock_stack: both stacks of a lock-order inversion. TSan cannot run with the
# large ASLR entropy of newer kernels ("FATAL: ThreadSanitizer: unexpected memory
# mapping"); run_tsan lowers vm.mmap_rnd_bits to 28 when root, else uses setarch -R.
CHECK_TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:history_size=4

# run_logged NAME COMMAND[,LINES]: run it with its output in build/check/NAME.log; print
# the log's last LINES (2) lines if it passed, the whole log if it failed (and fail).
run_logged = mkdir -p $(CHECK_DIR); \
  if $(2) </dev/null >$(CHECK_DIR)/$(1).log 2>&1; then tail -n $(or $(3),2) $(CHECK_DIR)/$(1).log; \
  else cat $(CHECK_DIR)/$(1).log; echo "check: $(1) failed (log: $(CHECK_DIR)/$(1).log)"; exit 1; fi

define run_asan
	@echo "== check-asan: unit tests under ASan+UBSan ($(ASAN_UNIT_TESTS))"
	$(Q)$(call run_logged,unit-asan,env $(CHECK_ASAN_ENV) $(ASAN_UNIT_TESTS))
	@echo "== check-asan: the same with the loop on epoll(7) (KIT_POLLER=epoll, posix_impl/poller.hpp)"
	$(Q)$(call run_logged,unit-asan-epoll,env $(CHECK_ASAN_ENV) KIT_POLLER=epoll $(ASAN_UNIT_TESTS))
	@echo "== check-asan: integration tests against $(ASAN_DIR)/lessons"
	$(Q)$(call run_logged,integration-asan,env $(CHECK_ASAN_ENV) bash scripts/check-integration.sh $(ASAN_DIR)/lessons $(CHECK_INTEGRATION),9)
	@echo "== check-asan: byte-exact transfers with the ASan+UBSan lessons"
	$(Q)$(call run_logged,transfers-asan,env $(CHECK_ASAN_ENV) bash scripts/check-transfers.sh --bin $(ASAN_DIR)/lessons,3)
endef

define run_tsan
	@echo "== check-tsan: $(TSAN_TAGS) under ThreadSanitizer ($(TSAN_UNIT_TESTS))"
	$(Q)bits=$$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0); \
	prefix=; \
	if [ "$$bits" -gt 28 ]; then \
	  if [ "$$(id -u)" = 0 ] && sysctl -q -w vm.mmap_rnd_bits=28; then \
	    echo "check-tsan: vm.mmap_rnd_bits was $$bits; set to 28 (ThreadSanitizer needs <= 28)"; \
	  else prefix="setarch $$(uname -m) -R"; echo "check-tsan: vm.mmap_rnd_bits is $$bits: ASLR off (setarch -R)"; fi; \
	fi; \
	tags='$(TSAN_TAGS)'; \
	$(call run_logged,unit-tsan,env $(CHECK_TSAN_ENV) $$prefix $(TSAN_UNIT_TESTS) $${tags:+"$$tags"})
endef

define run_valgrind
	@echo "== check-valgrind: lesson transfers under valgrind memcheck ($(BUILD)/lessons)"
	$(Q)$(call run_logged,transfers-valgrind,bash scripts/check-transfers.sh --bin $(BUILD)/lessons --valgrind,7)
endef

# Replaying is running the target on the files, without fuzzing (one run each).
define run_fuzz_replay
	$(Q)for t in $(FUZZ_TARGETS); do \
	  files=$$(find fuzz/regressions/$$t fuzz/corpus/$$t -type f 2>/dev/null | sort); \
	  n=$$(printf '%s' "$$files" | grep -c . || true); \
	  echo "== check-fuzz: $$t replays $$n inputs (fuzz/regressions/$$t, fuzz/corpus/$$t)"; \
	  [ "$$n" -gt 0 ] || continue; \
	  printf '%s\n' $$files | xargs env $(CHECK_ASAN_ENV) $(FUZZ_DIR)/$$t -timeout=$(FUZZ_TIMEOUT) \
	    >$(FUZZ_DIR)/$$t.replay.log 2>&1 \
	    || { tail -n 60 $(FUZZ_DIR)/$$t.replay.log; echo "check-fuzz: $$t failed on a replayed input"; exit 1; }; \
	done
endef

# -UKIT_TRACE_COMPILED_OUT: the library as students build it. With the trace compiled out
# (a bench-only build, mk/bench.mk) tracing::on and json are constant false and every
# `if (tracing::on ...)` reads to cppcheck as a condition that is always false.
define run_cppcheck
	$(Q)$(CPPCHECK) --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	  --std=c++20 -q -Iposix_impl -UKIT_TRACE_COMPILED_OUT $(LIB_SRCS)
	$(Q)for f in $(RAW_SRCS); do \
	  $(CPPCHECK) --enable=warning,performance,portability --error-exitcode=1 --inline-suppr --std=c++20 -q $$f || exit 1; \
	done
	@echo "check-cppcheck: cppcheck clean on posix_impl/ and the raw twins"
endef

# ---------------------------------------------------------------- tools
# `make check` and `make fuzz` first install what they need (scripts/deps.sh check:
# clang, libclang-rt-14-dev, clang-tidy, cppcheck, valgrind), as root or through sudo,
# or stop with the apt-get line to run. Everything they compile waits for that.
CHECK_TOOLS := $(TSAN_CXX) $(FUZZ_CXX) $(CLANG_TIDY) $(CPPCHECK) valgrind node
ifneq ($(filter check check-build fuzz,$(MAKECMDGOALS)),)
$(TSAN_LIB_OBJS) $(TSAN_TEST_OBJS) $(FUZZ_LIB_OBJS) $(FUZZ_BINS) $(TIDY_STAMPS) \
  $(OBJS) $(ASAN_OBJS) $(ASAN_LESSON_OBJS) $(ASAN_RAW_BINS): | check-deps
endif

check-deps:
	$(Q)bash scripts/deps.sh check
	$(Q)missing=""; for t in $(CHECK_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	  [ -e "$$($(FUZZ_CXX) -print-runtime-dir)/libclang_rt.fuzzer-$$(uname -m).a" ] || missing="$$missing libFuzzer"; \
	  if [ -n "$$missing" ]; then echo "check: still missing:$$missing" >&2; exit 1; fi

# ---------------------------------------------------------------- targets
CHECK_ASAN_DEPS := $(ASAN_UNIT_TESTS) $(ASAN_LESSON_BINS) $(ASAN_RAW_BINS)
CHECK_TSAN_DEPS := $(TSAN_UNIT_TESTS)
CHECK_VG_DEPS   := $(LESSON_BINS) $(RAW_BINS)

# Everything `make check` builds, so that -j2 can build it all in parallel first.
check-build: $(CHECK_ASAN_DEPS) $(CHECK_TSAN_DEPS) $(CHECK_VG_DEPS) $(FUZZ_BINS) $(TIDY_STAMPS)

check: check-build
	$(run_asan)
	$(run_tsan)
	$(run_valgrind)
	$(run_fuzz_replay)
	$(run_cppcheck)
	@echo "check-tidy: clang-tidy clean on $(words $(TIDY_STAMPS)) files of posix_impl/ and the raw twins"
	@echo "check: all passed"

check-asan: $(CHECK_ASAN_DEPS)
	$(run_asan)

check-tsan: $(CHECK_TSAN_DEPS)
	$(run_tsan)

check-valgrind: $(CHECK_VG_DEPS)
	$(run_valgrind)

check-fuzz: $(FUZZ_BINS)
	$(run_fuzz_replay)

-include $(ASAN_LESSON_OBJS:.o=.d) $(ASAN_RAW_BINS:$(ASAN_DIR)/lessons/%=$(ASAN_DIR)/obj/lessons/%.d) $(TSAN_LIB_OBJS:.o=.d) $(TSAN_TEST_OBJS:.o=.d) \
         $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SRCS:%.cpp=$(FUZZ_DIR)/obj/%.d)
