/*
 * sym_index.c - one module's indexes for looking addresses up: its
 * function symbols sorted by address, per CU the code ranges of its
 * functions, walked down to the inlined calls at an address, and the
 * function starts of its unwind tables (sym_index.h).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "sym_index.h"

/* The code range of a function DIE; a function can have several. */
struct fn_range {
	Dwarf_Addr lo, hi;	/* CU-relative, [lo, hi) */
	Dwarf_Die die;
};

/* The functions of one CU, by lo. */
struct cu_index {
	struct fn_range *fns;
	size_t n;
};

/*
 * A function in a symbol table: [start, start + size); a symbol without a
 * size runs to the end of its section, size 0 if even that is unknown.
 */
struct symbol {
	uint64_t start, size;
	const char *name;	/* owned by libdwfl */
	int rank;		/* which name wins at one address: higher */
};

struct sym_index {
	Dwfl_Module *dwmod;
	struct symbol *symbols;	/* by start; read at the first need */
	size_t nsymbols;
	int symbols_read;
	struct hash cus;	/* CU DIE offset -> index in cu_indexes */
	struct cu_index *cu_indexes;
	size_t ncu, cu_cap;
	/* .eh_frame_hdr's table of function starts, or NULL; read at the first need */
	const unsigned char *starts;
	uint32_t nstarts;
	int starts_read;
	uint64_t starts_base;	/* where .eh_frame_hdr is, in the process */
};

struct sym_index *sym_index_new(Dwfl_Module *dwmod)
{
	struct sym_index *x = xcalloc(1, sizeof(*x));

	x->dwmod = dwmod;
	x->cus = (struct hash)HASH_INIT;
	return x;
}

void sym_index_free(struct sym_index *x)
{
	if (!x)
		return;
	free(x->symbols);
	for (size_t i = 0; i < x->ncu; i++)
		free(x->cu_indexes[i].fns);
	free(x->cu_indexes);
	hash_release(&x->cus);
	free(x);
}

/*
 * The number of entries of a sorted table (n of them) that start at or
 * before addr: the index of the first one starting after it.  start(table,
 * i) says where entry i starts.
 */
