# mk/stress.mk -- `make stress` (project issue 7, item 1): the TCP lessons (01 server,
# 02 client) under load and under faults, as real processes on loopback:
# tests/stress/stress.test.js, described in tests/stress/README.md.
# Included at the end of the Makefile (`-include mk/stress.mk`); uses its LESSON_BINS,
# ASAN_LIB and Q. tests/stress/fuzz.test.js (the randomized differential test over many
# seeds, see tests/README.md) compiles its programs against the ASan+UBSan library.
#
#   make stress                       build the lessons, run the suite once (15-60 s), then
#                                     the lesson faults (stress.test.js) on epoll (20 s)
#   make stress STRESS_RUNS=10        run it 10 times in a row, stop at the first failure
#   make stress STRESS_ONLY=EMFILE    only the cases whose name matches (a JS regex)
#
# The tmpfs cases (disk full, read-only server_files/) and the setpriv case need root;
# one case needs strace with --seccomp-bpf. Without them those cases are skipped, each
# saying why. The cases run one after another (one test file, node:test's default):
# two of them measure the server's CPU time.
# tests/stress/upload.test.js (lesson 06's upload server: 1,000 slow clients, 100 uploads
# at once and their peak RSS, one 256 MiB upload, a client killed mid-transfer 40 times) is picked
# up by the wildcard below (~20 s).

STRESS_TESTS := $(sort $(wildcard tests/stress/*.test.js))
STRESS_RUNS  ?= 1
STRESS_ONLY  ?=

.PHONY: stress
stress: $(LESSON_BINS) $(ASAN_LIB)
	$(Q)for i in $$(seq 1 $(STRESS_RUNS)); do \
	  if [ $(STRESS_RUNS) -gt 1 ]; then echo "== stress run $$i of $(STRESS_RUNS) =="; fi; \
	  node --test --test-reporter=spec $(if $(STRESS_ONLY),--test-name-pattern='$(STRESS_ONLY)') \
	    $(STRESS_TESTS) </dev/null || exit 1; \
	done
	@echo "== stress: the lesson faults again with the loop on epoll(7) (KIT_POLLER=epoll, lesson 08)"
	$(Q)KIT_POLLER=epoll node --test --test-reporter=spec $(if $(STRESS_ONLY),--test-name-pattern='$(STRESS_ONLY)') \
	  tests/stress/stress.test.js </dev/null
