/*
 * symbolize.c - return addresses to frames, with elfutils libdwfl.
 *
 * One Dwfl holds every module file of the recorded process, each reported
 * from its file (opened by sym_open.h when the module was added) at its
 * load bias, at the first lookup in it.  A lookup finds the module in our
 * own table (the one mapped last, in the order of the events, wins: after
 * a dlclose and a dlopen at the same place, each library in its time),
 * finds the function around the call site and the
 * inlined calls in it through the module's index (sym_index.h) and turns
 * them into frames: the innermost function (maybe an inlined one) at the
 * call site's line, then each inlining caller at the
 * DW_AT_call_file/DW_AT_call_line of the inlined call, out to the
 * function the code really is in.  Without DWARF, the symbol table names
 * the function; without a symbol, the frame is "MODULE+0xOFF".
 *
 * Results are cached per address and every string is interned, so a big
 * program's tens of thousands of return addresses cost one DWARF lookup
 * each, and the frames of one function share their strings.
 *
 * Separate debug files are found by sym_debuginfo.h, never by debuginfod;
 * names are demangled by sym_demangle.h and source files named by
 * sym_source.h.
 */
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "intern.h"
#include "sym_demangle.h"
#include "sym_debuginfo.h"
#include "sym_index.h"
#include "sym_open.h"
#include "sym_perfmap.h"
#include "sym_source.h"
#include "symbolize.h"


/* Deeper inlining than this is cut to its outermost calls. */
enum { MAX_INLINED = 64 };

/* A module's file, shared by its mappings when it is loaded again. */
struct module_file {
	const char *path;	/* interned; as reported to libdwfl */
	uint64_t bias;
	uint64_t identity;	/* its build id's hash, or its device and inode's */
	int fd;			/* opened when added; -1 once reported, or if it failed */
	const char *why;	/* why the file could not be opened (interned), or NULL */
	Dwfl_Module *dwmod;	/* NULL when the file could not be read */
	int reported;		/* to libdwfl yet (at the first lookup in it) */
	struct sym_index *index;	/* of dwmod, or NULL */
};

/*
 * A module mapped over [start, end) from view mapped on: every mapping,
 * in the order of the events, makes a new view, and an address is in the
 * module mapped there last (as of the view asked about).
 */
