/*
 * shim_stack.c - stacks and modules for the preloaded tracker.
 *
 * Stacks are unwound with libunwind's unw_backtrace (its fast path caches
 * frame layouts per thread) and the shim's own frames dropped.  Each
 * thread keeps a hash table from return-address arrays to stack ids, in
 * memory it maps itself, so a repeated stack costs one unwind and one hash
 * lookup, with no lock.  A new stack takes the next id from the shared
 * header and is sent once, as MF_EV_STACK in this thread's ring, before
 * the event that uses it.
 *
 * Unwinding still costs more than everything else, so a repeated stack
 * is recognised without unwinding when possible: a "shape" remembers, for
 * one stack, where each of its return addresses is stored on the thread's
 * stack (learnt once with libunwind's exact, slow unwinding).  The next
 * call from the same entry slot (same caller, same stack pointer) whose
 * slots still hold the same return addresses has the same stack: its
 * frames are exactly those return addresses.  A shape that keeps being
 * replaced before it pays for itself (one call site reached from ever
 * changing callers) stops being learnt.  Known limits: a function whose
 * frame size varies (alloca) could in principle leave a stale copy of an
 * old return address exactly where a shape looks; and a program that
 * switches stacks (coroutines) and unmaps one could leave a shape pointing
 * into unmapped memory at the same entry address.
 *
 * Modules: before a new stack is sent, any module loaded since the last
 * look is sent as MF_EV_MODULE, so the launcher knows every module a
 * stack can point into before it sees the stack used.  A dlclose makes
 * every thread drop its cache (at its next stack: the unloaded library's
 * addresses may be another's now, with the same return addresses) and
 * forgets the modules no longer loaded, so that a library loaded again is
 * sent again, keyed after the events that came before it.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* The shim's own code: frames in it are dropped from stacks. */
static uintptr_t self_start, self_end;
/* libunwind's code: what it maps and unmaps for itself is not the program's. */
static uintptr_t unwinder_start, unwinder_end;
/* Code the shim runs inside its guard: libunwind's helpers liblzma and libc. */
static uintptr_t lzma_start, lzma_end, libc_start, libc_end;

struct code_range {
	uintptr_t here, start, end;
};

int segment_of(const struct dl_phdr_info *info, uintptr_t addr, uintptr_t *start,
	       uintptr_t *end)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t from = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= from && addr < from + ph->p_memsz) {
			*start = from;
			*end = from + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* The loaded segment holding range->here. */
static int find_segment(struct dl_phdr_info *info, size_t size, void *data)
{
	struct code_range *range = data;

	(void)size;
	return segment_of(info, range->here, &range->start, &range->end);
}

/* The executable segment of the module whose path contains name. */
static int find_named(struct dl_phdr_info *info, size_t size, void *data)
{
	const char **name = data;

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, *name))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			lzma_start = info->dlpi_addr + ph->p_vaddr;
			lzma_end = lzma_start + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

void stack_init(void)
{
	struct code_range self = { (uintptr_t)&stack_id, 0, 0 };
	struct code_range unwinder = { (uintptr_t)&unw_backtrace, 0, 0 };
	struct code_range libc = { (uintptr_t)&dl_iterate_phdr, 0, 0 };
	const char *lzma = "liblzma";

	dl_iterate_phdr(find_segment, &self);
	dl_iterate_phdr(find_segment, &unwinder);
	dl_iterate_phdr(find_segment, &libc);
	dl_iterate_phdr(find_named, &lzma);
	self_start = self.start;
	self_end = self.end;
	unwinder_start = unwinder.start;
	unwinder_end = unwinder.end;
	libc_start = libc.start;
	libc_end = libc.end;
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	python_init();
}

int unwinder_code(const void *pc)
{
	return (uintptr_t)pc >= unwinder_start && (uintptr_t)pc < unwinder_end;
}

int internal_code(const void *pc)
{
	uintptr_t a = (uintptr_t)pc;

	return (a >= self_start && a < self_end) || unwinder_code(pc) ||
	       (a >= lzma_start && a < lzma_end) || (a >= libc_start && a < libc_end);
}

/* --- the per-thread stack cache --- */

struct stack_entry {
	uint64_t hash;
	uint64_t id;			/* 0: empty */
	const uint64_t *pcs;
	uint32_t depth;			/* | MF_STACK_TRUNCATED */
	uint32_t unused;
};

#define ARENA_CHUNK (1u << 20)
#define FIRST_TABLE 4096u

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
};

