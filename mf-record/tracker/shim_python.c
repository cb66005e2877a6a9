/*
 * shim_python.c - the Python frames of a thread running CPython 3.11 to
 * 3.13, read from the interpreter's own frame chain at allocation time.
 *
 * Nothing of the interpreter is called and no Python code runs: the hook
 * reads memory.  The thread's state comes from the key CPython keeps it
 * under (_PyRuntime's autoTSSkey, read with pthread_getspecific: no lock,
 * no system call); its frame chain runs from the current frame through
 * `previous`.  Every frame gives its code object and the instruction it
 * is executing.  A thread only walks its own chain, which no other thread
 * changes, and every frame on it holds a reference to its code object, so
 * the code objects read are alive while the hook reads them.
 *
 * Code objects: the first time a thread meets one (by address), its
 * qualified name, file name, first line and line table are copied into
 * the ring as MF_EV_PYCODE under a new code id (proto.h); the launcher
 * turns them into names and lines.  A code object freed and another
 * allocated at the same address must not inherit the old one's names, so
 * the cache also keeps a fingerprint of what it copied: the addresses of
 * its name, file name and line table objects and its first line, all read
 * from the code object itself (reading the objects behind them would
 * touch three more cache lines per frame, at every allocation).  A code
 * object whose fingerprint changed is copied again under a new id.  (Known limit: a new
 * code object at the same address whose name, file name and line table
 * are also new objects at the old ones' addresses, with the same first
 * line, would keep the old names and lines.)
 *
 * Stacks: a native stack id and the Python frames (code id and
 * instruction offset each) are looked up in a per-thread table; a new
 * combination gets a new stack id and is sent once as MF_EV_PYSTACK.
 *
 * Layouts: the offsets of CPython's structures are fixed per minor
 * version.  3.13 publishes them in _PyRuntime (_Py_DebugOffsets, cookie
 * "xdebugpy"); they are compared with ours before use.  For 3.11 and 3.12
 * the interpreter is checked once it runs: the main interpreter points
 * back at _PyRuntime, the thread state at the main interpreter, and every
 * code object copied, its names and its line table have CPython's types.
 * Any other CPython (or one failing a check) is recorded natively, with
 * one warning line.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define NONE UINT32_MAX

struct py_layout {
	uint32_t version;	/* 0x030b: 3.11 */
	/* _PyRuntime: its autoTSSkey (Py_tss_t), interpreters.main, _finalizing */
	uint32_t rt_tss, rt_main, rt_finalizing;
	uint32_t interp_runtime;	/* PyInterpreterState.runtime */
	uint32_t ts_interp;		/* PyThreadState.interp */
	uint32_t ts_frame;		/* .cframe (3.11, 3.12) or .current_frame (3.13) */
	uint32_t cf_frame;		/* _PyCFrame.current_frame, NONE without cframe */
	/* _PyInterpreterFrame */
	uint32_t fr_code, fr_previous, fr_instr, fr_owner;
	uint32_t fr_entry;		/* is_entry (3.11); NONE: entries are C-stack frames */
	/* PyCodeObject */
	uint32_t co_filename, co_qualname, co_linetable, co_firstlineno, co_code;
	/* where a compact str's characters start: ASCII, other */
	uint32_t str_ascii, str_compact;
};

static const struct py_layout layouts[] = {
	{ 0x030b, 592, 48, 24, 40, 16, 56, 8, 32, 48, 56, 69, 68,
	  112, 128, 136, 72, 184, 48, 72 },
	{ 0x030c, 1544, 48, 24, 96, 16, 56, 0, 0, 8, 56, 70, NONE,
	  112, 128, 136, 68, 192, 40, 56 },
	{ 0x030d, 2160, 640, 608, 7376, 16, 72, NONE, 0, 8, 56, 70, NONE,
	  112, 128, 136, 68, 200, 40, 56 },
};

/* Common to all three. */
#define OB_TYPE 8
#define VAR_SIZE 16		/* PyVarObject.ob_size, a str's length */
#define STR_STATE 32
#define BYTES_DATA 32
#define OWNED_BY_CSTACK 3	/* a frame of the C stack (3.12, 3.13): an entry's marker */

