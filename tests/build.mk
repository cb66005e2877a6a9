# Test programs: tests/progs/NAME.c or NAME.cc builds build/tests/NAME,
# unoptimised and with debug information so that their stacks and lines are
# exactly what the source says.
TEST_PROG_SRC = $(wildcard tests/progs/*.c tests/progs/*.cc)
TEST_PROGS = $(patsubst tests/progs/%,$(BUILD)/tests/%,$(basename $(TEST_PROG_SRC)))
TEST_PROG_FLAGS = -O0 -g -fno-omit-frame-pointer -fno-inline -pthread
# Each program's headers (proto.h, by_hand.h, ...) are in build/tests/NAME.d:
# a program built before its header changed is built again, not run stale.
TEST_PROG_DEPS = -MMD -MP -MF $@.d
# diff.bats compares two builds of one program: diff_builds (the base) and
# diff_builds_new, built from the same source with -DNEW.
TEST_PROGS += $(BUILD)/tests/diff_builds_new

.PHONY: test-programs
test-programs: $(TEST_PROGS)

$(BUILD)/tests/diff_builds_new: tests/progs/diff_builds.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) $(TEST_PROG_DEPS) -DNEW -o $@ $< -ldl

$(BUILD)/tests/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) $(TEST_PROG_DEPS) -o $@ $< -ldl $(TEST_PROG_LIBS)

# Programs linked with another allocator (Debian's libjemalloc-dev,
# libgoogle-perftools-dev: TEST_PKGS).
$(BUILD)/tests/maps_jemalloc: TEST_PROG_LIBS = -ljemalloc
$(BUILD)/tests/maps_tcmalloc: TEST_PROG_LIBS = -ltcmalloc_minimal
$(BUILD)/tests/maps_jemalloc $(BUILD)/tests/maps_tcmalloc: tests/progs/maps_blocks.h

# shim_dump reads the shared memory's layout: a new proto.h is a new program.
$(BUILD)/tests/shim_dump: mf-record/proto.h

# A statically linked program, which mf-record -p refuses (tests/attach.bats).
$(BUILD)/tests/attach_static: tests/progs/attach_static.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) $(TEST_PROG_DEPS) -static -o $@ $<

$(BUILD)/tests/%: tests/progs/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(TEST_PROG_FLAGS) $(TEST_PROG_DEPS) -o $@ $< -ldl
-include $(TEST_PROGS:=.d)
# New rules or flags here are new programs.
$(TEST_PROGS) $(BUILD)/tests/attach_static: tests/build.mk
include tests/tools/build.mk
include tests/fuzz/build.mk

# Shared libraries a test preloads beside mf's tracker: tests/libs/NAME.c
# builds build/tests/libNAME.so.
TEST_LIB_SRC = $(wildcard tests/libs/*.c)
TEST_LIBS = $(patsubst tests/libs/%.c,$(BUILD)/tests/lib%.so,$(TEST_LIB_SRC))
test-programs: $(TEST_LIBS)

$(BUILD)/tests/lib%.so: tests/libs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O0 -g -shared -fPIC -o $@ $<