#define SHAPES 4096u		/* per thread; touched only as used */
#define SHAPE_DEPTH 64u		/* deeper stacks are always unwound */
#define SHAPE_MAX_LEARNT 4u	/* learning costs about 30 fast unwinds */
#define SHAPE_USEFUL 64u	/* hits that pay for learning again */

struct shape {
	const uint64_t *slot0;		/* the hook's entry slot; NULL: empty */
	uint64_t id;
	uint32_t depth;
	uint32_t learnt;		/* times learnt since it last proved useful */
	uint32_t hits;			/* since it was last learnt */
	const uint64_t *seen_slot;	/* the last stack seen here that was not learnt ... */
	uint64_t seen_id;		/* ... its id: learnt when it comes again */
	uint32_t at[SHAPE_DEPTH];	/* where pc[i] is stored: slot0 + at[i] */
	uint64_t pc[SHAPE_DEPTH];
};

/* Bumped by every dlclose: a cache filled before is dropped. */
static _Atomic uint64_t modules_gen;

struct stack_cache {
	uint64_t gen;			/* modules_gen when it was made */
	struct shape *shapes;		/* SHAPES of them */
	struct stack_entry *table;
	uint32_t mask;			/* capacity - 1 */
	uint32_t count;
	struct arena_chunk *chunk;	/* newest first */
	struct py_cache *python;	/* Python frames (shim_python.c) */
};

static struct stack_cache *cache_new(void)
{
	struct stack_cache *c = shim_mmap(sizeof *c);

	if (!c)
		return NULL;
	c->table = shim_mmap(FIRST_TABLE * sizeof *c->table);
	c->shapes = shim_mmap(SHAPES * sizeof *c->shapes);
	if (!c->table || !c->shapes) {
		if (c->table)
			shim_munmap(c->table, FIRST_TABLE * sizeof *c->table);
		if (c->shapes)
			shim_munmap(c->shapes, SHAPES * sizeof *c->shapes);
		shim_munmap(c, sizeof *c);
		return NULL;
	}
	c->mask = FIRST_TABLE - 1;
	c->gen = atomic_load(&modules_gen);
	return c;
}

void stack_cache_free(struct shim_thread *t)
{
	struct stack_cache *c = t->cache;

	if (!c)
		return;
	while (c->chunk) {
		struct arena_chunk *next = c->chunk->next;

		shim_munmap(c->chunk, ARENA_CHUNK);
		c->chunk = next;
	}
	shim_munmap(c->table, ((size_t)c->mask + 1) * sizeof *c->table);
	shim_munmap(c->shapes, SHAPES * sizeof *c->shapes);
	python_cache_free(c->python);
	shim_munmap(c, sizeof *c);
	t->cache = NULL;
}

static uint64_t *arena_copy(struct stack_cache *c, const uint64_t *pcs, uint32_t n)
{
	size_t bytes = (size_t)n * sizeof *pcs;
	uint64_t *p;

	if (!c->chunk || c->chunk->used + bytes > ARENA_CHUNK) {
		struct arena_chunk *chunk = shim_mmap(ARENA_CHUNK);

		if (!chunk)
			return NULL;
		chunk->next = c->chunk;
		chunk->used = sizeof *chunk;
		c->chunk = chunk;
	}
	p = (uint64_t *)((char *)c->chunk + c->chunk->used);
	c->chunk->used += bytes;
	memcpy(p, pcs, bytes);
	return p;
}

/* depth may carry MF_STACK_TRUNCATED: a cut stack differs from a whole one. */
static uint64_t hash_pcs(const uint64_t *pcs, uint32_t depth)
{
	uint32_t n = depth & ~MF_STACK_TRUNCATED;
	uint64_t h = 0x9e3779b97f4a7c15u ^ depth;

	for (uint32_t i = 0; i < n; i++) {
		h = (h ^ pcs[i]) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	return h;
}

static struct stack_entry *cache_find(struct stack_cache *c, uint64_t hash,
				      const uint64_t *pcs, uint32_t depth)
{
	for (uint32_t i = hash & c->mask;; i = (i + 1) & c->mask) {
		struct stack_entry *e = &c->table[i];

		if (e->id == 0 ||
		    (e->hash == hash && e->depth == depth &&
		     memcmp(e->pcs, pcs, (depth & ~MF_STACK_TRUNCATED) * sizeof *pcs) == 0))
			return e;
	}
}

/* Double the table when half full.  Returns 0 when out of memory. */
static int cache_grow(struct stack_cache *c)
{
	size_t old_cap = (size_t)c->mask + 1;
	struct stack_entry *old = c->table;
	struct stack_entry *table = shim_mmap(2 * old_cap * sizeof *table);

	if (!table)
		return 0;
	c->table = table;
	c->mask = 2 * old_cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].id) {
			uint32_t j = old[i].hash & c->mask;

			while (table[j].id)
				j = (j + 1) & c->mask;
			table[j] = old[i];
		}
	}
	shim_munmap(old, old_cap * sizeof *old);
	return 1;
}

