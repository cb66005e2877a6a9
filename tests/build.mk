# Test programs: tests/progs/NAME.c or NAME.cc builds build/tests/NAME,
# unoptimised and with debug information so that their stacks and lines are
# exactly what the source says.
TEST_PROG_SRC = $(wildcard tests/progs/*.c tests/progs/*.cc)
TEST_PROGS = $(patsubst tests/progs/%,$(BUILD)/tests/%,$(basename $(TEST_PROG_SRC)))
TEST_PROG_FLAGS = -O0 -g -fno-omit-frame-pointer -fno-inline -pthread
# diff.bats compares two builds of one program: diff_builds (the base) and
# diff_builds_new, built from the same source with -DNEW.
TEST_PROGS += $(BUILD)/tests/diff_builds_new

.PHONY: test-programs
test-programs: $(TEST_PROGS)

$(BUILD)/tests/diff_builds_new: tests/progs/diff_builds.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -DNEW -o $@ $< -ldl

$(BUILD)/tests/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -o $@ $< -ldl

$(BUILD)/tests/%: tests/progs/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(TEST_PROG_FLAGS) -o $@ $< -ldl
include tests/tools/build.mk
include tests/fuzz/build.mk
