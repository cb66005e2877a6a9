# mf-record/build.mk - the recorder is two binaries: the preload library
# (bin/libmf-record.so, built by the shim's block, which goes above this
# one) and the launcher below.

# --- shim block (owned by the shim's author) --------------------------------
# The preload library: position-independent, only the interposed functions
# exported (-fvisibility=hidden, hooks marked default).  Never sanitized: it
# runs inside other programs, before any sanitizer runtime could.  No
# builtin malloc/calloc/free: GCC must not turn the hooks' own code into
# calls of the functions they define.  Link-time optimisation inlines the
# ring writer into the hooks (code is generated at link: same flags there).
SHIM_SRC = $(wildcard mf-record/shim*.c)
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
# --- end of the shim block; the launcher block goes below -------------------

# The launcher: starts the program with the shim preloaded, reads its events
# from shared memory, symbolizes them with libdw (debug files inflated with
# libdeflate first) and writes the event stream.
# -lstdc++ gives the symbolizer __cxa_demangle.
# The symbolizer is symbolize.c, inflate_debug.c and mf-record/sym_*.c.
SYMBOLIZER_SRC = mf-record/symbolize.c mf-record/inflate_debug.c $(wildcard mf-record/sym_*.c)
MF_RECORD_SRC = mf-record/mf-record.c $(SYMBOLIZER_SRC) \
	$(wildcard mf-record/launch_*.c mf-record/writer_*.c)
$(BIN)/mf-record: $(MF_RECORD_SRC:%.c=$(BUILD)/%.o) $(LIBMF)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ -ldw -lelf -lz -ldeflate -lstdc++
PROGRAMS += $(BIN)/mf-record
# make install: the launcher finds the shim in ../lib/mf/ next to its bin/.
INSTALL_EXTRA = install -m 644 $(BIN)/libmf-record.so $(DESTDIR)$(PREFIX)/lib/mf/
