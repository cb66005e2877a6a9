# tests/fuzz/build.mk - libFuzzer harnesses for the readers of lib/.
#
# make fuzz (in the Makefile) installs FUZZ_PKGS, builds every harness here
# into build-fuzz/ with clang, ASan and UBSan, and runs tests/fuzz/run.  The
# harnesses are not part of `make`: a normal build needs no clang.
# A harness is tests/fuzz/fuzz_NAME.c; its seeds are tests/fuzz/corpus/NAME/
# and the inputs that once crashed it tests/fuzz/regress/NAME/.
FUZZ_CC = clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build-fuzz
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-fsanitize=address,undefined
FUZZ_CFLAGS = $(MF_CFLAGS) -Itests/fuzz $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link
FUZZ_HARNESSES = $(patsubst tests/fuzz/fuzz_%.c,$(FUZZ_BUILD)/fuzz_%,\
	$(filter-out tests/fuzz/fuzz.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/tests/fuzz/fuzz.o

.PHONY: fuzz-harnesses
fuzz-harnesses: $(FUZZ_HARNESSES)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ -lz

.PRECIOUS: $(FUZZ_BUILD)/%.o

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
