# tests/fuzz/build.mk - libFuzzer harnesses for the readers of lib/ (and
# mf-record's inflating copy of debug files).
#
# make fuzz (in the Makefile) installs FUZZ_PKGS, builds every harness here
# into build-fuzz/ with clang, ASan and UBSan, and runs tests/fuzz/run;
# make check does the same for 10 s a harness.  The harnesses are not part
# of `make`: a normal build needs no clang.
# A harness is tests/fuzz/fuzz_NAME.c; its seeds are tests/fuzz/corpus/NAME/
# and the inputs that once crashed it tests/fuzz/regress/NAME/.
FUZZ_CC = clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build-fuzz
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-fsanitize=address,undefined
# INPUT_SINGLE_THREAD: a filter's input error longjmps out of its main,
# and track.c frees what it left; a decompressing thread of lib/input.c
# would still be reading.  The harnesses read inputs small enough to need none.
FUZZ_CFLAGS = $(MF_CFLAGS) -Itests/fuzz $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -DINPUT_SINGLE_THREAD
FUZZ_HARNESSES = $(patsubst tests/fuzz/fuzz_%.c,$(FUZZ_BUILD)/fuzz_%,\
	$(filter-out tests/fuzz/fuzz_prog.c tests/fuzz/fuzz.c tests/fuzz/track.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/tests/fuzz/fuzz.o

# fuzz_inflate also links the one recorder file it drives.
$(FUZZ_BUILD)/fuzz_inflate: $(FUZZ_BUILD)/mf-record/symbolizer/inflate_debug.o

# Whole filters: fuzz_prog.c calls the filter's main (renamed mf_main)
# once per input, so a filter qualifies only if main keeps no state from
# one call to the next.  mf-html does not (its report is a static in main),
# so only its reader is fuzzed, by fuzz_folded.
FUZZ_FILTERS = $(filter mf-peak mf-leaks mf-fold mf-invert mf-temporal mf-diff,\
	$(patsubst %/,%,$(wildcard mf-*/)))
FUZZ_HARNESSES += $(FUZZ_FILTERS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz-harnesses
fuzz-harnesses: $(FUZZ_HARNESSES)

define fuzz_filter
$(FUZZ_BUILD)/prog/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -Dmain=mf_main -c -o $$@ $$<
$(FUZZ_BUILD)/prog/$(1)/fuzz_prog.o: tests/fuzz/fuzz_prog.c
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -DFUZZ_PROG='"$(1)"' -c -o $$@ $$<
$(FUZZ_BUILD)/prog/$(1).o: $(FUZZ_BUILD)/prog/$(1)/fuzz_prog.o \
		$(patsubst $(1)/%.c,$(FUZZ_BUILD)/prog/$(1)/%.o,$(wildcard $(1)/*.c)) \
		$(if $(filter mf-html,$(1)),$(FUZZ_BUILD)/prog/mf-html/assets.o) \
		$(FUZZ_LIB_OBJ) $(FUZZ_BUILD)/tests/fuzz/track.o
	ld -r $$(FUZZ_WRAP) -o $$@ $$^
$(FUZZ_BUILD)/fuzz_$(1): $(FUZZ_BUILD)/prog/$(1).o
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -fsanitize=fuzzer -o $$@ $$^ -lz -ldeflate -lzstd
endef
$(foreach f,$(FUZZ_FILTERS),$(eval $(call fuzz_filter,$(f))))
# Only the filter's own objects (one relocatable link) get the wrappers of
# track.c, never libFuzzer's runtime.
FUZZ_WRAP = --wrap=malloc --wrap=calloc --wrap=realloc --wrap=free \
	--wrap=gzdopen --wrap=gzclose

$(FUZZ_BUILD)/prog/mf-html/assets.o: $(BUILD)/mf-html/assets.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ -lz -ldeflate -lzstd

.PRECIOUS: $(FUZZ_BUILD)/%.o

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
