# mf - memory flame graphs as Unix filters.
#
#   make            build every binary into bin/
#   make check      install what the tests need, build, run every test
#   make demo       install what is missing, build, record examples/demo, write demo.html
#   make bench      benchmarks (ratios against references measured in the same run)
#   make install PREFIX=/usr/local
#
# Each filter lives in its own folder mf-NAME/ and builds into bin/mf-NAME
# from its .c files and build/libmf.a (the shared code in lib/).  A folder
# with special needs (the recorder's preload library, the report's inline
# assets) says so in its own build.mk, included below.

PREFIX ?= /usr/local
CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
MF_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ilib -MMD -MP
# make SANITIZE=1 builds everything with ASan and UBSan into bin-san/ and
# build-san/, so that it never clobbers (or reuses) the normal build.
# Code that runs inside the recorded program (the preload library) compiles
# with SHIM_CFLAGS and links with SHIM_LDFLAGS, which never sanitize: it is
# preloaded into programs that are not sanitized.
SHIM_CFLAGS = $(MF_CFLAGS) $(CFLAGS) -fPIC
SHIM_LDFLAGS := $(LDFLAGS)
ifdef SANITIZE
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += $(SAN_FLAGS)
BIN = bin-san
BUILD = build-san
else
BIN = bin
BUILD = build
endif
ALL_CFLAGS = $(MF_CFLAGS) $(CFLAGS) $(SAN_FLAGS)
LDLIBS_COMMON = -lz -ldeflate -lzstd

# Debian packages: to build, to run the tests, to run the demo.
# libiberty-dev: the demangler of binutils, gdb and valgrind (C++ and both
# Rust schemes), for mf-record's symbolizer.
BUILD_PKGS = gcc g++ make libc6-dev pkg-config zlib1g-dev libdeflate-dev libzstd-dev libunwind-dev libdw-dev libelf-dev libiberty-dev
# npm: installed by browser-deps (mf-html/build.mk) only when no npm command
# exists, since NodeSource's nodejs package ships npm and conflicts with it.
# man-db and groff-base: the test that renders every man page (man -l).
# libc6-dbg: glibc's debug information, for the symbolizer's tests of glibc frames.
# libjemalloc-dev, libgoogle-perftools-dev: allocators that map their own
# chunks (tests/maps.bats).
# zstd: zstd, zstdcat and zstdgrep, which must read what mf-record writes (tests/zstd.bats).
# sqlite3, valgrind, heaptrack: the outside oracles and a real program they
# measure (tests/oracle.bats).
# strace: what mf-record tells the kernel about its capture's pages (tests/record.bats).
# make check also builds and briefly runs the fuzzers (FUZZ_PKGS, below).
TEST_PKGS = bats jq nodejs chromium python3 man-db groff-base libc6-dbg libjemalloc-dev \
	libgoogle-perftools-dev zstd sqlite3 valgrind heaptrack strace $(FUZZ_PKGS)
DEMO_PKGS =
# The benchmarks measure against heaptrack (bench/reduce.sh, bench/record.sh);
# bench/html.sh records a clang++ run.
BENCH_PKGS = heaptrack clang
# make fuzz: clang, and libFuzzer (Debian 12 ships it in libclang-rt-14-dev).
FUZZ_PKGS = clang libclang-rt-14-dev

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBMF = $(BUILD)/libmf.a

FILTER_DIRS = $(patsubst %/,%,$(wildcard mf-*/))
CUSTOM_DIRS = $(patsubst %/build.mk,%,$(wildcard mf*/build.mk))
SIMPLE_DIRS = $(filter-out $(CUSTOM_DIRS),$(FILTER_DIRS))
# A folder that has no sources yet builds nothing.
SIMPLE_BINS = $(foreach d,$(SIMPLE_DIRS),$(if $(wildcard $(d)/*.c),$(BIN)/$(d)))

# build.mk files append their targets to PROGRAMS.
PROGRAMS = $(SIMPLE_BINS)

.PHONY: all check test demo bench install clean deps deps-build deps-test fuzz
all: $(LIBMF) programs

include $(wildcard mf*/build.mk)
include $(wildcard tests/build.mk)
include $(wildcard bench/build.mk)

.PHONY: programs
programs: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBMF): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

define simple_filter
$(BIN)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIBMF)
	@mkdir -p $(BIN)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS_COMMON)