enum py_state { PY_OFF, PY_UNCHECKED, PY_ON };

static const struct py_layout *layout;
static _Atomic int py_state;
static const char *runtime;
static const void *code_type, *str_type, *bytes_type;

static void py_warn(const char *line)
{
	ssize_t ignored = write(STDERR_FILENO, line, strlen(line));

	(void)ignored;
}

/* 3.13's _Py_DebugOffsets, read as the u64 array it is: do they say what we know? */
static int debug_offsets_agree(const struct py_layout *l, unsigned long version)
{
	const uint64_t *d = (const uint64_t *)runtime;
	const struct { int at; uint32_t want; } fields[] = {
		{ 4, l->rt_finalizing }, { 22, l->ts_interp }, { 23, l->ts_frame },
		{ 29, l->fr_previous }, { 30, l->fr_code }, { 31, l->fr_instr },
		{ 33, l->fr_owner }, { 35, l->co_filename }, { 37, l->co_qualname },
		{ 38, l->co_linetable }, { 39, l->co_firstlineno }, { 43, l->co_code },
	};

	if (memcmp(runtime, "xdebugpy", 8) != 0 || d[1] != version || d[2] != 0)
		return 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (d[fields[i].at] != fields[i].want)
			return 0;
	return 1;
}

/*
 * A dlsym that finds nothing leaves an error message behind, allocated by
 * libc, which the program's next dl* call would free: a free of a block
 * the tracker never saw.  Asking twice frees it now, inside the tracker
 * (the second dlerror frees what the first returned).
 */
static void *probe(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	if (!p)
		while (dlerror())
			;
	return p;
}

void python_init(void)
{
	const unsigned long *version = probe("Py_Version");
	unsigned long v;

	runtime = probe("_PyRuntime");
	if (!version && !runtime && !probe("Py_IsInitialized"))
		return;		/* not Python */
	v = version ? *version : 0;
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (layouts[i].version == v >> 16)
			layout = &layouts[i];
	code_type = probe("PyCode_Type");
	str_type = probe("PyUnicode_Type");
	bytes_type = probe("PyBytes_Type");
	if (!layout || !runtime || !code_type || !str_type || !bytes_type ||
	    (layout->version >= 0x030d && !debug_offsets_agree(layout, v))) {
		layout = NULL;
		py_warn("libmf-record.so: this Python is not CPython 3.11, 3.12 or 3.13 as mf-record "
			"knows it: its Python frames are not recorded, only native ones\n");
		return;
	}
	atomic_store(&py_state, PY_UNCHECKED);
}

static inline const char *load_ptr(const char *base, uint32_t off)
{
	return *(const char *const *)(base + off);
}

/* The running interpreter, checked once (PY_UNCHECKED): is it the one we know? */
static int interpreter_agrees(void)
{
	const char *main = load_ptr(runtime, layout->rt_main);

	if (!main)
		return 0;	/* not yet: check again next time */
	if (load_ptr(main, layout->interp_runtime) == runtime) {
		atomic_store(&py_state, PY_ON);
		return 1;
	}
	atomic_store(&py_state, PY_OFF);
	py_warn("libmf-record.so: this Python's interpreter is not laid out as mf-record "
		"expects: its Python frames are not recorded, only native ones\n");
	return 0;
}

/* The calling thread's PyThreadState in the main interpreter, or NULL. */
static const char *current_thread_state(void)
{
	const int *tss = (const int *)(runtime + layout->rt_tss);
	const char *ts;

	if (!tss[0] || load_ptr(runtime, layout->rt_finalizing))
		return NULL;	/* not initialised, or finalising */
	if (atomic_load_explicit(&py_state, memory_order_relaxed) != PY_ON && !interpreter_agrees())
		return NULL;
	ts = pthread_getspecific((pthread_key_t)tss[1]);
	if (!ts || load_ptr(ts, layout->ts_interp) != load_ptr(runtime, layout->rt_main))
		return NULL;
	return ts;
}

/* --- the per-thread caches, in memory the shim maps itself --- */

struct code_entry {
	const char *code;	/* NULL: empty */
	uint64_t fingerprint;
	uint64_t id;
};

