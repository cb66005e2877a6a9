/*
 * symbolize.c - return addresses to frames, with elfutils libdwfl.
 *
 * One Dwfl holds every module of the recorded process, each reported from
 * its file at its load bias as the recorder learns about it.  A lookup
 * finds the module in our own table (the module added last wins, as after
 * a dlclose and a dlopen at the same place), finds the function around the
 * call site through a per-CU index of function ranges, walks down its body
 * to the innermost inlined call and turns that into frames: the innermost
 * function (maybe an inlined one) at the call site's line, then each
 * inlining caller at the DW_AT_call_file/DW_AT_call_line of the inlined
 * call, out to the function the code really is in.  Without DWARF, the
 * symbol table names the function; without a symbol, the frame is
 * "MODULE+0xOFF".
 *
 * Results are cached per address and every string is interned, so a big
 * program's tens of thousands of return addresses cost one DWARF lookup
 * each, and the frames of one function share their strings.
 *
 * Separate debug files are found by build id (/usr/lib/debug/.build-id/)
 * and by .gnu_debuglink, never by debuginfod: the standard libdwfl
 * callback would ask the network when DEBUGINFOD_URLS is set, and a
 * recording must not wait on a server (or leak paths to one).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "inflate_debug.h"
#include "intern.h"
#include "sym_open.h"
#include "symbolize.h"

/* From libstdc++ (extern "C"); <cxxabi.h> is C++ only. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

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

/* Deeper inlining than this is cut to its outermost calls. */
enum { MAX_INLINED = 64 };

/*
 * A function in a symbol table: [start, start + size); a symbol without a
 * size runs to the end of its section, size 0 if even that is unknown.
 */
struct symbol {
	uint64_t start, size;
	const char *name;	/* owned by libdwfl */
	int rank;		/* which name wins at one address: higher */
};

struct module {
	const char *path;	/* interned */
	const char *name;	/* basename of path, interned */
	uint64_t bias, start, end;
	uint64_t added;		/* when last added: the latest wins an address */
	int fd;			/* its file, opened when added; -1 once reported, or if it failed */
	const char *why;	/* why the file could not be opened (interned), or NULL */
	Dwfl_Module *dwmod;	/* NULL when the file could not be read */
	int reported;		/* to libdwfl yet (at the first lookup in it) */
	struct symbol *symbols;	/* by start; read at the first need */
	size_t nsymbols;
	int symbols_read;
	struct hash cus;	/* CU DIE offset -> index in cu_indexes */
	struct cu_index *cu_indexes;
	size_t ncu, cu_cap;
};

/* A cached lookup: frames pool[first .. first + count). */
struct entry {
	uint32_t first, count;
};

struct symbolizer {
	pid_t pid;		/* the recorded process, 0 for none */
	Dwfl *dwfl;
	struct intern strings;
	struct hash demangled;	/* intern id of a name -> id of its demangling */
	struct hash paths;	/* libdw's file name string -> intern id */
	struct module *modules;
	size_t nmodules, modcap;
	uint64_t nadded;	/* symbolizer_add_module calls */
	struct hash cache;	/* pc -> index in entries */
	struct entry *entries;
	size_t nentries, entcap;
	struct sym_frame *pool;
	size_t npool, poolcap;
	struct sym_frame uncached;	/* the frame of an address not cached */
	struct buf scratch, path;
};

static const char *intern_n(struct symbolizer *s, const char *str, size_t n)
{
	return intern_str(&s->strings, intern(&s->strings, str, n));
}

static const char *intern_cstr(struct symbolizer *s, const char *str)
{
	return intern_n(s, str, strlen(str));
}

/* ---- finding separate debug information, offline ---- */

/* The modules are reported from their files, so this is never needed. */
static int find_no_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod, (void)userdata, (void)modname, (void)base;
	(void)file_name, (void)elfp;
	return -1;
}