static void send_stack(struct shim_thread *t, uint64_t id, const uint64_t *pcs, uint32_t depth)
{
	uint32_t n = depth & ~MF_STACK_TRUNCATED;
	uint32_t size = sizeof(struct mf_event) + n * sizeof *pcs;
	struct mf_event *e = ring_reserve(t, size);

	if (!e)
		return;
	e->type = MF_EV_STACK;
	e->size = size;
	e->aux = depth;
	e->key = id;
	e->time_ns = 0;
	e->a = e->b = e->c = 0;
	memcpy(e + 1, pcs, n * sizeof *pcs);
	ring_publish(t);
}

/* --- stack shapes --- */

static struct shape *shape_for(struct stack_cache *c, const uint64_t *entry)
{
	uint64_t h = ((uintptr_t)entry ^ *entry) * 0x9e3779b97f4a7c15u;

	return &c->shapes[h >> 52 & (SHAPES - 1)];
}

/* Does the stack still look as it did when the shape was learnt? */
static int shape_holds(const struct shape *sh, const uint64_t *entry)
{
	if (sh->slot0 != entry || sh->pc[0] != *entry)
		return 0;
	for (uint32_t i = 1; i < sh->depth; i++)
		if (entry[sh->at[i]] != sh->pc[i])
			return 0;
	return 1;
}

/*
 * Learn where stack id's return addresses pcs are stored, by unwinding
 * with libunwind's cursor, which gives each frame's stack pointer: the
 * return address into a frame sits just below it.  Anything unexpected
 * (a signal frame, a frame pointer the hook did not keep) leaves the
 * shape empty.
 */
static void shape_learn(struct shape *sh, const uint64_t *entry, const uint64_t *pcs,
			uint32_t depth, uint64_t id)
{
	unw_context_t context;
	unw_cursor_t cursor;
	uint32_t k = 0;

	if (sh->hits >= SHAPE_USEFUL)
		sh->learnt = 0;
	sh->learnt++;
	sh->hits = 0;
	sh->slot0 = NULL;
	if (unw_getcontext(&context) < 0 || unw_init_local(&cursor, &context) < 0)
		return;
	do {
		unw_word_t ip, sp;

		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 ||
		    unw_get_reg(&cursor, UNW_REG_SP, &sp) < 0)
			return;
		if (k == 0 && ip >= self_start && ip < self_end)
			continue;
		if (k == depth || ip != pcs[k] || *((const uint64_t *)sp - 1) != ip ||
		    (const uint64_t *)sp - 1 < entry || (const uint64_t *)sp - 1 - entry > UINT32_MAX)
			return;
		sh->at[k] = (const uint64_t *)sp - 1 - entry;
		sh->pc[k] = ip;
		k++;
	} while (unw_step(&cursor) > 0);
	if (k != depth || sh->at[0] != 0)
		return;
	sh->depth = depth;
	sh->id = id;
	sh->slot0 = entry;
}

/* --- stack ids --- */

/* A few more than we keep, to see whether the stack was cut. */
#define UNWIND_MAX (MF_MAX_DEPTH + 8)