struct module {
	const char *path;	/* interned */
	const char *name;	/* basename of path, interned */
	uint64_t bias, start, end;
	uint64_t mapped;	/* the view it was mapped in; 0: not yet */
	struct module_file *file;
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
	struct module_file **files;
	size_t nfiles, filecap;
	uint64_t view;		/* mappings so far */
	uint64_t shadowed;	/* the last view that mapped a module over another */
	struct hash cache;	/* pc -> index in entries */
	struct entry *entries;
	size_t nentries, entcap;
	struct sym_frame *pool;
	size_t npool, poolcap;
	struct sym_frame uncached;	/* the frame of an address not cached */
	struct perfmap *perf;	/* the process's perf map (generated code), or NULL */
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

/* ---- modules ---- */

/*
 * A module's file stays open from when it is added to its first lookup
 * (or to the end): a program that loads hundreds of libraries would
 * exhaust the usual soft limit of 1024 descriptors.  Raise it to the hard
 * limit, in this process only.
 */
static void allow_more_files(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

struct symbolizer *symbolizer_new(pid_t pid)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	struct intern strings = INTERN_INIT;
	struct hash empty = HASH_INIT;
	struct buf scratch = BUF_INIT;

	s->pid = pid;
	s->perf = pid > 0 ? perfmap_new(pid) : NULL;
	allow_more_files();
	s->dwfl = sym_debuginfo_begin();
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

static void free_file(struct module_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	sym_index_free(f->index);
	free(f);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);
	perfmap_free(s->perf);
	for (size_t i = 0; i < s->nfiles; i++)
		free_file(s->files[i]);
	intern_release(&s->strings);
	hash_release(&s->demangled);
	hash_release(&s->paths);
	hash_release(&s->cache);
	buf_release(&s->scratch);
	buf_release(&s->path);
	free(s->modules);
	free(s->files);
	free(s->entries);
	free(s->pool);
	free(s);
}

/*
 * Report the module's file to libdwfl, at the first lookup in it: libdwfl
 * reads the file's headers and keeps it mapped, and a process maps many
 * libraries none of its allocations come from.  dwmod stays NULL when the
 * file is not a readable ELF file, which is said once, here.
 */
static void report_file(struct symbolizer *s, struct module_file *f)
{
	f->reported = 1;
	if (f->fd < 0) {
		warn("cannot read module '%s': %s", f->path, f->why);
		return;
	}
	dwfl_report_begin_add(s->dwfl);
	/* The descriptor is libdwfl's once it succeeds. */
	f->dwmod = dwfl_report_elf(s->dwfl, f->path, f->path, f->fd, f->bias,
				   false);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (f->dwmod) {
		f->index = sym_index_new(f->dwmod);
	} else {
		close(f->fd);
		warn("cannot read module '%s': not an ELF file", f->path);
	}
	f->fd = -1;
}

/*
 * What tells one file from another: its build id (the same library built
 * again has another), else its device and inode; 0 when it could not be
 * opened.
 */
static uint64_t file_identity(int fd)
{
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	const unsigned char *id;
	uint64_t h = 0;
	struct stat st;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;

	for (ssize_t i = 0; i < n; i++)
		h = hash_mix(h ^ id[i]);
	elf_end(elf);
	if (n <= 0 && fd >= 0 && fstat(fd, &st) == 0)
		h = hash_mix(hash_mix(st.st_dev) ^ st.st_ino);
	return h;
}

/* The file of an earlier mapping of path at bias with this identity, or NULL. */
static struct module_file *known_file(struct symbolizer *s, const char *path,
				      uint64_t bias, uint64_t identity)
{
	for (size_t i = s->nfiles; i-- > 0;) {
		struct module_file *f = s->files[i];
		if (f->bias == bias && f->identity == identity && !strcmp(f->path, path))
			return f;
	}
	return NULL;
}

static struct module_file *new_file(struct symbolizer *s, const char *path,
				    uint64_t bias, int fd, const char *why,
				    uint64_t identity)
{
	struct module_file *f = xcalloc(1, sizeof(*f));

	f->path = intern_cstr(s, path);
	f->bias = bias;
	f->identity = identity;
	f->fd = fd;
	f->why = fd < 0 ? intern_cstr(s, why) : NULL;
	s->files = xgrow(s->files, &s->filecap, s->nfiles + 1, sizeof(*s->files));
	s->files[s->nfiles++] = f;
	return f;
}

uint32_t symbolizer_open_module(struct symbolizer *s, const char *path,
				uint64_t bias, uint64_t start, uint64_t end,
				const unsigned char *build_id, size_t idlen)
{
	const char *slash = strrchr(path, '/'), *why = NULL;
	int fd = sym_open_module(s->pid, path, bias, start, end, build_id, idlen, &why);
	uint64_t identity = file_identity(fd);
	struct module_file *f = known_file(s, path, bias, identity);
	struct module *m;

	if (f) {	/* loaded again: read once */
		if (fd >= 0)
			close(fd);
	} else {
		f = new_file(s, path, bias, fd, why, identity);
	}
	if (s->nmodules >= UINT32_MAX)
		die("too many modules");
	s->modules = xgrow(s->modules, &s->modcap, s->nmodules + 1, sizeof(*m));
	m = &s->modules[s->nmodules++];
	m->path = f->path;
	m->name = intern_cstr(s, slash ? slash + 1 : path);
	m->bias = bias;
	m->start = start;
	m->end = end;
	m->mapped = 0;
	m->file = f;
	return (uint32_t)s->nmodules;
}

/*
 * The module mapped at addr as of view (UINT64_MAX: now): of several, the
 * one mapped last (a library loaded where another was unloaded).
 */
static struct module *module_at(const struct symbolizer *s, uint64_t addr,
				uint64_t view)
{
	struct module *best = NULL;

	for (size_t i = 0; i < s->nmodules; i++) {
		struct module *m = &s->modules[i];
		if (addr >= m->start && addr < m->end && m->mapped &&
		    m->mapped <= view && (!best || m->mapped > best->mapped))
			best = m;
	}
	return best;
}

void symbolizer_forget_range(struct hash *h, uint64_t start, uint64_t end)
{
	struct hash kept = HASH_INIT;

	for (size_t i = 0; i <= h->mask && h->slots; i++) {
		uint64_t pc = h->slots[i].key;
		if (pc != HASH_EMPTY && !(pc - 1 >= start && pc - 1 < end))
			*hash_put(&kept, pc, NULL) = h->slots[i].value;
	}
	hash_release(h);
	*h = kept;
}

int symbolizer_map_module(struct symbolizer *s, uint32_t id)
{
	struct module *m = id && id <= s->nmodules ? &s->modules[id - 1] : NULL;
	int over = 0;

	if (!m || m->mapped)
		return 0;
	/* Over another: one that is still where m goes, and is not m again. */
	for (size_t i = 0; i < s->nmodules && !over; i++) {
		const struct module *o = &s->modules[i];
		over = o != m && o->mapped && o->start < m->end && m->start < o->end &&
		       !(o->file == m->file && o->start == m->start && o->end == m->end) &&
		       module_at(s, o->start > m->start ? o->start : m->start, UINT64_MAX) == o;
	}
	m->mapped = ++s->view;
	if (over) {
		s->shadowed = m->mapped;
		symbolizer_forget_range(&s->cache, m->start, m->end);
	}
	return over;
}

void symbolizer_module_range(const struct symbolizer *s, uint32_t id,
			     uint64_t *start, uint64_t *end)
{
	const struct module *m = id && id <= s->nmodules ? &s->modules[id - 1] : NULL;

	*start = m ? m->start : 0;
	*end = m ? m->end : 0;
}

void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end)
{
	symbolizer_map_module(s, symbolizer_open_module(s, path, bias, start, end, NULL, 0));
}

