/*
 * sym_debuginfo.h - a libdwfl session that finds modules' separate debug
 * files offline, for the symbolizer (symbolize.h).
 *
 * Modules are reported to it from their own files (dwfl_report_elf with
 * a descriptor): it never looks for a module's file.  A module's debug
 * information is in the module's file, or in a separate debug file found
 * the way gdb finds it, and nowhere else:
 *
 *	/usr/lib/debug/.build-id/NN/NNNN....debug	by the module's build id
 *	DIR/LINK, DIR/.debug/LINK, /usr/lib/debug/DIR/LINK
 *		by its .gnu_debuglink LINK, DIR the folder of the module's
 *		(absolute) path; LINK itself when it is absolute
 *
 * A candidate must carry the module's build id, or, when the module has
 * none, match the debuglink's CRC.  Only regular files are opened (never
 * a FIFO).  The file found is handed to libdw with its compressed
 * sections already inflated (inflate_debug.h).  debuginfod is never
 * asked: the standard libdwfl callback would ask the network when
 * DEBUGINFOD_URLS is set, and a recording must not wait on a server (or
 * leak paths to one).
 */
#ifndef MF_SYM_DEBUGINFO_H
#define MF_SYM_DEBUGINFO_H

#include <elfutils/libdwfl.h>

/* A new session (dwfl_end frees it), or NULL if libdwfl cannot start one. */
Dwfl *sym_debuginfo_begin(void);

#endif