endef
$(foreach d,$(SIMPLE_DIRS),$(if $(wildcard $(d)/*.c),$(eval $(call simple_filter,$(d)))))

deps-build:
	@scripts/need-packages $(BUILD_PKGS)

deps-test: deps-build
	@scripts/need-packages $(TEST_PKGS)

deps: deps-test

# Recursive make so the build sees the packages deps-build just installed.
# The tests find the programs through MF_BIN and MF_BUILD (tests/helpers.bash).
# Every fuzzing harness is built and run CHECK_FUZZ_SECONDS (as many at a
# time as there are CPUs, tests/fuzz/run), so that they keep compiling and
# finding nothing; only once, without SANITIZE: they have ASan and UBSan
# of their own.  The suite runs last: its summary line
# ends the output.
CHECK_FUZZ_SECONDS = 10
# make check builds on every CPU, unless make was given its own -j; the
# suite runs as many test files at a time (tests/run).
CHECK_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))
# The sanitized pass leaves out the tests tagged browser and slow (tests/run).
ifdef SANITIZE
SUITE_ARGS = --leave-out browser,slow
endif
# The test programs are never sanitized (TEST_PROG_FLAGS: mf records them,
# and what it records are plain programs), so the sanitized pass starts
# from copies of those the plain build made, dates kept: make builds again
# only what is out of date.  The test tools that link mf's own code
# (TEST_TOOLS, tests/tools/build.mk) are sanitized: never copied.
ifdef SANITIZE
SHARE_PLAIN_TESTS = if [ -d build/tests ]; then mkdir -p $(BUILD)/tests && \
	find build/tests -maxdepth 1 -type f $(foreach t,$(notdir $(TEST_TOOLS)),! -name $(t)) \
		-exec cp -pu -t $(BUILD)/tests {} +; fi
endif
check: deps-test
	@$(SHARE_PLAIN_TESTS)
	@$(MAKE) --no-print-directory $(CHECK_JOBS) all test-programs
ifndef SANITIZE
	@$(MAKE) --no-print-directory $(CHECK_JOBS) fuzz-harnesses
	@tests/fuzz/run $(CHECK_FUZZ_SECONDS)
endif
	@MF_BIN=$(BIN) MF_BUILD=$(BUILD) tests/run $(SUITE_ARGS)

test: all test-programs
	@MF_BIN=$(BIN) MF_BUILD=$(BUILD) tests/run $(SUITE_ARGS)

# Each harness of tests/fuzz/ runs FUZZ_SECONDS (default 60) under libFuzzer
# with ASan and UBSan; see tests/fuzz/build.mk.
fuzz:
	@scripts/need-packages $(FUZZ_PKGS)
	@$(MAKE) --no-print-directory fuzz-harnesses
	@tests/fuzz/run $(FUZZ_SECONDS)

demo: deps-build
	@$(MAKE) --no-print-directory all $(BUILD)/examples/demo
	$(BIN)/mf-record -f -o demo.mft.gz $(BUILD)/examples/demo
	$(BIN)/mf-peak demo.mft.gz | $(BIN)/mf-html -f -o demo.html
	@echo "wrote demo.html (peak memory flame graph of examples/demo.c); open it in a browser"

$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) -O0 -g -fno-omit-frame-pointer -o $@ $<

bench: deps-test
	@scripts/need-packages $(BENCH_PKGS)
	@$(MAKE) --no-print-directory all
	@bench/run

# The man pages: each program's beside its code, mf/mf.1 and mf-NAME/mf-NAME.1.
MAN_PAGES = $(wildcard mf/mf.1 mf-*/mf-*.1)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/mf
	install -m 755 $(filter $(BIN)/mf%,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	$(INSTALL_EXTRA)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf bin build bin-san build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
