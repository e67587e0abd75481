# mk/trace.mk -- the loop's timeline: a lesson's run, recorded by the kit and by Node,
# drawn as one offline HTML page (issue 19). Included by the Makefile.
#
#   make trace-view LESSON=NN   NN = 00, 01, 02, 03 or 04: build/trace/NN.html
#                               (01 and 02 both record the TCP upload, server and client;
#                               03 and 04 the UDP one), open it in a browser
#   make trace-shots            every lesson's page, and its screenshot into docs/img/
#                               (the pictures the lesson READMEs show; for lesson 00 also
#                               a close-up of the kit's iterations 0 and 1, page#it=0-1)
#
# scripts/trace/record.js runs the kit's programs with KIT_TRACE=json:PATH and our Node
# twins with scripts/trace/node-trace.js preloaded, in temporary directories on free
# ports; scripts/trace/view.js draws the traces (d3 inlined: no network at view time);
# scripts/trace/shot.js takes the screenshot with headless chromium (playwright-core).
# The traces themselves stay in build/trace/NN/*.jsonl.

TRACE_DIR     := $(BUILD)/trace
TRACE_LESSONS := 00 01 02 03 04
TRACE_BINS    := $(addprefix $(BUILD)/lessons/,00_event_loop 01_tcp_server 02_tcp_client 03_udp_server 04_udp_client)
trace_title    = $(if $(filter 00,$(1)),Lesson 00: the event loop,$(if $(filter 01 02,$(1)),Lessons 01 + 02: a file over TCP,Lessons 03 + 04: a file over UDP))

.PHONY: trace-view trace-shots

trace-view: $(TRACE_BINS)
	$(if $(filter $(LESSON),$(TRACE_LESSONS)),,$(error trace-view: say which lesson, LESSON=00, 01, 02, 03 or 04))
	$(call msg,TRACE,$(TRACE_DIR)/$(LESSON)/)
	$(Q)rm -rf $(TRACE_DIR)/$(LESSON) && node scripts/trace/record.js $(LESSON) $(TRACE_DIR)/$(LESSON) >/dev/null
	$(Q)node scripts/trace/view.js $(TRACE_DIR)/$(LESSON)/*.jsonl -o $(TRACE_DIR)/$(LESSON).html --title '$(call trace_title,$(LESSON))'

# 01 and 04 stand for their pairs (02 and 03 show the same recording).
trace-shots: $(TRACE_BINS)
	$(Q)for n in 00 01 03; do \
	  $(MAKE) --no-print-directory trace-view LESSON=$$n && \
	  node scripts/trace/shot.js $(TRACE_DIR)/$$n.html docs/img/trace-$$n.png || exit 1; \
	done
	$(Q)node scripts/trace/shot.js $(TRACE_DIR)/00.html docs/img/trace-00-it0-1.png --hash it=0-1