static int file_crc_is(int fd, uint32_t want)
{
	unsigned char block[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;

	while ((n = read(fd, block, sizeof(block))) > 0)
		crc = crc32(crc, block, (uInt)n);
	lseek(fd, 0, SEEK_SET);
	return n == 0 && (uint32_t)crc == want;
}

/* Does the file open on fd have the module's build id? */
static int build_id_matches(Dwfl_Module *mod, int fd)
{
	const unsigned char *want;
	const void *have;
	GElf_Addr vaddr;
	int nwant = dwfl_module_build_id(mod, &want, &vaddr);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ssize_t nhave = elf ? dwelf_elf_gnu_build_id(elf, &have) : -1;
	int same = nwant > 0 && nhave == nwant && memcmp(want, have, nwant) == 0;

	elf_end(elf);
	return same;
}

/*
 * Open dir/subdir/name if it is the debug file of mod: the build id must
 * match when the module has one, else the debuglink CRC.
 */
static int try_debug_file(Dwfl_Module *mod, const char *dir, const char *subdir,
			  const char *name, uint32_t crc, char **found)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	struct buf path = BUF_INIT;
	const char *why;
	int fd, ok;

	buf_printf(&path, "%s%s%s", dir, subdir, name);
	fd = sym_open_regular(buf_str(&path), &why);	/* never a FIFO */
	if (fd < 0) {
		buf_release(&path);
		return -1;
	}
	if (dwfl_module_build_id(mod, &id, &vaddr) > 0)
		ok = build_id_matches(mod, fd);
	else
		ok = crc != 0 && file_crc_is(fd, crc);
	if (!ok) {
		close(fd);
		buf_release(&path);
		return -1;
	}
	*found = buf_detach(&path);
	return fd;
}

/*
 * The .gnu_debuglink search of gdb and libdwfl: next to the file, in its
 * .debug/ folder, and under /usr/lib/debug with the file's folder.  Only
 * for a module with an absolute path: a relative one is relative to the
 * program's working directory, not to ours.
 */
static int find_by_debuglink(Dwfl_Module *mod, const char *file_name,
			     const char *link, uint32_t crc, char **found)
{
	const char *slash;
	char *dir;
	int fd;

	if (link && link[0] == '/')
		return try_debug_file(mod, "", "", link, crc, found);
	if (!link || !file_name || file_name[0] != '/')
		return -1;
	slash = strrchr(file_name, '/');
	dir = xstrndup(file_name, slash + 1 - file_name);
	fd = try_debug_file(mod, dir, "", link, crc, found);
	if (fd < 0)
		fd = try_debug_file(mod, dir, ".debug/", link, crc, found);
	if (fd < 0)
		fd = try_debug_file(mod, "/usr/lib/debug", dir, link, crc, found);
	free(dir);
	return fd;
}

/*
 * /usr/lib/debug/.build-id/NN/NNNN....debug, where distributions install
 * debug files.  (Not dwfl_build_id_find_debuginfo: it keeps its own handle
 * on the file it finds, so libdw would read that file rather than the
 * descriptor returned, and inflate its sections itself.)
 */
static int find_by_build_id(Dwfl_Module *mod, char **found)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &id, &vaddr);
	if (n < 2)
		return -1;
	struct buf subdir = BUF_INIT, name = BUF_INIT;
	buf_printf(&subdir, "/.build-id/%02x/", id[0]);
	for (int i = 1; i < n; i++)
		buf_printf(&name, "%02x", id[i]);
	buf_printf(&name, ".debug");
	int fd = try_debug_file(mod, "/usr/lib/debug", buf_str(&subdir), buf_str(&name), 0, found);
	buf_release(&subdir);
	buf_release(&name);
	return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata,
			  const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)userdata, (void)modname, (void)base;
	int fd = find_by_build_id(mod, debuginfo_file_name);

	if (fd < 0)
		fd = find_by_debuglink(mod, file_name, debuglink_file,
				       debuglink_crc, debuginfo_file_name);
	return fd < 0 ? fd : inflate_debug_file(fd);
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_no_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL,	/* the default, ":.debug:/usr/lib/debug" */
};

/* ---- modules ---- */

struct symbolizer *symbolizer_new(pid_t pid)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	struct intern strings = INTERN_INIT;
	struct hash empty = HASH_INIT;
	struct buf scratch = BUF_INIT;

	elf_version(EV_CURRENT);
	s->pid = pid;
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl)
		die("cannot start libdwfl: %s", dwfl_errmsg(-1));
	s->strings = strings;
	s->demangled = empty;
	s->paths = empty;
	s->cache = empty;
	s->scratch = scratch;
	s->path = scratch;
	return s;
}