static uint64_t find_stack_id(struct shim_thread *t, const uint64_t *entry)
{
	void *buf[UNWIND_MAX];
	int n, skip = 0;
	uint32_t depth;
	const uint64_t *pcs;
	uint64_t hash, id;
	struct stack_entry *e;
	struct shape *sh;

	if (unlikely(t->cache && t->cache->gen != atomic_load_explicit(&modules_gen,
								       memory_order_acquire)))
		stack_cache_free(t);	/* a library was unloaded since */
	if (unlikely(!t->cache) && !(t->cache = cache_new()))
		return 0;
	sh = shape_for(t->cache, entry);
	if (sh->slot0 && shape_holds(sh, entry)) {
		sh->hits += sh->hits < UINT32_MAX;
		return sh->id;
	}

	n = unw_backtrace(buf, UNWIND_MAX);
	while (skip < n && (uintptr_t)buf[skip] >= self_start && (uintptr_t)buf[skip] < self_end)
		skip++;
	depth = n - skip;
	if (depth > MF_MAX_DEPTH)
		depth = MF_MAX_DEPTH | MF_STACK_TRUNCATED;
	pcs = (const uint64_t *)(buf + skip);
	hash = hash_pcs(pcs, depth);
	e = cache_find(t->cache, hash, pcs, depth);
	if (likely(e->id)) {
		/*
		 * Seen before: worth learning its shape for next time, once
		 * it came twice in a row from the same entry slot (learning
		 * walks libunwind's slow cursor, two system calls a frame
		 * where its caches miss: python's ever-changing stacks
		 * paid more for learning than shapes saved).
		 */
		if (depth <= SHAPE_DEPTH &&
		    (sh->learnt < SHAPE_MAX_LEARNT || sh->hits >= SHAPE_USEFUL)) {
			if (sh->seen_slot == entry && sh->seen_id == e->id)
				shape_learn(sh, entry, pcs, depth, e->id);
			sh->seen_slot = entry;
			sh->seen_id = e->id;
		}
		return e->id;
	}

	id = atomic_fetch_add(&shim_hdr->next_stack, 1);
	e->pcs = arena_copy(t->cache, pcs, depth & ~MF_STACK_TRUNCATED);
	if (e->pcs) {
		e->hash = hash;
		e->depth = depth;
		e->id = id;
		if (++t->cache->count * 2 > t->cache->mask)
			cache_grow(t->cache);
	}
	modules_check(t);
	send_stack(t, id, pcs, depth);
	return id;
}

/* The guard: libunwind may allocate or map, and a signal handler must not
 * enter the cache while it is being changed. */
uint64_t stack_id(struct shim_thread *t, const uint64_t *entry)
{
	uint64_t id;

	t->guard++;
	atomic_signal_fence(memory_order_seq_cst);
	id = find_stack_id(t, entry);
	if (id)
		id = python_stack_id(t, &t->cache->python, id);
	atomic_signal_fence(memory_order_seq_cst);
	t->guard--;
	return id;
}

uint64_t stack_of_one(struct shim_thread *t, uint64_t pc)
{
	uint64_t id = atomic_fetch_add(&shim_hdr->next_stack, 1);

	send_stack(t, id, &pc, 1 | MF_STACK_TRUNCATED);
	return id;
}

/* --- modules --- */

static char exe_path[MF_PATH_MAX];

void modules_init(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);

	exe_path[n > 0 ? n : 0] = '\0';
}

/*
 * Modules already sent, by (bias, start, path hash), each with the
 * unloading round it was last seen loaded in: one of an earlier round is
 * gone (it was not loaded when a dlclose returned) and is sent again if
 * it comes back.  Only touched inside dl_iterate_phdr callbacks, which
 * glibc runs under its loader lock, so threads never race on it.
 */
#define MAX_MODULES 4096u
static struct { uint64_t bias, start, name, round; } sent[MAX_MODULES];
static uint32_t sent_count;
static uint64_t sent_round;
static _Atomic unsigned long long adds_seen;

static uint64_t hash_name(const char *s)
{
	uint64_t h = 14695981039346656037u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* The module (bias, start, name) sent and seen loaded in round, or -1. */
static int64_t sent_index(uint64_t bias, uint64_t start, uint64_t name, uint64_t round)
{
	for (uint32_t i = 0; i < sent_count; i++)
		if (sent[i].bias == bias && sent[i].start == start && sent[i].name == name &&
		    sent[i].round == round)
			return i;
	return -1;
}

static int already_sent(uint64_t bias, uint64_t start, uint64_t name)
{
	uint32_t i = 0;

	if (sent_index(bias, start, name, sent_round) >= 0)
		return 1;
	while (i < sent_count && sent[i].round == sent_round)
		i++;	/* the first entry of a module gone, or the end */
	if (i < MAX_MODULES) {
		sent[i].bias = bias;
		sent[i].start = start;
		sent[i].name = name;
		sent[i].round = sent_round;
		sent_count += i == sent_count;
	}
	return 0;
}

/*
 * The module's build id, from its GNU build-id note in memory; 0 bytes
 * when it has none.  Sent with the module, so that the launcher, which
 * hears of it later, can tell its file from one loaded after it at the
 * same place or put at its path since.
 */
static uint32_t build_id_of(const struct dl_phdr_info *info, const unsigned char **id)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		const unsigned char *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (end - p >= 12) {
			const uint32_t *h = (const uint32_t *)p;
			uint64_t name = (h[0] + 3u) & ~3u, desc = (h[1] + 3u) & ~3u;

			if ((uint64_t)(end - p - 12) < name + desc)
				break;
			if (h[2] == NT_GNU_BUILD_ID && h[0] == 4 && !memcmp(p + 12, "GNU", 4) &&
			    h[1] <= MF_BUILD_ID_MAX) {
				*id = p + 12 + name;
				return h[1];
			}
			p += 12 + name + desc;
		}
	}
	return 0;
}

