# Makefile -- the one (non-recursive) build of the kit.
#
#   make                 library, every lesson (and its raw twins), the unit tests (g++)
#   make CXX=clang++     the same with clang (everything is rebuilt when
#                        the compiler or the flags change, see FLAGS STAMP)
#   make -jN             parallel build; `make`, `make test`, `make demo` and the other
#                        build goals already run one job per core (see PARALLEL BUILD)
#   make V=1             show full command lines
#   make test            deps, build, ASan/UBSan unit tests, run every suite
#   make test-exercises  every exercise's check on its starter, solution and wrong
#                        solutions (tests/integration/exercises.test.js; CI runs it)
#   make test-epoll      the unit, differential and integration suites again with
#                        KIT_POLLER=epoll (the loop's second backend, posix_impl/poller.hpp;
#                        CI runs it after make test)
#   make demo            deps, build, run scripts/demo.sh
#   make check-fresh     the README's two commands on a fresh Debian 12 (root; scripts/check-fresh.sh)
#   make asan-tests      build/asan/tests/unit_tests
#   make wire            lesson 05: the lessons' packets on a veth link (root; scripts/wire.sh)
#   make docs | slides | bench | deps | clean
#   make trace-view LESSON=NN  a lesson's loop, kit and Node, as a timeline (mk/trace.mk)
#
# Layout (sources are found by wildcard, so new files are picked up as they appear):
#   posix_impl/*.cpp            -> build/posix_impl/*.o -> build/libposix_impl.a
#   lessons/NN_name/*.cpp       -> build/obj/lessons/NN_name/*.o -> build/lessons/NN_name
#   lessons/NN_name/raw.cpp     -> build/lessons/NN_name_raw       (alone: no library,
#   lessons/NN_name/blocking.cpp -> build/lessons/NN_name_blocking  only -lfmt)
#   tests/unit/*.cpp            -> build/obj/tests/unit/*.o -> build/tests/unit_tests
#   (with g++, the lessons and the diff scenarios -include a precompiled header of the
#    library's headers, build/pch/kit_pch.hpp.gch, see PRECOMPILED HEADER)
#   tests/diff/scenarios/N.cpp  -> build/obj/tests/diff/scenarios/N.o -> build/tests/diff/N
#                                  (one binary per differential scenario, see tests/README.md)
#   ASan+UBSan variant          -> build/asan/{posix_impl,tests/unit}/*.o,
#                                  build/asan/libposix_impl.a, build/asan/tests/unit_tests
#                                  (its Catch2 runner is build/obj/tests/unit/main.o, the
#                                  one object both unit test binaries share, see below)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