static void free_module(struct module *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->symbols);
	for (size_t i = 0; i < m->ncu; i++)
		free(m->cu_indexes[i].fns);
	free(m->cu_indexes);
	hash_release(&m->cus);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);
	for (size_t i = 0; i < s->nmodules; i++)
		free_module(&s->modules[i]);
	intern_release(&s->strings);
	hash_release(&s->demangled);
	hash_release(&s->paths);
	hash_release(&s->cache);
	buf_release(&s->scratch);
	buf_release(&s->path);
	free(s->modules);
	free(s->entries);
	free(s->pool);
	free(s);
}

static struct module *find_module(struct symbolizer *s, const char *path,
				  uint64_t bias)
{
	for (size_t i = 0; i < s->nmodules; i++)
		if (s->modules[i].bias == bias && !strcmp(s->modules[i].path, path))
			return &s->modules[i];
	return NULL;
}

/*
 * Report the module's file to libdwfl, at the first lookup in it: libdwfl
 * reads the file's headers and keeps it mapped, and a process maps many
 * libraries none of its allocations come from.  dwmod stays NULL when the
 * file is not a readable ELF file, which is said once, here.
 */
static void report_module(struct symbolizer *s, struct module *m)
{
	m->reported = 1;
	if (m->fd < 0) {
		warn("cannot read module '%s': %s", m->path, m->why);
		return;
	}
	dwfl_report_begin_add(s->dwfl);
	/* The descriptor is libdwfl's once it succeeds. */
	m->dwmod = dwfl_report_elf(s->dwfl, m->path, m->path, m->fd, m->bias,
				   false);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (!m->dwmod) {
		close(m->fd);
		warn("cannot read module '%s': not an ELF file", m->path);
	}
	m->fd = -1;
}

void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end)
{
	const char *slash = strrchr(path, '/'), *why;
	struct module *m = find_module(s, path, bias);

	if (m) {
		m->start = start;
		m->end = end;
		m->added = ++s->nadded;
		return;
	}
	s->modules = xgrow(s->modules, &s->modcap, s->nmodules + 1, sizeof(*m));
	m = &s->modules[s->nmodules++];
	m->path = intern_cstr(s, path);
	m->name = intern_cstr(s, slash ? slash + 1 : path);
	m->bias = bias;
	m->start = start;
	m->end = end;
	m->added = ++s->nadded;
	m->fd = sym_open_module(s->pid, path, bias, start, end, &why);
	m->why = m->fd < 0 ? intern_cstr(s, why) : NULL;
	m->dwmod = NULL;
	m->reported = 0;
	m->symbols = NULL;
	m->nsymbols = 0;
	m->symbols_read = 0;
	m->cus = (struct hash)HASH_INIT;
	m->cu_indexes = NULL;
	m->ncu = m->cu_cap = 0;
}

/*
 * The module mapped at addr; of several, the one added last (a library
 * loaded where another was unloaded).
 */
static struct module *module_at(const struct symbolizer *s, uint64_t addr)
{
	struct module *best = NULL;

