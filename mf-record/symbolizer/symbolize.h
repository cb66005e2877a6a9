/*
 * symbolize.h - turn return addresses of a recorded process into frames,
 * with elfutils libdw, outside the recorded process.
 *
 * The recorder learns the recorded process's modules from its own events
 * (path and load bias, as dl_iterate_phdr gives them) and tells the
 * symbolizer, which opens each module's file at once, through the process
 * while it still maps it (sym_open.h), and later, in the order of the
 * events, maps it: the file read is the one mapped,
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
 * inflate_debug.c; link with -ldw -lelf -lz -ldeflate -liberty (the
 * demangler of binutils and gdb: C++, and Rust's legacy and v0 names).
 */
#ifndef MF_SYMBOLIZE_H
#define MF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;

struct sym_frame {
	/*
	 * Demangled, with parameters for C++ ("ns::Cls::method(int)"); Rust
	 * names without their hash ("<T as core::clone::Clone>::clone").
	 * Without a symbol, "MODULE+0xOFF": the module's file name and the
	 * offset from the load bias, lower-case hex, of the start of the
	 * function holding the call site (from .eh_frame_hdr, checked by
	 * .eh_frame), else of the call site; outside every module, "0xADDR":
	 * the call site's address.
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
 * addresses [start, end): open it now, while the process maps it, and
 * return the module's number, for symbolizer_map_module.  build_id
 * (idlen bytes, 0 when unknown) is the module's build id as the process
 * has it in memory: only a file with that build id is read (sym_open.h).
 * A file that
 * cannot be read is not an error: its addresses come out as
 * "MODULE+0xOFF", and the first lookup in it prints one line on stderr
 * ("PROG: cannot read module 'PATH': REASON").  A file opened before
 * under the same path and bias, with the same build id (or, without one,
 * the same device and inode), is read once for both.
 */
uint32_t symbolizer_open_module(struct symbolizer *s, const char *path,
				uint64_t bias, uint64_t start, uint64_t end,
				const unsigned char *build_id, size_t idlen);

/*
 * From now on, addresses in module id's range are looked up in it:
 * mapping a module makes a new view (symbolizer_view), in which it is in
 * front of every module mapped before it.  Call it in the order of the
 * process's events: a library unloaded and another loaded at the same
 * place are two modules, each in front in its time.  Returns 1 when the
 * module went over another still in front somewhere in its range (the
 * cached lookups of its range are forgotten), else 0 (a module mapped
 * again over itself is not over another).  Mapping a module twice is
 * harmless.
 */
int symbolizer_map_module(struct symbolizer *s, uint32_t id);

/* The range of module id, as opened. */
void symbolizer_module_range(const struct symbolizer *s, uint32_t id,
			     uint64_t *start, uint64_t *end);

struct hash;
/*
 * Forget, in h, a table keyed by return address (pc, as looked up), the
 * entries whose call (pc - 1) is in [start, end): what a caller that
 * keeps frames of its own does with a module's range when
 * symbolizer_map_module returned 1, as the symbolizer does with its own.
 */
void symbolizer_forget_range(struct hash *h, uint64_t start, uint64_t end);

/* Open and map at once (for a driver that sees modules in order). */
void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end);

/* The current view: the number of mappings so far. */
uint64_t symbolizer_view(const struct symbolizer *s);
/* The last view in which a module went over another; lookups as of a view
   at or after it are the current ones.  0 when none did. */
uint64_t symbolizer_shadowed(const struct symbolizer *s);

/*
 * Frames for the return address pc (the address after a call; the call
 * site looked up is pc - 1), in the current view.  Inlined calls are
 * expanded: frames[0] is the innermost (the inlined callee's call site),
 * the last is the function the address is really in.  Returns the number
 * of frames (at least 1); the array is valid until the next call.
 * Results are cached per address (and forgotten for a range another
 * module is mapped over), except that an address in no module is not
 * cached, so mapping its module later resolves it.  This function can't
 * fail.
 */
size_t symbolizer_lookup(struct symbolizer *s, uint64_t pc,
			 const struct sym_frame **frames);

/*
 * As symbolizer_lookup, as of an earlier view: for a stack first used
 * before another module was mapped over its module.  Not cached when
 * view is before symbolizer_shadowed().
 */
size_t symbolizer_lookup_in(struct symbolizer *s, uint64_t pc, uint64_t view,
			    const struct sym_frame **frames);

#endif