# ---------------------------------------------------------------- parallel build
# The build goals run one compiler per core unless -j is given (`make -j1` builds one
# file at a time): `make test` on a clean clone spends most of its time compiling.
# `check` too: it builds everything first (check-build), then runs its checks one after
# another in a single recipe, so only the compilers run side by side. Goals that run
# timing-sensitive programs from several prerequisites (stress) or that must not
# overlap (clean) keep make's default, one job at a time; bench builds its five
# binaries in parallel itself, then measures alone. A -j on the command line
# wins over this one (GNU make 4.3 and later); a sub-make (MAKELEVEL > 0) is left to
# the jobs its parent gives it.
NPROC          := $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
PARALLEL_GOALS := all test demo asan-tests exercises check check-build
ifeq ($(filter-out $(PARALLEL_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(MAKELEVEL)$(filter -j% --jobserver%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(NPROC)
endif
endif

BUILD    := build
ASAN_DIR := $(BUILD)/asan

# ---------------------------------------------------------------- dependencies first
# Every goal except a few that compile nothing first installs what the kit needs
# (scripts/deps.sh: the compiler, fmt, Catch2, Node.js...; with `check` and `fuzz`
# also clang and the checkers, with `bench` its peers). It runs here, while make is
# still reading this file: before any rule exists, so no compile can start before it at
# any -j, and the lines below that ask the compiler something (CXX_IS_CLANG) see the
# one it installed. What cannot be installed (no root, no sudo) stops make here with
# exit status 2, after deps.sh printed the exact apt-get line to run. Its output goes
# to stderr because $(shell ...) keeps stdout. Sub-makes (MAKELEVEL > 0) skip it: their
# parent ran it. KIT_NO_DEPS=1 skips it too (for a machine whose packages are managed
# by someone else; the build then fails on what is missing), and so does bash's
# tab completion, which reads the rules with `make -npq .DEFAULT`.
NO_DEPS_GOALS := clean deps check-fresh help .DEFAULT
DEPS_GOALS    := $(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all))
DEPS_PROFILES := $(if $(filter check check-% fuzz,$(DEPS_GOALS)),check) \
                 $(if $(filter bench bench-%,$(DEPS_GOALS)),bench)
ifeq ($(MAKELEVEL)$(KIT_NO_DEPS)$(__BASH_MAKE_COMPLETION__),0)
ifneq ($(DEPS_GOALS),)
$(shell bash scripts/deps.sh $(strip $(DEPS_PROFILES)) >&2)
ifneq ($(.SHELLSTATUS),0)
$(error deps: stopped before building: install the packages named above, then run make again)
endif
endif
endif

# ---------------------------------------------------------------- flags
# CXX defaults to g++ (GNU make's built-in). CXXFLAGS, CPPFLAGS, LDFLAGS and
# LDLIBS given on the command line are *added* to the kit's own flags.
STD        := -std=c++20
WARNINGS   := -Wall -Wextra -Wpedantic
OPT        := -O2 -g
INCLUDES   := -Iposix_impl
DEPFLAGS   := -MMD -MP
LIBS       := -lfmt -pthread

KIT_CXXFLAGS  := $(STD) $(WARNINGS) -Werror $(OPT) $(CXXFLAGS)
# The sanitizer build has no -Werror: GCC documents that sanitizers cause false
# positive warnings; the normal build enforces -Werror. With GCC 12 the worst
# one (-Wmaybe-uninitialized in <regex>, used by Catch2's main) is silenced.
SANITIZE      := -fsanitize=address,undefined -fno-omit-frame-pointer
CXX_IS_CLANG  := $(findstring clang,$(shell $(CXX) --version 2>/dev/null))
ASAN_NOWARN   := $(if $(CXX_IS_CLANG),,-Wno-maybe-uninitialized)
ASAN_CXXFLAGS := $(STD) $(WARNINGS) $(ASAN_NOWARN) $(SANITIZE) -O1 -g $(CXXFLAGS)

COMPILE_ONLY = $(CXX) $(KIT_CXXFLAGS) $(INCLUDES) $(CPPFLAGS)
COMPILE      = $(COMPILE_ONLY) $(DEPFLAGS)
LINK         = $(CXX) $(KIT_CXXFLAGS) $(LDFLAGS)
ASAN_COMPILE = $(CXX) $(ASAN_CXXFLAGS) $(INCLUDES) $(CPPFLAGS) $(DEPFLAGS)
ASAN_LINK    = $(CXX) $(ASAN_CXXFLAGS) $(LDFLAGS)

# ---------------------------------------------------------------- quiet output
ifeq ($(V),1)
  Q   :=
  msg  = @:
else
  Q   := @
  msg  = @printf '  %-5s %s\n' '$(1)' '$(2)'
endif

# ---------------------------------------------------------------- sources
LIB_SRCS := $(sort $(wildcard posix_impl/*.cpp))
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/%.o)
LIB      := $(if $(LIB_SRCS),$(BUILD)/libposix_impl.a)

# lessons/NN_name/ folders that hold at least one .cpp file
LESSON_DIRS := $(patsubst %/,%,$(sort $(wildcard lessons/[0-9][0-9]_*/)))
LESSON_DIRS := $(foreach d,$(LESSON_DIRS),$(if $(wildcard $(d)/*.cpp),$(d)))
ALL_LESSONS := $(notdir $(LESSON_DIRS))
# A lesson folder with a server.cpp and a client.cpp (lesson 07) makes two programs,
# build/lessons/NN_name_server and NN_name_client, each with the folder's other .cpp
# files (the module they share); every other folder makes one, build/lessons/NN_name.
PAIR_LESSONS := $(foreach d,$(LESSON_DIRS),$(if $(wildcard $(d)/server.cpp),$(if $(wildcard $(d)/client.cpp),$(notdir $(d)))))
LESSONS     := $(filter-out $(PAIR_LESSONS),$(ALL_LESSONS))
LESSON_BINS := $(LESSONS:%=$(BUILD)/lessons/%) \
               $(foreach l,$(PAIR_LESSONS),$(BUILD)/lessons/$(l)_server $(BUILD)/lessons/$(l)_client)

# The raw twins: lessons/NN_name/raw.cpp -> build/lessons/NN_name_raw and
# lessons/NN_name/blocking.cpp -> build/lessons/NN_name_blocking. Each is one file on
# plain POSIX, compiled and linked alone: no posix_impl, no -Iposix_impl, only fmt.
RAW_SRCS    := $(sort $(wildcard lessons/[0-9][0-9]_*/raw.cpp lessons/[0-9][0-9]_*/blocking.cpp))
raw_bin      = $(patsubst lessons/%/$(notdir $(1)),%,$(1))_$(basename $(notdir $(1)))
RAW_BINS    := $(foreach s,$(RAW_SRCS),$(BUILD)/lessons/$(call raw_bin,$(s)))
RAW_LIBS    := -lfmt

# the lesson's main binary: every other .cpp of its folder
lesson_srcs  = $(filter-out $(RAW_SRCS),$(sort $(wildcard lessons/$(1)/*.cpp)))
lesson_objs  = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(call lesson_srcs,$(1)))
LESSON_OBJS := $(foreach l,$(ALL_LESSONS),$(call lesson_objs,$(l)))
# the objects of one program of a pair: all but the other program's main file
pair_objs    = $(filter-out $(BUILD)/obj/lessons/$(1)/$(2).o,$(call lesson_objs,$(1)))

# tests/unit/main.cpp is Catch2's runner (CATCH_CONFIG_MAIN): the whole of Catch2's
# implementation, the longest file of the build to compile (about 45 s with -O2, and
# 170 s with ASan+UBSan at -O1). It holds none of the kit's code and none of the tests,
# so it is compiled once and linked into both unit test binaries, first in the list so
# that the build starts with it.
TEST_MAIN      := $(wildcard tests/unit/main.cpp)
TEST_MAIN_OBJ  := $(TEST_MAIN:%.cpp=$(BUILD)/obj/%.o)
TEST_SRCS      := $(sort $(wildcard tests/unit/*.cpp))
TEST_CASE_SRCS := $(filter-out $(TEST_MAIN),$(TEST_SRCS))
TEST_OBJS      := $(TEST_MAIN_OBJ) $(TEST_CASE_SRCS:%.cpp=$(BUILD)/obj/%.o)
UNIT_TESTS     := $(if $(TEST_SRCS),$(BUILD)/tests/unit_tests)

# differential-trace scenarios: each tests/diff/scenarios/NAME.cpp is one program
DIFF_SRCS := $(sort $(wildcard tests/diff/scenarios/*.cpp))
DIFF_OBJS := $(DIFF_SRCS:%.cpp=$(BUILD)/obj/%.o)
DIFF_BINS := $(patsubst tests/diff/scenarios/%.cpp,$(BUILD)/tests/diff/%,$(DIFF_SRCS))

ASAN_LIB_OBJS   := $(LIB_SRCS:%.cpp=$(ASAN_DIR)/%.o)
ASAN_LIB        := $(if $(LIB_SRCS),$(ASAN_DIR)/libposix_impl.a)
ASAN_TEST_OBJS  := $(TEST_CASE_SRCS:%.cpp=$(ASAN_DIR)/%.o)
ASAN_UNIT_TESTS := $(if $(TEST_SRCS),$(ASAN_DIR)/tests/unit_tests)

OBJS      := $(LIB_OBJS) $(LESSON_OBJS) $(TEST_OBJS) $(DIFF_OBJS)
ASAN_OBJS := $(ASAN_LIB_OBJS) $(ASAN_TEST_OBJS)

# ---------------------------------------------------------------- phony targets
.PHONY: all deps test test-epoll test-exercises demo check-fresh docs slides bench bench-build clean asan-tests wire FORCE

# The unit tests come first: their runner is the longest file to compile.
all: $(UNIT_TESTS) $(LIB) $(LESSON_BINS) $(RAW_BINS) $(DIFF_BINS)

asan-tests: $(ASAN_UNIT_TESTS)

# `make deps` alone: install what is missing (every other goal does it first anyway,
# see "dependencies first" above).
deps:
	$(Q)bash scripts/deps.sh

test: all asan-tests
	$(Q)bash scripts/run-tests.sh

# The second backend (lesson 08): its own goal so that `make test` stays under 10
# minutes on 2 cores; .ci/run runs both. `KIT_POLLER=epoll make test` runs all on epoll.
test-epoll: all
	$(Q)bash scripts/run-tests.sh --epoll

# The exercise checks (tests/integration/exercises.test.js: every starter fails, every
# solution passes, every wrong solution fails; about 3 minutes, the longest suite): their
# own goal for the same reason; .ci/run runs it after make test.
test-exercises: all
	$(Q)bash scripts/run-tests.sh --exercises

demo: all
	$(Q)bash scripts/demo.sh

# Lesson 05: two network namespaces joined by a veth pair, the lessons' programs across
# it, tcpdump on the link, nftables loss; needs root (scripts/wire.sh says what else).
wire: $(LESSON_BINS)
	$(Q)bash scripts/wire.sh

# The README's two commands on a fresh Debian 12 minbase (debootstrap + chroot, as root):
# what a student's first contact with the kit looks like. See scripts/check-fresh.sh.
check-fresh:
	$(Q)bash scripts/check-fresh.sh

docs:
	$(Q)if [ -f docs/Doxyfile ]; then \
	  mkdir -p $(BUILD)/docs && doxygen docs/Doxyfile && echo "docs: $(BUILD)/docs/html/index.html"; \
	else echo "docs: no docs/Doxyfile"; fi

# The slides are built by slides/build.sh once someone writes it.
slides:
	$(Q)if [ -f slides/build.sh ]; then bash slides/build.sh; \
	else echo "slides: not built yet"; fi

# The bench needs only the lessons and our Node programs' `moment` (deps). It builds
# them with one compiler per core, then measures with nothing else running.
bench-build:
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) $(LESSON_BINS)

bench: bench-build
	$(Q)bash scripts/bench.sh

clean:
	$(call msg,CLEAN,$(BUILD)/)
	$(Q)rm -rf $(BUILD)

# ---------------------------------------------------------------- flags stamp
# Each stamp holds the command lines of its variant; it is rewritten (and so
# gets a new mtime) only when they change, e.g. after `make CXX=clang++`, and
# everything depending on it is then rebuilt.
FLAGS_STAMP      := $(BUILD)/.flags
ASAN_FLAGS_STAMP := $(ASAN_DIR)/.flags

define write_stamp
@mkdir -p $(@D)
@printf '%s\n' '$(1)' > $@.tmp
@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
endef

$(FLAGS_STAMP): FORCE
	$(call write_stamp,$(COMPILE) | $(LINK) $(LIBS) $(LDLIBS) | $(AR))

$(ASAN_FLAGS_STAMP): FORCE
	$(call write_stamp,$(ASAN_COMPILE) | $(ASAN_LINK) $(LIBS) $(LDLIBS) | $(AR))

# ---------------------------------------------------------------- precompiled header
# With GCC, the lessons and the diff scenarios are compiled with the library's headers
# precompiled once: build/pch/kit_pch.hpp (written here from KIT_PCH_HEADERS) is
# compiled with exactly their flags into build/pch/kit_pch.hpp.gch and given to each of
# them with -include, so GCC loads it instead of parsing fmt, the standard library and
# posix_impl's headers again for every file (about 3 s of each file's 6). The sources
# still include what they use; with clang++ there is no precompiled header, so
# `make CXX=clang++` still checks that they do. mk/teach.mk does the same for the
# exercises, with their own flags (-O0).
KIT_PCH_HEADERS := args.hpp buffer.hpp console.hpp dgram.hpp errors.hpp events.hpp fs.hpp \
                   loop.hpp net.hpp process.hpp timers.hpp timestamp.hpp
KIT_PCH_STD     := functional memory optional string utility vector
KIT_PCH_HDR     := $(BUILD)/pch/kit_pch.hpp
KIT_PCH         := $(if $(CXX_IS_CLANG),,$(KIT_PCH_HDR).gch)
KIT_PCH_FLAGS   := $(if $(KIT_PCH),-include $(KIT_PCH_HDR))

ifneq ($(KIT_PCH),)
# Rewritten (new mtime) only when the list changes, like the flags stamp.
$(KIT_PCH_HDR): FORCE
	@mkdir -p $(@D)
	@{ echo '// Written by the Makefile (KIT_PCH_HEADERS): precompiled, then -include-d.'; \
	   printf '#include "%s"\n' $(notdir $(wildcard $(KIT_PCH_HEADERS:%=posix_impl/%))); \
	   printf '#include <%s>\n' $(KIT_PCH_STD); } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(KIT_PCH): $(KIT_PCH_HDR) $(FLAGS_STAMP)
	$(call msg,PCH,$<)
	$(Q)$(COMPILE_ONLY) -MMD -MP -MF $@.d -MT $@ -x c++-header $< -o $@
endif

# ---------------------------------------------------------------- compile
$(BUILD)/posix_impl/%.o: posix_impl/%.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,CXX,$<)
	$(Q)$(COMPILE) -c $< -o $@

$(BUILD)/obj/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,CXX,$<)
	$(Q)$(COMPILE) -c $< -o $@

# The lessons and the diff scenarios, with the precompiled header (g++ only).
$(LESSON_OBJS) $(DIFF_OBJS): $(BUILD)/obj/%.o: %.cpp $(FLAGS_STAMP) $(KIT_PCH)
	@mkdir -p $(@D)
	$(call msg,CXX,$<)
	$(Q)$(COMPILE) $(KIT_PCH_FLAGS) -c $< -o $@

$(ASAN_DIR)/%.o: %.cpp $(ASAN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,ASAN,$<)
	$(Q)$(ASAN_COMPILE) -c $< -o $@

# ---------------------------------------------------------------- link
$(BUILD)/libposix_impl.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(ASAN_DIR)/libposix_impl.a: $(ASAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tests/unit_tests: $(TEST_OBJS) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

# The runner (TEST_MAIN_OBJ, built without sanitizers) comes last on the line: where it
# and the sanitized objects hold the same inline function or template (std::string,
# std::vector<...>, Catch2's inline helpers), the linker keeps the first copy, the
# sanitized one, so every test case and all of the kit's code run instrumented; only
# Catch2's own runner is not.
$(ASAN_DIR)/tests/unit_tests: $(ASAN_TEST_OBJS) $(ASAN_LIB) $(TEST_MAIN_OBJ) $(ASAN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(ASAN_LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

# one binary per lesson folder: all its objects + the library
define LESSON_RULE
$(BUILD)/lessons/$(1): $(call lesson_objs,$(1)) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,LD,$$@)
	$$(Q)$$(LINK) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS) $$(LDLIBS)
endef
$(foreach l,$(LESSONS),$(eval $(call LESSON_RULE,$(l))))

# the two programs of a server/client pair: $(1) the lesson, $(2) server or client,
# $(3) the other one, left out. LESSON_LIBS_<lesson> adds libraries to both programs.
# Lesson 06 computes SHA-256 with OpenSSL's libcrypto (libssl-dev, in scripts/deps.sh).
LESSON_LIBS_06_upload := -lcrypto
define PAIR_RULE
$(BUILD)/lessons/$(1)_$(2): $(call pair_objs,$(1),$(3)) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,LD,$$@)
	$$(Q)$$(LINK) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS) $$(LESSON_LIBS_$(1)) $$(LDLIBS)
endef
$(foreach l,$(PAIR_LESSONS),$(eval $(call PAIR_RULE,$(l),server,client))$(eval $(call PAIR_RULE,$(l),client,server)))

# one binary per raw twin: its one source file, nothing else (see RAW_SRCS)
$(BUILD)/lessons/%_raw: lessons/%/raw.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D) $(BUILD)/obj/lessons
	$(call msg,RAW,$<)
	$(Q)$(CXX) $(KIT_CXXFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MF $(BUILD)/obj/lessons/$(@F).d -MT $@ -o $@ $< $(LDFLAGS) $(RAW_LIBS) $(LDLIBS)

$(BUILD)/lessons/%_blocking: lessons/%/blocking.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D) $(BUILD)/obj/lessons
	$(call msg,RAW,$<)
	$(Q)$(CXX) $(KIT_CXXFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MF $(BUILD)/obj/lessons/$(@F).d -MT $@ -o $@ $< $(LDFLAGS) $(RAW_LIBS) $(LDLIBS)

# one binary per differential scenario: its object + the library
$(DIFF_BINS): $(BUILD)/tests/diff/%: $(BUILD)/obj/tests/diff/scenarios/%.o $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(LINK) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LDLIBS)

# ---------------------------------------------------------------- header deps
-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(RAW_BINS:$(BUILD)/lessons/%=$(BUILD)/obj/lessons/%.d) $(if $(KIT_PCH),$(KIT_PCH).d)
-include mk/teach.mk
-include mk/check.mk
-include mk/stress.mk
-include mk/bench.mk
-include mk/trace.mk