	for (size_t i = 0; i < s->nmodules; i++) {
		struct module *m = &s->modules[i];
		if (addr >= m->start && addr < m->end &&
		    (!best || m->added > best->added))
			best = m;
	}
	return best;
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

static void read_symbols(struct module *m)
{
	int n = m->dwmod ? dwfl_module_getsymtab(m->dwmod) : -1;
	size_t cap = 0;
	GElf_Sym sym;
	GElf_Addr addr, size;
	GElf_Word shndx;
	Elf *elf;
	Dwarf_Addr bias;
	const char *name;

	m->symbols_read = 1;
	for (int i = 1; i < n; i++) {
		name = dwfl_module_getsym_info(m->dwmod, i, &sym, &addr, &shndx,
					       &elf, &bias);
		if (!name || !name[0] || sym.st_shndx == SHN_UNDEF ||
		    (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
			continue;
		size = sym.st_size;
		if (!size && section_end(elf, shndx, bias, addr) > addr)
			size = section_end(elf, shndx, bias, addr) - addr;
		m->symbols = xgrow(m->symbols, &cap, m->nsymbols + 1,
				   sizeof(*m->symbols));
		m->symbols[m->nsymbols++] = (struct symbol){
			addr, size, name, symbol_rank(&sym)
		};
	}
	if (m->nsymbols)
		qsort(m->symbols, m->nsymbols, sizeof(*m->symbols), by_start);
}

/*
 * The name of the function symbol containing addr, or NULL.  A symbol
 * without a size covers up to the next symbol.
 */
static const char *symbol_at(struct module *m, uint64_t addr)
{
	size_t lo = 0, hi, i;

	if (!m->symbols_read)
		read_symbols(m);
	hi = m->nsymbols;
	while (lo < hi) {	/* the first symbol starting after addr */
		size_t mid = lo + (hi - lo) / 2;
		if (m->symbols[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Back over the symbols at or before addr, nearest first. */
	for (i = lo; i-- > 0 && lo - i <= 16;) {
		const struct symbol *sym = &m->symbols[i];
		if (i > 0 && m->symbols[i - 1].start == sym->start)
			continue;	/* the preferred name comes first */
		if (sym->size ? addr < sym->start + sym->size
			      : sym->start == m->symbols[lo - 1].start)
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

static const struct cu_index *cu_index_of(struct module *m, Dwarf_Die *cu)
{
	int added;
	uint64_t *slot = hash_put(&m->cus, dwarf_dieoffset(cu), &added);
	struct cu_index *ix;
	size_t cap = 0;

	if (!added)
		return &m->cu_indexes[*slot];
	m->cu_indexes = xgrow(m->cu_indexes, &m->cu_cap, m->ncu + 1,
			      sizeof(*ix));
	*slot = m->ncu;
	ix = &m->cu_indexes[m->ncu++];
	ix->fns = NULL;
	ix->n = 0;
	index_children(ix, &cap, cu, 0);
	if (ix->n)
		qsort(ix->fns, ix->n, sizeof(*ix->fns), by_low);
	return ix;
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
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {	/* the first range starting after addr */
		size_t mid = lo + (hi - lo) / 2;
		if (ix->fns[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 8;) {
		const struct fn_range *r = &ix->fns[i];
		if (addr < r->hi && (!best || r->hi - r->lo < best->hi - best->lo))
			best = r;
	}
	return best;
}

/* ---- names ---- */

/* The readable form of a (maybe mangled) name, demangled once per name. */
static const char *demangle(struct symbolizer *s, const char *name)
{
	uint32_t id = intern(&s->strings, name, strlen(name));
	int added, status;
	uint64_t *slot = hash_put(&s->demangled, id, &added);
	char *plain;

	if (added) {
		plain = name[0] == '_' && name[1] == 'Z'
			? __cxa_demangle(name, NULL, NULL, &status) : NULL;
		*slot = plain ? intern(&s->strings, plain, strlen(plain)) : id;
		free(plain);
	}
	return intern_str(&s->strings, (uint32_t)*slot);
}

static const char *die_string(Dwarf_Die *die, int name)
{
	Dwarf_Attribute attr;

	return dwarf_formstring(dwarf_attr_integrate(die, name, &attr));
}

static const char *die_linkage_name(Dwarf_Die *die)
{
	const char *name = die_string(die, DW_AT_linkage_name);

	return name ? name : die_string(die, DW_AT_MIPS_linkage_name);
}

static int is_mangled(const char *name)
{
	return name && name[0] == '_' && name[1] == 'Z';
}

/*
 * The name of a function DIE: its mangled linkage name demangled (the
 * full C++ signature), else its plain name.  A linkage name that is not
 * mangled is an asm label, like glibc's "__GI___dl_iterate_phdr" for
 * "__dl_iterate_phdr": the plain name reads better.  An out-of-line
 * function with no linkage name in DWARF (GCC leaves it off some
 * constructors) takes the symbol table's when that is mangled.
 */
static const char *function_name(struct symbolizer *s, Dwarf_Die *die,
				 struct module *m, uint64_t addr)
{
	const char *linkage = die_linkage_name(die);
	const char *name = is_mangled(linkage) ? linkage : NULL;

	if (!name && !linkage && dwarf_tag(die) == DW_TAG_subprogram &&
	    is_mangled(symbol_at(m, addr)))
		name = symbol_at(m, addr);
	if (!name)
		name = die_string(die, DW_AT_name);
	if (!name)
		name = linkage;
	return name ? demangle(s, name) : NULL;
}

/* ---- frames ---- */

static void push_frame(struct symbolizer *s, const char *function,
		       const char *file, unsigned line, const char *module)
{
	struct sym_frame *f;

	s->pool = xgrow(s->pool, &s->poolcap, s->npool + 1, sizeof(*f));
	f = &s->pool[s->npool++];
	f->function = function;
	f->file = line ? file : NULL;
	f->line = file ? line : 0;
	f->module = module;
}

static const char *module_offset_name(struct symbolizer *s,
				      struct module *m, uint64_t addr)
{
	buf_clear(&s->scratch);
	if (m)
		buf_printf(&s->scratch, "%s+0x%" PRIx64, m->name, addr - m->bias);
	else
		buf_printf(&s->scratch, "0x%" PRIx64, addr);
	return intern_cstr(s, buf_str(&s->scratch));
}

/* Is the last component of the cleaned path in b (after root) ".."? */
static int ends_in_dotdot(const struct buf *b, size_t root)
{
	const char *last = b->len > root ? memrchr(b->data, '/', b->len) : NULL;
	size_t from = last ? (size_t)(last - b->data) + 1 : 0;

	return b->len > root && b->len - from == 2 &&
	       b->data[from] == '.' && b->data[from + 1] == '.';
}

/*
 * Clean path lexically into b: no "." components, no "dir/.." pairs, no
 * doubled slashes ("./iconv/./iconv/x.c" is "iconv/iconv/x.c",
 * "/src/tools/../progs/x.h" is "/src/progs/x.h"), so that one file has one
 * name whichever CU or include path mentions it.
 */
static void clean_path(struct buf *b, const char *path)
{
	size_t root = path[0] == '/', n;
	const char *p = path, *end;
	char *slash;

	buf_clear(b);
	if (root)
		buf_addc(b, '/');
	while (*p) {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' &&
			   (root || (b->len > 0 && !ends_in_dotdot(b, root)))) {
			if (b->len > root) {	/* "/.." is "/" */
				slash = memrchr(b->data + root, '/', b->len - root);
				b->len = slash ? (size_t)(slash - b->data) : root;
				b->data[b->len] = '\0';
			}
		} else {
			if (b->len > root)
				buf_addc(b, '/');
			buf_add(b, p, n);
		}
		p = end;
	}
	if (b->len == 0)
		buf_addc(b, '.');
}

/*
 * A source file name as the line table has it, made absolute with the
 * CU's compilation directory and cleaned, so that a file has the same
 * name in every CU.  Cached by the address of libdw's string, which is
 * one CU's and lives as long as the Dwfl.
 */
static const char *source_path(struct symbolizer *s, Dwarf_Die *cu,
			       const char *src)
{
	Dwarf_Attribute attr;
	const char *dir = NULL;
	int added;
	uint64_t *slot = hash_put(&s->paths, (uint64_t)(uintptr_t)src, &added);

	if (!added)
		return intern_str(&s->strings, (uint32_t)*slot);
	if (src[0] != '/')
		dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	buf_clear(&s->scratch);
	if (dir && dir[0])
		buf_printf(&s->scratch, "%s/", dir);
	buf_adds(&s->scratch, src);
	clean_path(&s->path, buf_str(&s->scratch));
	*slot = intern(&s->strings, s->path.data, s->path.len);
	return intern_str(&s->strings, (uint32_t)*slot);
}

/* The source line of addr (CU-relative) from the line table. */
static void line_at(struct symbolizer *s, Dwarf_Die *cu, Dwarf_Addr addr,
		    const char **file, unsigned *line)
{
	Dwarf_Line *l = cu ? dwarf_getsrc_die(cu, addr) : NULL;
	const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
	int n = 0;

	*file = NULL;
	*line = 0;
	if (src && dwarf_lineno(l, &n) == 0 && n > 0) {
		*file = source_path(s, cu, src);
		*line = (unsigned)n;
	}
}

/* Where the inlined call of the inlined_subroutine DIE is. */
static void call_site(struct symbolizer *s, Dwarf_Die *cu, Dwarf_Die *inlined,
		      const char **file, unsigned *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word fileno, lineno;
	Dwarf_Files *files;
	size_t nfiles;
	const char *src = NULL;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &fileno) ||
	    dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &lineno))
		return;
	if (dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && fileno < nfiles)
		src = dwarf_filesrc(files, fileno, NULL, NULL);
	if (src && lineno > 0 && lineno <= UINT32_MAX) {
		*file = source_path(s, cu, src);
		*line = (unsigned)lineno;
	}
}

/*
 * The function containing addr (CU-relative) and the inlined calls around
 * addr in it: *fn and chain[0 .. n) outermost first.  Returns n, or -1
 * when no function is known there.  Looking inside one function's body
 * is cheap; finding the function goes through the CU's index.
 */
static int inline_chain(struct module *m, Dwarf_Die *cu, Dwarf_Addr addr,
			Dwarf_Die *fn, Dwarf_Die *chain, int max)
{
	const struct cu_index *ix = cu_index_of(m, cu);
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

/*
 * Frames from DWARF for addr (CU-relative), innermost first: the innermost
 * function at the line of addr, then each function an inlined call was
 * expanded into at the line of that call.  Returns how many were pushed:
 * 0 when DWARF has no function there.
 */
static size_t push_dwarf_frames(struct symbolizer *s, struct module *m,
				Dwarf_Die *cu, Dwarf_Addr addr, uint64_t pc_addr)
{
	Dwarf_Die fn, chain[MAX_INLINED];
	int n = inline_chain(m, cu, addr, &fn, chain, MAX_INLINED);
	const char *file, *name;
	unsigned line;

	if (n < 0)
		return 0;
	line_at(s, cu, addr, &file, &line);
	for (int i = n; i >= 0; i--) {
		Dwarf_Die *die = i > 0 ? &chain[i - 1] : &fn;

		name = function_name(s, die, m, pc_addr);
		push_frame(s, name ? name : module_offset_name(s, m, pc_addr),
			   file, line, m->path);
		if (i > 0)
			call_site(s, cu, die, &file, &line);
	}
	return (size_t)n + 1;
}

/*
 * One frame named from the symbol table, or "MODULE+0xOFF", at the line
 * table's line when there is one (the scopes can miss a function, as
 * with GCC's lambdas, that the line table has).
 */
static void push_symbol_frame(struct symbolizer *s, struct module *m,
			      Dwarf_Die *cu, Dwarf_Addr addr, uint64_t pc_addr)
{
	const char *name = NULL, *file = NULL;
	unsigned line = 0;

	if (m->dwmod)
		name = symbol_at(m, pc_addr);
	if (cu)
		line_at(s, cu, addr, &file, &line);
	push_frame(s, name ? demangle(s, name) : module_offset_name(s, m, pc_addr),
		   file, line, m->path);
}

/* Resolve addr, in module m, into frames appended to the pool; returns their number. */
static size_t resolve(struct symbolizer *s, struct module *m, uint64_t addr)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias = 0;

	if (!m->reported)
		report_module(s, m);
	if (m->dwmod)
		cu = dwfl_module_addrdie(m->dwmod, addr, &bias);
	if (cu) {
		size_t n = push_dwarf_frames(s, m, cu, addr - bias, addr);
		if (n)
			return n;
	}
	push_symbol_frame(s, m, cu, addr - bias, addr);
	return 1;
}

/*
 * An address in no module is not cached: its module may be added later
 * (a library whose load the recorder learns about late).  Nor is the
 * address HASH_EMPTY, a key the cache can't hold and never a real return
 * address.
 */
static size_t uncached_frame(struct symbolizer *s, struct module *m,
			     uint64_t addr, const struct sym_frame **frames)
{
	s->uncached.function = module_offset_name(s, m, addr);
	s->uncached.file = NULL;
	s->uncached.line = 0;
	s->uncached.module = m ? m->path : NULL;
	*frames = &s->uncached;
	return 1;
}

size_t symbolizer_lookup(struct symbolizer *s, uint64_t pc,
			 const struct sym_frame **frames)
{
	uint64_t addr = pc ? pc - 1 : 0;	/* the call instruction */
	uint64_t *slot = pc == HASH_EMPTY ? NULL : hash_get(&s->cache, pc);
	struct module *m;
	struct entry *e;

	if (!slot) {
		m = module_at(s, addr);
		if (!m || pc == HASH_EMPTY)
			return uncached_frame(s, m, addr, frames);
		s->entries = xgrow(s->entries, &s->entcap, s->nentries + 1,
				   sizeof(*e));
		e = &s->entries[s->nentries];
		e->first = (uint32_t)s->npool;
		e->count = (uint32_t)resolve(s, m, addr);
		slot = hash_put(&s->cache, pc, NULL);
		*slot = s->nentries++;
	}
	e = &s->entries[*slot];
	*frames = &s->pool[e->first];
	return e->count;
}
