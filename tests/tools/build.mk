# tests/tools: test-only drivers, and the test programs that need more than
# tests/build.mk's generic rule.  Built by `make test-programs`.

# symtest: the symbolizer of mf-record driven from text (tests/symbolize.bats).
SYMTEST = $(BUILD)/tests/symtest
SYMTEST_LIBS = -ldw -lelf -liberty

$(SYMTEST): $(BUILD)/tests/tools/symtest.o $(SYMBOLIZER_SRC:%.c=$(BUILD)/%.o) $(LIBMF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SYMTEST_LIBS) $(LDLIBS_COMMON)

# inflatetest: mf-record's inflating copy of debug files (tests/symbolize.bats).
INFLATETEST = $(BUILD)/tests/inflatetest
$(INFLATETEST): $(BUILD)/tests/tools/inflatetest.o $(BUILD)/mf-record/symbolizer/inflate_debug.o $(LIBMF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_COMMON)

# The sym_* programs share a header the generic rule does not know about.
SYM_PROGS = $(filter $(BUILD)/tests/sym_%,$(TEST_PROGS))
$(SYM_PROGS): tests/progs/sym_common.h

# Inlining needs the optimiser: -O2, so that outer() and inner() are
# expanded into main() and one return address stands for three frames.
$(BUILD)/tests/sym_inline: tests/progs/sym_inline.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -o $@ $<

# sym_c as a position-dependent executable (loaded at its link address,
# bias 0) and stripped of every symbol.
$(BUILD)/tests/sym_c_nopie: tests/progs/sym_c.c tests/progs/sym_common.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -no-pie -o $@ $<

$(BUILD)/tests/sym_c_stripped: $(BUILD)/tests/sym_c
	strip --strip-all -o $@ $<

# The library sym_dl loads: with debug information; stripped bare; and
# stripped with its debug information in a separate file found by build id
# (then checked against it) or, without a build id, by its debuglink CRC;
# and split with the debug file's sections compressed, as distributions
# ship them.
SYM_DL = $(BUILD)/tests/libsym_dl
SYM_DL_LIBS = $(SYM_DL).so $(SYM_DL)_stripped.so $(SYM_DL)_split.so $(SYM_DL)_crc.so \
	$(SYM_DL)_zlib.so

$(SYM_DL).so: tests/tools/sym_dl_lib.c tests/progs/sym_common.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -shared -fPIC -o $@ $<

$(SYM_DL)_stripped.so: $(SYM_DL).so
	strip --strip-all -o $@ $<

$(SYM_DL)_zlib.so: KEEP_DEBUG_FLAGS = --compress-debug-sections=zlib
$(SYM_DL)_split.so $(SYM_DL)_zlib.so: $(SYM_DL).so
	objcopy --only-keep-debug $(KEEP_DEBUG_FLAGS) $< $@.debug
	objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@

$(SYM_DL)_crc.so: tests/tools/sym_dl_lib.c tests/progs/sym_common.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -shared -fPIC -Wl,--build-id=none -o $@.full $<
	objcopy --only-keep-debug $@.full $@.debug
	objcopy --strip-all --add-gnu-debuglink=$@.debug $@.full $@
	rm -f $@.full

# The test tools that link mf's own code, sanitized with it (make
# SANITIZE=1): the Makefile's check never copies them from the plain build.
TEST_TOOLS = $(SYMTEST) $(INFLATETEST)

test-programs: $(SYMTEST) $(INFLATETEST) $(SYM_DL_LIBS) $(BUILD)/tests/sym_c_nopie $(BUILD)/tests/sym_c_stripped

# The library tests/progs/sym_load loads, and a decoy of the same shape
# whose functions have other names.
SYM_LOAD_LIBS = $(BUILD)/tests/libsym_load.so $(BUILD)/tests/libsym_load_decoy.so
$(BUILD)/tests/libsym_load.so: tests/tools/sym_load_lib.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -shared -fPIC -o $@ $<
$(BUILD)/tests/libsym_load_decoy.so: tests/tools/sym_load_lib.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -DDECOY -shared -fPIC -o $@ $<

test-programs: $(SYM_LOAD_LIBS)

# The plugins tests/progs/sym_plugins loads and unloads: one source, two
# names, the same code.
SYM_PLUGINS = $(BUILD)/tests/libplugin_a.so $(BUILD)/tests/libplugin_b.so
$(BUILD)/tests/libplugin_%.so: tests/tools/sym_plugin_lib.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(TEST_PROG_FLAGS) -DPLUGIN=$* -shared -fPIC -o $@ $<

test-programs: $(SYM_PLUGINS)

# sym_strip stripped of every symbol: frames named by the unwind tables.
$(BUILD)/tests/sym_strip_stripped: $(BUILD)/tests/sym_strip
	strip --strip-all -o $@ $<

test-programs: $(BUILD)/tests/sym_strip_stripped
