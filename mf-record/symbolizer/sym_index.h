/*
 * sym_index.h - one module's indexes for looking addresses up, for the
 * symbolizer (symbolize.h): which function symbol holds an address,
 * which DWARF function and inlined calls do, and, when neither does,
 * where the unwind tables say its function starts.
 *
 * libdwfl answers both, but slowly for this use: dwfl_module_addrinfo
 * scans the whole symbol table on every call (150 us an address in a
 * stripped libstdc++), and dwarf_getscopes walks a CU's DIE tree from its
 * root for every address (13 ms in a C++ CU built with -O2).  An index
 * reads the symbol table once, at the first symbol lookup, into a sorted
 * array, and each CU once, at its first lookup, into a sorted list of its
 * functions' code ranges; an address then costs a binary search (and a
 * walk down one function's body).  The index also finds functions
 * dwarf_getscopes misses, like a lambda's operator(), which GCC nests in
 * the enclosing function's DIE but not in its code range.
 *
 *	x = sym_index_new(dwmod);
 *	name = sym_index_symbol(x, addr);
 *	n = sym_index_inline_chain(x, cu, cu_addr, &fn, chain, max);
 *	if (sym_index_function_start(x, addr, &start)) ...
 *	sym_index_free(x);
 *
 * Ownership: the index belongs to the caller; the module, the names and
 * the DIEs it returns belong to libdwfl and live as long as the Dwfl.
 */
#ifndef MF_SYM_INDEX_H
#define MF_SYM_INDEX_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

struct sym_index;

/* An empty index of dwmod, filled in as lookups need it. */
struct sym_index *sym_index_new(Dwfl_Module *dwmod);
void sym_index_free(struct sym_index *x);

/*
 * The name (as in the symbol table: maybe mangled) of the function symbol
 * containing addr (an address in the process, bias included), or NULL.
 * Of several names at one address a global one wins, then a weak one.
 */
const char *sym_index_symbol(struct sym_index *x, uint64_t addr);

/*
 * The function containing addr (relative to cu, the CU DIE holding it)
 * and the inlined calls around addr in it: *fn, and chain[0 .. n) the
 * DW_TAG_inlined_subroutine DIEs outermost first, at most max of them.
 * Returns n, or -1 when no function of cu contains addr.
 */
int sym_index_inline_chain(struct sym_index *x, Dwarf_Die *cu, Dwarf_Addr addr,
			   Dwarf_Die *fn, Dwarf_Die *chain, int max);

/*
 * The start of the function holding addr (in the process, bias
 * included) from the module's unwind tables, which cover every function
 * even in a stripped program: 1 and *start, or 0 when no entry of
 * .eh_frame covers addr or the module has no .eh_frame_hdr table.
 */
int sym_index_function_start(struct sym_index *x, uint64_t addr, uint64_t *start);

#endif