uint64_t symbolizer_view(const struct symbolizer *s)
{
	return s->view;
}

uint64_t symbolizer_shadowed(const struct symbolizer *s)
{
	return s->shadowed;
}

/* ---- names ---- */

/* The readable form of a (maybe mangled) name, demangled once per name. */
static const char *demangle(struct symbolizer *s, const char *name)
{
	uint32_t id = intern(&s->strings, name, strlen(name));
	int added;
	uint64_t *slot = hash_put(&s->demangled, id, &added);

	if (added) {
		*slot = sym_is_mangled(name) && sym_demangle(&s->scratch, name)
			? intern(&s->strings, s->scratch.data, s->scratch.len) : id;
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
	const char *name = sym_is_mangled(linkage) ? linkage : NULL;

	if (!name && !linkage && dwarf_tag(die) == DW_TAG_subprogram &&
	    sym_is_mangled(sym_index_symbol(m->file->index, addr)))
		name = sym_index_symbol(m->file->index, addr);
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

/*
 * The name of a function with no symbol: "MODULE+0xOFF" of its start when
 * the unwind tables know it, so that its call sites are one frame (their
 * lines, when known, still tell them apart); else of the call site.
 */
static const char *unnamed_function(struct symbolizer *s, struct module *m,
				    uint64_t addr)
{
	uint64_t start;

	return module_offset_name(s, m, m->file->index &&
				  sym_index_function_start(m->file->index, addr, &start)
				  ? start : addr);
}

/*
 * A source file name as the line table has it, named as sym_source.h
 * says, so that a file has the same name in every CU.  Cached by the
 * address of libdw's string, which is one CU's and lives as long as the
 * Dwfl.
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
	sym_source_name(&s->path, &s->scratch, dir, src);
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
 * Frames from DWARF for addr (CU-relative), innermost first: the innermost
 * function at the line of addr, then each function an inlined call was
 * expanded into at the line of that call.  Returns how many were pushed:
 * 0 when DWARF has no function there.
 */
static size_t push_dwarf_frames(struct symbolizer *s, struct module *m,
				Dwarf_Die *cu, Dwarf_Addr addr, uint64_t pc_addr)
{
	Dwarf_Die fn, chain[MAX_INLINED];
	int n = sym_index_inline_chain(m->file->index, cu, addr, &fn, chain, MAX_INLINED);
	const char *file, *name;
	unsigned line;

	if (n < 0)
		return 0;
	line_at(s, cu, addr, &file, &line);
	for (int i = n; i >= 0; i--) {
		Dwarf_Die *die = i > 0 ? &chain[i - 1] : &fn;

		name = function_name(s, die, m, pc_addr);
		push_frame(s, name ? name : unnamed_function(s, m, pc_addr),
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

	if (m->file->dwmod)
		name = sym_index_symbol(m->file->index, pc_addr);
	if (cu)
		line_at(s, cu, addr, &file, &line);
	push_frame(s, name ? demangle(s, name) : unnamed_function(s, m, pc_addr),
		   file, line, m->path);
}

/* Resolve addr, in module m, into frames appended to the pool; returns their number. */
static size_t resolve(struct symbolizer *s, struct module *m, uint64_t addr)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias = 0;

	if (!m->file->reported)
		report_file(s, m->file);
	if (m->file->dwmod)
		cu = dwfl_module_addrdie(m->file->dwmod, addr, &bias);
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
 * (a library whose load the recorder learns about late), or the perf map
 * name it later (generated code: sym_perfmap.h).  Nor is the
 * address HASH_EMPTY, a key the cache can't hold and never a real return
 * address.
 */
static size_t uncached_frame(struct symbolizer *s, struct module *m,
			     uint64_t addr, const struct sym_frame **frames)
{
	const struct perfmap_entry *jit = !m && s->perf
		? perfmap_find(s->perf, addr, &s->strings) : NULL;

	s->uncached.function = jit ? jit->name : module_offset_name(s, m, addr);
	s->uncached.file = jit && jit->line ? jit->file : NULL;
	s->uncached.line = jit && jit->file ? jit->line : 0;
	s->uncached.module = m ? m->path : jit ? intern_cstr(s, perfmap_path(s->perf)) : NULL;
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
		m = module_at(s, addr, UINT64_MAX);
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

size_t symbolizer_lookup_in(struct symbolizer *s, uint64_t pc, uint64_t view,
			    const struct sym_frame **frames)
{
	uint64_t addr = pc ? pc - 1 : 0;
	struct module *m;
	size_t first = s->npool, n;

	if (view >= s->shadowed)
		return symbolizer_lookup(s, pc, frames);
	m = module_at(s, addr, view);
	if (!m)
		return uncached_frame(s, m, addr, frames);
	n = resolve(s, m, addr);
	*frames = &s->pool[first];
	return n;
}
