# mf-record/build.mk - the recorder is two binaries: the preload library
# (bin/libmf-record.so, from tracker/) and the launcher (bin/mf-record,
# from mf-record.c, launcher/, writer/ and symbolizer/).  mf-record/README.md
# says which folder does what.

# The preload library: position-independent, only the interposed functions
# exported (-fvisibility=hidden, hooks marked default).  Never sanitized: it
# runs inside other programs, before any sanitizer runtime could.  No
# builtin malloc/calloc/free: GCC must not turn the hooks' own code into
# calls of the functions they define.  Link-time optimisation inlines the
# ring writer into the hooks (code is generated at link: same flags there).
SHIM_SRC = $(wildcard mf-record/tracker/*.c)
SHIM_OBJ = $(SHIM_SRC:%.c=$(BUILD)/shim/%.o)
SHIM_CODEGEN = $(filter-out $(SAN_FLAGS),$(CFLAGS)) -fPIC -fvisibility=hidden -flto \
	-fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc -fno-builtin-free
$(BUILD)/shim/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(MF_CFLAGS) $(SHIM_CODEGEN) -c -o $@ $<
$(BIN)/libmf-record.so: $(SHIM_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(SHIM_CODEGEN) $(filter-out $(SAN_FLAGS),$(LDFLAGS)) -shared -Wl,-z,now \
		-o $@ $^ -lunwind -ldl -pthread
PROGRAMS += $(BIN)/libmf-record.so

# The launcher: starts the program with the shim preloaded, reads its events
# from shared memory, symbolizes them with libdw (debug files inflated with
# libdeflate first) and writes the event stream.
# -liberty (libiberty-dev) gives the symbolizer the C++ and Rust demanglers
# of binutils, gdb and valgrind.
# The symbolizer (mf-record/symbolizer/) is also linked into tests/tools/symtest.
SYMBOLIZER_SRC = $(wildcard mf-record/symbolizer/*.c)
MF_RECORD_SRC = mf-record/mf-record.c $(SYMBOLIZER_SRC) \
	$(wildcard mf-record/launcher/*.c mf-record/writer/*.c)
$(BIN)/mf-record: $(MF_RECORD_SRC:%.c=$(BUILD)/%.o) $(LIBMF)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ -ldw -lelf -lz -ldeflate -lzstd -liberty
PROGRAMS += $(BIN)/mf-record
# make install: the launcher finds the shim in ../lib/mf/ next to its bin/.
INSTALL_EXTRA = install -m 644 $(BIN)/libmf-record.so $(DESTDIR)$(PREFIX)/lib/mf/
