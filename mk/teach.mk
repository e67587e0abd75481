# mk/teach.mk -- teaching material: the exercises' builds and checks.
# Included by the Makefile (`-include mk/teach.mk`, at its end: it uses the
# Makefile's variables: BUILD, LIB, FLAGS_STAMP, LINK, LESSON_BINS...).
#
#   make exercises                          build every exercise: starter, solution, wrong_*
#   make check-exercise E=00_interval       build and check the starter (what a student edits)
#   make check-exercise E=00_interval SOLUTION=1   the same for the reference solution
#   make check-exercise E=00_interval VARIANT=wrong_NAME   one of the wrong solutions
#
# Layout: exercises/NAME/{starter,solution,wrong_*}/*.cpp -> build/obj/exercises/NAME/VARIANT/*.o
#         -> build/exercises/NAME/VARIANT, linked with build/libposix_impl.a and built
#         with the lessons' warnings (-Werror included). exercises/NAME/check.sh runs the
#         programs (see exercises/lib.sh). The slides (make slides) are built by
#         slides/build.sh, which the Makefile's own `slides` target calls.

EX_NAMES    := $(notdir $(patsubst %/,%,$(sort $(wildcard exercises/[0-9][0-9]_*/))))
# Variants of an exercise: the starter a student edits, the reference solution, and
# the wrong solutions kept beside them (wrong_*/: each one a plausible mistake, such as
# a hard-coded value or lines printed without doing the work), which the check must
# refuse: tests/integration/exercises.test.js proves it.
ex_variants  = starter solution $(notdir $(patsubst %/,%,$(sort $(wildcard exercises/$(1)/wrong_*/))))
ex_srcs      = $(sort $(wildcard exercises/$(1)/$(2)/*.cpp))
ex_objs      = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(call ex_srcs,$(1),$(2)))
EX_BINS     := $(foreach n,$(EX_NAMES),$(foreach v,$(call ex_variants,$(n)),$(if $(call ex_srcs,$(n),$(v)),$(BUILD)/exercises/$(n)/$(v))))
EX_OBJS     := $(foreach n,$(EX_NAMES),$(foreach v,$(call ex_variants,$(n)),$(call ex_objs,$(n),$(v))))

# The exercises are compiled without optimisation (-O0 -g: quicker to build, easier
# to step through in gdb) and, with GCC, with the library's headers precompiled once
# (exercises/kit_pch.hpp -> build/exercises/pch/kit_pch.hpp.gch, used through
# -include): ten variants build in about a third of the time.
EX_CXXFLAGS := $(STD) $(WARNINGS) -Werror -O0 -g $(CXXFLAGS)
EX_PCH_HDR  := $(BUILD)/exercises/pch/kit_pch.hpp
EX_PCH      := $(if $(CXX_IS_CLANG),,$(if $(wildcard exercises/kit_pch.hpp),$(EX_PCH_HDR).gch))
EX_COMPILE   = $(CXX) $(EX_CXXFLAGS) $(INCLUDES) $(CPPFLAGS)

$(EX_PCH_HDR): exercises/kit_pch.hpp
	@mkdir -p $(@D)
	$(Q)cp $< $@

$(EX_PCH): $(EX_PCH_HDR) $(FLAGS_STAMP)
	$(call msg,PCH,$<)
	$(Q)$(EX_COMPILE) -MMD -MP -MF $@.d -MT $@ -x c++-header $< -o $@

# Chosen over the Makefile's $(BUILD)/obj/%.o rule for exercises/ (shorter stem).
$(BUILD)/obj/exercises/%.o: exercises/%.cpp $(FLAGS_STAMP) $(EX_PCH)
	@mkdir -p $(@D)
	$(call msg,CXX,$<)
	$(Q)$(EX_COMPILE) $(DEPFLAGS) $(if $(EX_PCH),-include $(EX_PCH_HDR)) -c $< -o $@

# Libraries an exercise links on top of the kit's: EX_LIBS_<name>. 02_framed_upload
# computes SHA-256 with OpenSSL's libcrypto (libssl-dev, in scripts/deps.sh).
EX_LIBS_02_framed_upload := -lcrypto
# Lesson 06's exercises are one changed file of its server or client (server.cpp,
# client.cpp); the rest, upload.cpp (the protocol), is the lesson's own object, linked in.
EX_06_NAMES := $(filter 06_%,$(EX_NAMES))
$(foreach n,$(EX_06_NAMES),$(eval EX_LIBS_$(n) := -lcrypto))
$(BUILD)/obj/exercises/06_%.o: INCLUDES += -Ilessons/06_upload
$(filter $(addprefix $(BUILD)/exercises/,$(addsuffix /%,$(EX_06_NAMES))),$(EX_BINS)): $(BUILD)/obj/lessons/06_upload/upload.o

define EX_RULE
$(BUILD)/exercises/$(1)/$(2): $(call ex_objs,$(1),$(2)) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,LD,$$@)
	$$(Q)$$(LINK) -o $$@ $$(filter %.o %.a,$$^) $$(EX_LIBS_$(1)) $$(LIBS) $$(LDLIBS)
endef

# An exercise on the raw code (its variant is one raw.cpp) is built like the raw
# lessons (RAW_SRCS in the Makefile): that one file alone, no library but fmt.
ex_is_raw = $(filter %/raw.cpp,$(call ex_srcs,$(1),$(2)))
define EX_RAW_RULE
$(BUILD)/exercises/$(1)/$(2): exercises/$(1)/$(2)/raw.cpp $(FLAGS_STAMP)
	@mkdir -p $$(@D)
	$$(call msg,RAW,$$<)
	$$(Q)$$(CXX) $$(EX_CXXFLAGS) $$(CPPFLAGS) -o $$@ $$< $$(LDFLAGS) $$(RAW_LIBS) $$(LDLIBS)
endef
$(foreach n,$(EX_NAMES),$(foreach v,$(call ex_variants,$(n)),$(if $(call ex_srcs,$(n),$(v)),$(eval $(call \
  $(if $(call ex_is_raw,$(n),$(v)),EX_RAW_RULE,EX_RULE),$(n),$(v))))))

.PHONY: exercises check-exercise

exercises: $(EX_BINS)

# SOLUTION=1 (or yes/true) checks the solution; VARIANT=wrong_NAME one of the wrong
# solutions; anything else (or nothing) the starter.
EX_VARIANT := $(if $(VARIANT),$(VARIANT),$(if $(filter 1 yes true,$(SOLUTION)),solution,starter))
EX_TARGET  := $(if $(filter $(E),$(EX_NAMES)),$(if $(filter $(EX_VARIANT),$(call ex_variants,$(E))),$(BUILD)/exercises/$(E)/$(EX_VARIANT)))

check-exercise: $(EX_TARGET) $(if $(EX_TARGET),$(LESSON_BINS))
	@if [ -z "$(E)" ]; then \
	  echo "usage: make check-exercise E=<name> [SOLUTION=1 | VARIANT=wrong_...]"; echo "exercises: $(EX_NAMES)"; exit 2; \
	elif [ -z "$(EX_TARGET)" ]; then \
	  echo "check-exercise: no exercise '$(E)' with a variant '$(EX_VARIANT)'"; echo "exercises: $(EX_NAMES)"; exit 2; \
	fi
	$(Q)EXERCISE_BIN=$(EX_TARGET) bash exercises/$(E)/check.sh $(EX_VARIANT)

-include $(EX_OBJS:.o=.d) $(if $(EX_PCH),$(EX_PCH).d)