static size_t first_after(const void *table, size_t n,
			  uint64_t (*start)(const void *table, size_t i), uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (start(table, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- symbol tables ---- */

/*
 * dwfl_module_addrinfo scans the whole symbol table on every call, which
 * makes a stripped libstdc++ cost 150 us an address; a sorted copy of the
 * function symbols makes it a binary search.
 */

static int symbol_rank(const GElf_Sym *sym)
{
	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
		return 3;
	case STB_WEAK:
		return 2;
	default:
		return 1;
	}
}

static int by_start(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)		/* the preferred name first */
		return y->rank - x->rank;
	return strcmp(x->name, y->name);
}

/*
 * Where the section holding a sizeless symbol ends: such a symbol (an
 * assembler function without .size, like _init) covers no further.
 */
static uint64_t section_end(Elf *elf, GElf_Word shndx, Dwarf_Addr bias,
			    uint64_t start)
{
	Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
	GElf_Shdr shdr;

	if (!scn || !gelf_getshdr(scn, &shdr))
		return start;
	return shdr.sh_addr + shdr.sh_size + bias;
}

static void read_symbols(struct sym_index *x)
{
	int n = x->dwmod ? dwfl_module_getsymtab(x->dwmod) : -1;
	size_t cap = 0;
	GElf_Sym sym;
	GElf_Addr addr, size;
	GElf_Word shndx;
	Elf *elf;
	Dwarf_Addr bias;
	const char *name;

	x->symbols_read = 1;
	for (int i = 1; i < n; i++) {
		name = dwfl_module_getsym_info(x->dwmod, i, &sym, &addr, &shndx,
					       &elf, &bias);
		if (!name || !name[0] || sym.st_shndx == SHN_UNDEF ||
		    (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
			continue;
		size = sym.st_size;
		if (!size && section_end(elf, shndx, bias, addr) > addr)
			size = section_end(elf, shndx, bias, addr) - addr;
		x->symbols = xgrow(x->symbols, &cap, x->nsymbols + 1,
				   sizeof(*x->symbols));
		x->symbols[x->nsymbols++] = (struct symbol){
			addr, size, name, symbol_rank(&sym)
		};
	}
	if (x->nsymbols)
		qsort(x->symbols, x->nsymbols, sizeof(*x->symbols), by_start);
}

static uint64_t symbol_start(const void *index, size_t i)
{
	return ((const struct sym_index *)index)->symbols[i].start;
}

/*
 * The name of the function symbol containing addr, or NULL.  A symbol
 * without a size covers up to the next symbol.
 */
const char *sym_index_symbol(struct sym_index *x, uint64_t addr)
{
	size_t lo, i;

	if (!x->symbols_read)
		read_symbols(x);
	lo = first_after(x, x->nsymbols, symbol_start, addr);
	/* Back over the symbols at or before addr, nearest first. */
	for (i = lo; i-- > 0 && lo - i <= 16;) {
		const struct symbol *sym = &x->symbols[i];
		if (i > 0 && x->symbols[i - 1].start == sym->start)
			continue;	/* the preferred name comes first */
		if (sym->size ? addr < sym->start + sym->size
			      : sym->start == x->symbols[lo - 1].start)
			return sym->name;
	}
	return NULL;
}

/* ---- DWARF function index ---- */

/*
 * dwarf_getscopes walks a CU's DIE tree from its root for every address,
 * and a C++ CU has hundreds of thousands of DIEs (13 ms an address with
 * -O2).  Instead each CU is walked once, when first needed, into a sorted
 * list of the code ranges of its functions; an address then costs a
 * binary search and a walk down its function's body.  The walk also finds
 * functions dwarf_getscopes misses, like the operator() of a lambda, which
 * GCC nests in the enclosing function's DIE but not in its code range.
 */

/* Where the index looks for functions: scopes that can hold them. */
static int may_hold_functions(int tag)
{
	switch (tag) {
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_subprogram:
	case DW_TAG_lexical_block:
	case DW_TAG_module:
		return 1;
	default:
		return 0;
	}
}

static void add_function(struct cu_index *ix, size_t *cap, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		ix->fns = xgrow(ix->fns, cap, ix->n + 1, sizeof(*ix->fns));
		ix->fns[ix->n++] = (struct fn_range){ lo, hi, *die };
	}
}

static void index_children(struct cu_index *ix, size_t *cap, Dwarf_Die *die,
			   int depth)
{
	Dwarf_Die child;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram)
			add_function(ix, cap, &child);
		if (may_hold_functions(tag))
			index_children(ix, cap, &child, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int by_low(const void *a, const void *b)
{
	const struct fn_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static const struct cu_index *cu_index_of(struct sym_index *x, Dwarf_Die *cu)
{
	int added;
	uint64_t *slot = hash_put(&x->cus, dwarf_dieoffset(cu), &added);
	struct cu_index *ix;
	size_t cap = 0;

	if (!added)
		return &x->cu_indexes[*slot];
	x->cu_indexes = xgrow(x->cu_indexes, &x->cu_cap, x->ncu + 1,
			      sizeof(*ix));
	*slot = x->ncu;
	ix = &x->cu_indexes[x->ncu++];
	ix->fns = NULL;
	ix->n = 0;
	index_children(ix, &cap, cu, 0);
	if (ix->n)
		qsort(ix->fns, ix->n, sizeof(*ix->fns), by_low);
	return ix;
}

static uint64_t range_start(const void *cu_index, size_t i)
{
	return ((const struct cu_index *)cu_index)->fns[i].lo;
}

/*
 * The innermost function range containing addr, or NULL.  Ranges of
 * different functions hardly ever nest, so the few ranges starting just
 * before addr are all that can contain it.
 */
static const struct fn_range *function_at(const struct cu_index *ix,
					  Dwarf_Addr addr)
{
	const struct fn_range *best = NULL;
	size_t lo = first_after(ix, ix->n, range_start, addr);

	for (size_t i = lo; i-- > 0 && lo - i <= 8;) {
		const struct fn_range *r = &ix->fns[i];
		if (addr < r->hi && (!best || r->hi - r->lo < best->hi - best->lo))
			best = r;
	}
	return best;
}

/* ---- inlined calls ---- */

/*
 * The function containing addr (CU-relative) and the inlined calls around
 * addr in it: *fn and chain[0 .. n) outermost first.  Returns n, or -1
 * when no function is known there.  Looking inside one function's body
 * is cheap; finding the function goes through the CU's index.
 */
int sym_index_inline_chain(struct sym_index *x, Dwarf_Die *cu, Dwarf_Addr addr,
			   Dwarf_Die *fn, Dwarf_Die *chain, int max)
{
	const struct cu_index *ix = cu_index_of(x, cu);
	const struct fn_range *r = function_at(ix, addr);
	Dwarf_Die parent, child;
	int n = 0, found;

	if (!r)
		return -1;
	*fn = parent = r->die;
	do {
		found = 0;
		if (dwarf_child(&parent, &child) != 0)
			break;
		do {
			int tag = dwarf_tag(&child);
			if ((tag == DW_TAG_inlined_subroutine ||
			     tag == DW_TAG_lexical_block ||
			     tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
			    dwarf_haspc(&child, addr) == 1) {
				if (tag == DW_TAG_inlined_subroutine && n < max)
					chain[n++] = child;
				parent = child;
				found = 1;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	} while (found);
	return n;
}

/* ---- function starts ---- */

/*
 * The function starts of a module's unwind tables: .eh_frame has an entry
 * (FDE) for every function, even in a stripped program, each starting
 * where its function does, and .eh_frame_hdr lists those starts sorted
 * (as a binary search table, 4-byte offsets from the header, which is how
 * GNU ld writes it; another encoding is not read).  Read at the first
 * need; table NULL when there is none.
 */
static void read_starts(struct sym_index *x)
{
	GElf_Addr bias;
	Elf *elf = x->dwmod ? dwfl_module_getelf(x->dwmod, &bias) : NULL;
	size_t nph;
	GElf_Phdr ph;
	Elf_Data *d;
	const unsigned char *h;

	x->starts_read = 1;
	if (!elf || elf_getphdrnum(elf, &nph) != 0)
		return;
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME ||
		    !(d = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz, ELF_T_BYTE)) ||
		    d->d_size < 12)
			continue;
		h = d->d_buf;
		/* version 1, fde_count udata4, table datarel sdata4 */
		if (h[0] != 1 || h[2] != DW_EH_PE_udata4 ||
		    h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
		    (h[1] & 0x0f) != DW_EH_PE_sdata4)
			return;
		memcpy(&x->nstarts, h + 8, 4);
		if (x->nstarts > (d->d_size - 12) / 8)
			return;
		x->starts = h + 12;
		x->starts_base = ph.p_vaddr + bias;
		return;
	}
}

/* Entry i of the table: the start of the i-th function, in the process. */
static uint64_t start_at(const void *index, size_t i)
{
	const struct sym_index *x = index;
	int32_t off;

	memcpy(&off, x->starts + 8 * i, 4);
	return x->starts_base + (int64_t)off;
}

/*
 * The unwind tables say whether an entry covers addr; their sorted starts
 * say where it starts.
 */
int sym_index_function_start(struct sym_index *x, uint64_t addr, uint64_t *start)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = x->dwmod ? dwfl_module_eh_cfi(x->dwmod, &bias) : NULL;
	Dwarf_Frame *frame = NULL;
	size_t lo;

	if (!x->starts_read)
		read_starts(x);
	if (!x->starts || !cfi || dwarf_cfi_addrframe(cfi, addr - bias, &frame) != 0)
		return 0;
	free(frame);
	lo = first_after(x, x->nstarts, start_at, addr);
	if (lo == 0)
		return 0;
	*start = start_at(x, lo - 1);
	return 1;
}