struct pystack_entry {
	uint64_t hash, id;	/* id 0: empty */
	uint64_t native;
	const uint64_t *frames;	/* 2 * count */
	uint32_t count;		/* | MF_STACK_TRUNCATED */
	uint32_t unused;
};

#define FIRST_CODES 1024u
#define FIRST_STACKS 4096u
#define ARENA_BYTES (1u << 20)

struct py_cache {
	struct code_entry *codes;
	uint32_t code_mask, code_count;
	struct pystack_entry *stacks;
	uint32_t stack_mask, stack_count;
	char *arena;		/* the newest chunk; its first word links the one before */
	size_t arena_used;
};

static void *table_new(size_t n, size_t size)
{
	return shim_mmap(n * size);
}

static struct py_cache *cache_new(void)
{
	struct py_cache *c = shim_mmap(sizeof *c);

	if (!c)
		return NULL;
	c->codes = table_new(FIRST_CODES, sizeof *c->codes);
	c->stacks = table_new(FIRST_STACKS, sizeof *c->stacks);
	if (!c->codes || !c->stacks) {
		if (c->codes)
			shim_munmap(c->codes, FIRST_CODES * sizeof *c->codes);
		if (c->stacks)
			shim_munmap(c->stacks, FIRST_STACKS * sizeof *c->stacks);
		shim_munmap(c, sizeof *c);
		return NULL;
	}
	c->code_mask = FIRST_CODES - 1;
	c->stack_mask = FIRST_STACKS - 1;
	return c;
}

void python_cache_free(struct py_cache *c)
{
	if (!c)
		return;
	while (c->arena) {
		char *before = *(char **)c->arena;

		shim_munmap(c->arena, ARENA_BYTES);
		c->arena = before;
	}
	shim_munmap(c->codes, ((size_t)c->code_mask + 1) * sizeof *c->codes);
	shim_munmap(c->stacks, ((size_t)c->stack_mask + 1) * sizeof *c->stacks);
	shim_munmap(c, sizeof *c);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xff51afd7ed558ccdu;
	return h ^ h >> 32;
}

/* --- code objects --- */

static uint64_t fingerprint(const char *code)
{
	uint64_t h = 0x9e3779b97f4a7c15u;

	h = mix(h, (uintptr_t)load_ptr(code, layout->co_qualname));
	h = mix(h, (uintptr_t)load_ptr(code, layout->co_filename));
	h = mix(h, (uintptr_t)load_ptr(code, layout->co_linetable));
	return mix(h, (uint64_t)*(const int32_t *)(code + layout->co_firstlineno));
}

static int is_a(const char *object, const void *type)
{
	return object && load_ptr(object, OB_TYPE) == type;
}

/* A compact str's characters: *bytes long, *width bytes each; NULL if not compact. */
static const char *str_chars(const char *s, uint32_t *bytes, uint32_t *width)
{
	uint32_t state = *(const uint32_t *)(s + STR_STATE);
	int64_t length = *(const int64_t *)(s + VAR_SIZE);
	uint32_t kind = state >> 2 & 7;

	if (!(state >> 5 & 1) || (kind != 1 && kind != 2 && kind != 4) || length < 0)
		return NULL;
	if ((uint64_t)length * kind > MF_PY_NAME_MAX)
		length = MF_PY_NAME_MAX / kind;
	*bytes = (uint32_t)length * kind;
	*width = kind;
	return s + (state >> 6 & 1 ? layout->str_ascii : layout->str_compact);
}

