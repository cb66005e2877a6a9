/*
 * symbolize.h - turn return addresses of a recorded process into frames,
 * with elfutils libdw, outside the recorded process.
 *
 * The recorder learns the recorded process's modules from its own events
 * (path and load bias, as dl_iterate_phdr gives them) and tells the
 * symbolizer, which opens each module's file at once, through the process
 * while it still maps it (sym_open.h): the file read is the one mapped,
 * even if its path now names another file, a FIFO, or is relative to the
 * program's working directory.  Addresses are looked up later, when the
 * process may be gone: nothing else here reads /proc/PID.
 *
 * Ownership: the symbolizer owns every string it returns; they stay valid
 * until symbolizer_free().  Equal strings share storage (they are
 * interned).  One symbolizer is not safe to use from two threads at once.
 *
 * Debug information comes from the module's file or a separate debug file
 * (by build id under /usr/lib/debug/.build-id, or by .gnu_debuglink next
 * to the file, in its .debug/ folder or under /usr/lib/debug), never from
 * the network: debuginfod is not asked even when DEBUGINFOD_URLS is set.
 *
 * The symbolizer is symbolize.c with sym_open.c (module files),
 * sym_debuginfo.c (debug files), sym_index.c (lookups in a module) and
 * inflate_debug.c; link with -ldw -lelf -lz -ldeflate -lstdc++
 * (__cxa_demangle).
 */
#ifndef MF_SYMBOLIZE_H
#define MF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;

struct sym_frame {
	/*
	 * Demangled, with parameters for C++ ("ns::Cls::method(int)").
	 * Without a symbol, "MODULE+0xOFF": the module's file name and the
	 * call site's offset from the load bias, lower-case hex; outside
	 * every module, "0xADDR": the call site's address.
	 */
	const char *function;
	/* Source file of the call site (absolute when DWARF names the
	   compilation directory), or NULL; its line, or 0. */
	const char *file;
	unsigned line;
	const char *module;	/* path of the module as added, or NULL when unknown */
};

/*
 * For the modules of process pid; 0 for none (module files are then read
 * by path).  Each module's file is open from when it is added to its
 * first lookup, so this raises the calling process's soft limit of open
 * files to its hard limit.
 */
struct symbolizer *symbolizer_new(pid_t pid);
void symbolizer_free(struct symbolizer *s);

/*
 * The file at path is mapped with load bias bias (dlpi_addr) over the
 * addresses [start, end).  Adding a module again (same path and bias) is
 * harmless.  A file that cannot be read is not an error: its addresses
 * come out as "MODULE+0xOFF", and the first lookup in it prints one line
 * on stderr ("PROG: cannot read module 'PATH': REASON").
 */
void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end);

/*
 * Frames for the return address pc (the address after a call; the call
 * site looked up is pc - 1).  Inlined calls are expanded: frames[0] is the
 * innermost (the inlined callee's call site), the last is the function the
 * address is really in.  Returns the number of frames (at least 1); the
 * array is valid until the next call.  Results are cached per address:
 * an address is resolved against the modules known at its first lookup,
 * except that an address in no module is not cached, so adding its module
 * later resolves it.  This function can't fail.
 */
size_t symbolizer_lookup(struct symbolizer *s, uint64_t pc,
			 const struct sym_frame **frames);

#endif