static void send_module(struct shim_thread *t, const char *path, uint64_t bias,
			uint64_t start, uint64_t end, const unsigned char *id, uint32_t idlen)
{
	uint32_t len = strnlen(path, MF_PATH_MAX - 1);
	uint32_t padded = (len + 7) & ~7u;
	uint32_t size = sizeof(struct mf_event) + padded + ((idlen + 7) & ~7u);
	uint64_t key = event_key();
	struct mf_event *e = ring_reserve(t, size);

	if (!e)
		return;
	e->type = MF_EV_MODULE;
	e->size = size;
	e->aux = len | idlen << 16;
	e->key = key;
	e->time_ns = shim_clock_tsc ? 0 : now_ns(t);
	e->a = bias;
	e->b = start;
	e->c = end;
	memset(e + 1, 0, size - sizeof *e);
	memcpy(e + 1, path, len);
	memcpy((char *)(e + 1) + padded, id, idlen);
	ring_publish(t);
}

uint64_t module_extent(const struct dl_phdr_info *info, uint64_t *lo)
{
	uint64_t hi = 0;

	*lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr < *lo)
			*lo = ph->p_vaddr;
		if (ph->p_vaddr + ph->p_memsz > hi)
			hi = ph->p_vaddr + ph->p_memsz;
	}
	return hi;
}

/*
 * A module loaded by a relative path ("./libplugin.so") is sent by the
 * absolute one it has now: the launcher may hear of it after the program
 * changed directory, unloaded it, or ended, and its working directory is
 * another.  (Only in dl_iterate_phdr callbacks: under the loader lock.)
 */
static const char *absolute_path(const char *path)
{
	static char buf[MF_PATH_MAX];
	size_t n;

	if (path[0] == '/' || !getcwd(buf, sizeof buf - 1))
		return path;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	n = strlen(buf);
	if (n + 1 + strlen(path) >= sizeof buf)
		return path;
	buf[n] = '/';
	strcpy(buf + n + 1, path);
	return buf;
}

struct modules_pass {
	struct shim_thread *t;
	unsigned long long adds;
	int index;
};

static int module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct modules_pass *pass = data;
	const char *path = info->dlpi_name ? info->dlpi_name : "";
	const unsigned char *id = NULL;
	uint32_t idlen;
	uint64_t lo, hi;

	(void)size;
	if (pass->index++ == 0) {
		pass->adds = info->dlpi_adds;
		if (pass->adds == atomic_load(&adds_seen))
			return 1;
		path = exe_path;
	}
	if (path[0] == '\0' || strncmp(path, "linux-vdso", 10) == 0 ||
	    strncmp(path, "linux-gate", 10) == 0)
		return 0;
	hi = module_extent(info, &lo);
	if (hi == 0 || already_sent(info->dlpi_addr, lo, hash_name(path)))
		return 0;
	idlen = build_id_of(info, &id);
	send_module(pass->t, absolute_path(path), info->dlpi_addr, info->dlpi_addr + lo, info->dlpi_addr + hi,
		    id, idlen);
	return 0;
}

/* A new round: the modules still loaded (the first is the program) carry over to it. */
static int carry_over(struct dl_phdr_info *info, size_t size, void *data)
{
	int *index = data;
	const char *path = (*index)++ == 0 ? exe_path : info->dlpi_name ? info->dlpi_name : "";
	uint64_t lo;
	int64_t i;

	(void)size;
	if (*index == 1)
		sent_round++;
	if (module_extent(info, &lo) == 0)
		return 0;
	i = sent_index(info->dlpi_addr, lo, hash_name(path), sent_round - 1);
	if (i >= 0)
		sent[i].round = sent_round;
	return 0;
}

void modules_unloaded(void)
{
	int index = 0;

	dl_iterate_phdr(carry_over, &index);
	atomic_fetch_add(&modules_gen, 1);
}

void modules_forget(void)
{
	sent_count = 0;
	atomic_store(&adds_seen, 0);
}

void modules_check(struct shim_thread *t)
{
	struct modules_pass pass = { t, 0, 0 };

	dl_iterate_phdr(module_cb, &pass);
	atomic_store(&adds_seen, pass.adds);
}
