# mf/build.mk - the front door: bin/mf runs the mf-* programs beside it.
# (The generic rule only builds mf-*/ folders.)
$(BIN)/mf: $(patsubst %.c,$(BUILD)/%.o,$(wildcard mf/*.c)) $(LIBMF)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_COMMON)
PROGRAMS += $(BIN)/mf