/* Copy the code object into the ring as MF_EV_PYCODE; 0 when it is not one. */
static int send_code(struct shim_thread *t, const char *code, uint64_t id)
{
	const char *qualname = load_ptr(code, layout->co_qualname);
	const char *filename = load_ptr(code, layout->co_filename);
	const char *table = load_ptr(code, layout->co_linetable);
	const char *q, *f;
	uint32_t qlen, qwidth, flen, fwidth, tlen, size;
	int64_t len;
	struct mf_event *e;
	char *p;

	if (!is_a(code, code_type) || !is_a(qualname, str_type) || !is_a(filename, str_type) ||
	    !is_a(table, bytes_type))
		return 0;
	q = str_chars(qualname, &qlen, &qwidth);
	f = str_chars(filename, &flen, &fwidth);
	len = *(const int64_t *)(table + VAR_SIZE);
	if (!q || !f || len < 0)
		return 0;
	tlen = len > MF_PY_TABLE_MAX ? MF_PY_TABLE_MAX : (uint32_t)len;
	size = sizeof *e + ((qlen + flen + tlen + 7) & ~7u);
	e = ring_reserve(t, size);
	if (!e)
		return 0;
	e->type = MF_EV_PYCODE;
	e->size = size;
	e->aux = 0;
	e->key = id;
	e->time_ns = 0;
	e->a = (uint64_t)(int64_t)*(const int32_t *)(code + layout->co_firstlineno);
	e->b = qlen | (uint64_t)flen << 32;
	e->c = qwidth | fwidth << 8 | (uint64_t)tlen << 32;
	p = (char *)(e + 1);
	memset(p + ((qlen + flen + tlen) & ~7u), 0, 8);
	memcpy(p, q, qlen);
	memcpy(p + qlen, f, flen);
	memcpy(p + qlen + flen, table + BYTES_DATA, tlen);
	ring_publish(t);
	return 1;
}

static int codes_grow(struct py_cache *c)
{
	size_t old_cap = (size_t)c->code_mask + 1;
	struct code_entry *old = c->codes, *table = table_new(2 * old_cap, sizeof *table);

	if (!table)
		return 0;
	c->codes = table;
	c->code_mask = 2 * old_cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].code) {
			uint32_t j = (uint32_t)mix(0, (uintptr_t)old[i].code) & c->code_mask;

			while (table[j].code)
				j = (j + 1) & c->code_mask;
			table[j] = old[i];
		}
	}
	shim_munmap(old, old_cap * sizeof *old);
	return 1;
}

/* The id of the code object at code, sent first if new here; 0 if it is not one. */
static uint64_t code_id(struct shim_thread *t, struct py_cache *c, const char *code)
{
	uint64_t fp, id;
	struct code_entry *e;

	if (!is_a(code, code_type))
		return 0;
	fp = fingerprint(code);
	for (uint32_t i = (uint32_t)mix(0, (uintptr_t)code) & c->code_mask;; i = (i + 1) & c->code_mask) {
		e = &c->codes[i];
		if (!e->code || e->code == code)
			break;
	}
	if (e->code == code && e->fingerprint == fp)
		return e->id;
	id = atomic_fetch_add(&shim_hdr->next_stack, 1);
	if (!send_code(t, code, id))
		return 0;
	if (!e->code)
		c->code_count++;
	e->code = code;
	e->fingerprint = fp;
	e->id = id;
	if (c->code_count * 2 > c->code_mask)
		codes_grow(c);
	return id;
}

/* --- stacks --- */

/* A few more than we keep, to see whether the chain was cut. */
#define WALK_MAX (MF_MAX_DEPTH + 1)

/*
 * The Python frames of thread state ts, innermost first, as pairs (code
 * id | MF_PY_ENTRY, instruction offset); returns their count, with
 * MF_STACK_TRUNCATED when the chain was longer.
 */
static uint32_t read_frames(struct shim_thread *t, struct py_cache *c, const char *ts,
			    uint64_t *out)
{
	const char *frame = load_ptr(ts, layout->ts_frame);
	uint32_t n = 0, steps = 0;

	if (frame && layout->cf_frame != NONE)
		frame = load_ptr(frame, layout->cf_frame);
	for (; frame && steps < 4 * WALK_MAX; frame = load_ptr(frame, layout->fr_previous), steps++) {
		const char *code = load_ptr(frame, layout->fr_code);
		uint64_t id;

		if (*(const char *)(frame + layout->fr_owner) == OWNED_BY_CSTACK &&
		    layout->fr_entry == NONE) {
			if (n)
				out[2 * (n - 1)] |= MF_PY_ENTRY;
			continue;
		}
		if (n == MF_MAX_DEPTH)
			return n | MF_STACK_TRUNCATED;
		id = code_id(t, c, code);
		if (!id)
			continue;
		if (layout->fr_entry != NONE && *(const char *)(frame + layout->fr_entry))
			id |= MF_PY_ENTRY;
		out[2 * n] = id;
		out[2 * n + 1] = (uint64_t)(load_ptr(frame, layout->fr_instr) - (code + layout->co_code));
		n++;
	}
	if (n)
		out[2 * (n - 1)] |= MF_PY_ENTRY;
	return n;
}

