/*
 * symbolize.h - turn return addresses of a recorded process into frames,
 * with elfutils libdw, outside the recorded process.
 *
 * The recorder learns the recorded process's modules from its own events
 * (path and load bias, as dl_iterate_phdr gives them) and tells the
 * symbolizer; the process may be gone by the time addresses are looked up,
 * so nothing here reads /proc/PID.
 *
 * Ownership: the symbolizer owns every string it returns; they stay valid
 * until symbolizer_free().  Equal strings may share storage.
 */
#ifndef MF_SYMBOLIZE_H
#define MF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct sym_frame {
	const char *function;	/* demangled; "MODULE+0xOFF" or "0xADDR" when unknown */
	const char *file;	/* source file of the call site, or NULL */
	unsigned line;		/* line of the call site, or 0 */
	const char *module;	/* path of the module, or NULL when unknown */
};

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/*
 * The file at path is mapped with load bias bias (dlpi_addr) over the
 * addresses [start, end).  Adding a module again (same path and bias) is
 * harmless.  A file that cannot be read is not an error: its addresses
 * come out as "MODULE+0xOFF".
 */
void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end);

/*
 * Frames for the return address pc (the address after a call; the call
 * site looked up is pc - 1).  Inlined calls are expanded: frames[0] is the
 * innermost (the inlined callee's call site), the last is the function the
 * address is really in.  Returns the number of frames (at least 1); the
 * array is valid until the next call.  Results are cached per address.
 * This function can't fail.
 */
size_t symbolizer_lookup(struct symbolizer *s, uint64_t pc,
			 const struct sym_frame **frames);

#endif