static uint64_t hash_frames(uint64_t native, const uint64_t *frames, uint32_t count)
{
	uint64_t h = mix(0x9e3779b97f4a7c15u ^ count, native);

	for (uint32_t i = 0; i < 2 * (count & ~MF_STACK_TRUNCATED); i++)
		h = mix(h, frames[i]);
	return h;
}

static uint64_t *arena_copy(struct py_cache *c, const uint64_t *frames, size_t words)
{
	size_t bytes = words * sizeof *frames;
	uint64_t *p;

	if (!c->arena || c->arena_used + bytes > ARENA_BYTES) {
		char *chunk = shim_mmap(ARENA_BYTES);

		if (!chunk)
			return NULL;
		*(char **)chunk = c->arena;
		c->arena = chunk;
		c->arena_used = 8;
	}
	p = (uint64_t *)(c->arena + c->arena_used);
	c->arena_used += bytes;
	memcpy(p, frames, bytes);
	return p;
}

static int stacks_grow(struct py_cache *c)
{
	size_t old_cap = (size_t)c->stack_mask + 1;
	struct pystack_entry *old = c->stacks, *table = table_new(2 * old_cap, sizeof *table);

	if (!table)
		return 0;
	c->stacks = table;
	c->stack_mask = 2 * old_cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].id) {
			uint32_t j = old[i].hash & c->stack_mask;

			while (table[j].id)
				j = (j + 1) & c->stack_mask;
			table[j] = old[i];
		}
	}
	shim_munmap(old, old_cap * sizeof *old);
	return 1;
}

static void send_pystack(struct shim_thread *t, uint64_t id, uint64_t native,
			 const uint64_t *frames, uint32_t count)
{
	uint32_t n = count & ~MF_STACK_TRUNCATED;
	uint32_t size = sizeof(struct mf_event) + 2 * n * sizeof *frames;
	struct mf_event *e = ring_reserve(t, size);

	if (!e)
		return;
	e->type = MF_EV_PYSTACK;
	e->size = size;
	e->aux = count;
	e->key = id;
	e->time_ns = 0;
	e->a = native;
	e->b = e->c = 0;
	memcpy(e + 1, frames, 2 * n * sizeof *frames);
	ring_publish(t);
}

uint64_t python_stack_id(struct shim_thread *t, struct py_cache **cache, uint64_t native)
{
	uint64_t frames[2 * MF_MAX_DEPTH], hash, id;
	uint32_t count, n;
	const char *ts;
	struct pystack_entry *e;
	struct py_cache *c;

	if (likely(atomic_load_explicit(&py_state, memory_order_relaxed) == PY_OFF) ||
	    !(ts = current_thread_state()))
		return native;
	if (unlikely(!*cache) && !(*cache = cache_new()))
		return native;
	c = *cache;
	count = read_frames(t, c, ts, frames);
	n = count & ~MF_STACK_TRUNCATED;
	if (n == 0)
		return native;
	hash = hash_frames(native, frames, count);
	for (uint32_t i = hash & c->stack_mask;; i = (i + 1) & c->stack_mask) {
		e = &c->stacks[i];
		if (!e->id)
			break;
		if (e->hash == hash && e->native == native && e->count == count &&
		    memcmp(e->frames, frames, 2 * n * sizeof *frames) == 0)
			return e->id;
	}
	id = atomic_fetch_add(&shim_hdr->next_stack, 1);
	e->frames = arena_copy(c, frames, 2 * n);
	if (e->frames) {
		e->hash = hash;
		e->native = native;
		e->count = count;
		e->id = id;
		if (++c->stack_count * 2 > c->stack_mask)
			stacks_grow(c);
	}
	send_pystack(t, id, native, frames, count);
	return id;
}
