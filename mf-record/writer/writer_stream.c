/*
 * writer_stream.c - binary events in, the text event stream out: the
 * writer's entry points (writer.h), the malloc family and the mappings,
 * and the H and E records.
 *
 * This runs for every event the recorded program makes: the helpers it
 * calls per event (live_slot, memory_advance, threads_ensure, frames_node,
 * format_alloc, format_free) are static inline in their headers.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "syntax.h"
#include "writer_format.h"
#include "writer_frames.h"
#include "writer_live.h"
#include "writer_memory.h"
#include "writer_output.h"
#include "writer_regions.h"
#include "writer_sites.h"
#include "writer_threads.h"

/*
 * Per thread, the reserved parts of the range its latest mremap unmapped
 * (offsets from its start), for the new range to take over.
 */
struct remap_part {
	uint64_t lo, hi;
};

struct remap {
	uint32_t valid;		/* an unmapping waits for its new range */
	uint64_t pages;		/* the old range's length, to its page end */
	struct remap_part *parts;
	size_t n, cap;
};

struct writer {
	struct writer_output text;
	struct writer_options o;
	struct writer_memory memory;
	struct writer_frames frames;
	struct writer_threads threads;
	struct live live;	/* malloc family; number: allocation number, aggregated: site index */
	struct writer_regions regions;
	struct remap *remaps;	/* by thread number: mremaps under way */
	size_t nremaps, cap_remaps;
	struct writer_sites sites;
	uint64_t heap;		/* live bytes */
	uint64_t allocs, frees, untracked;
	uint64_t double_frees;	/* frees of an address freed and not handed out since */
	uint64_t last_freed;	/* the allocation number the last f record freed */
	struct live inherited;	/* a forked child's: its parent's blocks at the fork (writer_inherit) */
	uint32_t max_thread;	/* the highest thread number written */
	uint32_t thread_shift;	/* after an execve: added to the new program's threads but its first */
};

/* ---- allocations: full or aggregated ---- */

/* Record an allocation; returns what its free will need (number or site). */
static uint64_t record_alloc(struct writer *w, uint32_t thread, uint64_t stack,
			     uint64_t size, unsigned allocator)
{
	w->allocs++;
	w->heap += size;
	if (w->o.aggregate) {
		frames_used(&w->frames, stack);	/* its names are those of now */
		return sites_alloc(&w->sites, thread, stack, size, w->heap, w->memory.now_ms);
	}
	threads_ensure(&w->threads, &w->text, thread);
	format_alloc(&w->text, thread, frames_node(&w->frames, &w->text, stack), size, allocator);
	return w->allocs;
}

static void record_free(struct writer *w, uint32_t thread, uint64_t number, uint64_t size)
{
	w->frees++;
	w->heap -= size;
	if (w->o.aggregate) {
		sites_free(&w->sites, number, size);
		return;
	}
	threads_ensure(&w->threads, &w->text, thread);
	format_free(&w->text, thread, number, w->allocs, &w->last_freed);
}

/* ---- the malloc family ---- */

static enum writer_wait malloc_alloc(struct writer *w, uint32_t thread, const struct mf_event *ev,
				     unsigned may_wait)
{
	uint64_t addr = ev->a;
	struct live_block *b = live_slot(&w->live, addr);
	if (b->addr == addr && b->number != LIVE_FREED) {
		if (may_wait & WRITER_MAY_WAIT_ORDER)
			return WRITER_AFTER_FREE;
		/*
		 * The address is still live here: its free was lost.  The
		 * memory cannot be handed out twice, so the old block is freed
		 * first, with a comment saying why.
		 */
		if (!w->o.aggregate) {
			buf_printf(&w->text.line, "%c implicit free: address 0x%llx allocated again",
				   SYNTAX_COMMENT, (unsigned long long)addr);
			text_end_line(&w->text);
		}
		record_free(w, thread, b->number, b->size);
	} else {
		live_claim(&w->live, b, addr);
	}
	/* record_alloc may write records but does not touch live: b stays. */
	b->number = record_alloc(w, thread, ev->c, ev->b, ev->aux);
	b->size = ev->b;
	return WRITER_WRITTEN;
}

/* ---- mappings ---- */

/*
 * A mapping is memory only while accessible (proto.h): the regions hold
 * its pieces, each memory (an allocation) or reserved (no record).  Every
 * change to a piece frees it if it was memory and allocates again, with
 * the same stack, each part of it that stays memory.
 */

/* Part [start, end) of piece r, in r's state (allocated again if memory). */
static void region_keep(struct writer *w, uint32_t thread, const struct region *r,
			uint64_t start, uint64_t end)
{
	uint64_t req_end = r->start + r->len;
	if (end > req_end)
		end = req_end;
	if (end <= start)
		return;
	struct region part = *r;
	part.start = start;
	part.len = end - start;
	if (!part.reserved)
		part.number = record_alloc(w, thread, r->stack, part.len, r->allocator);
	regions_insert(&w->regions, &part);
}

/* A new piece at [start, start + len); allocated unless reserved. */
static void region_new(struct writer *w, uint32_t thread, uint64_t start, uint64_t len,
		       uint64_t stack, unsigned allocator, int reserved)
{
	if (len == 0)
		return;
	/* The parts that stay of a piece made by mremap are mmap's. */
	struct region r = { .start = start, .len = len, .stack = stack,
			    .allocator = allocator == MF_MREMAP ? MF_MMAP : allocator,
			    .reserved = (uint32_t)reserved };
	if (!reserved)
		r.number = record_alloc(w, thread, stack, len, allocator);
	regions_insert(&w->regions, &r);
}

/*
 * Take piece r out and put back its parts outside [start, end): what is
 * inside is the caller's to replace.
 */
static void region_cut(struct writer *w, uint32_t thread, const struct region *r,
		       uint64_t start, uint64_t end)
{
	struct region taken;
	regions_take_at(&w->regions, r->start, &taken);
	if (!r->reserved)
		record_free(w, thread, r->number, r->len);
	region_keep(w, thread, r, r->start, start);
	region_keep(w, thread, r, end, regions_end(&w->regions, r->start, r->len));
}

/* The part of piece r inside [start, end), as [*lo, *hi) (hi as requested). */
static void region_inside(const struct region *r, uint64_t start, uint64_t end,
			  uint64_t *lo, uint64_t *hi)
{
	*lo = r->start > start ? r->start : start;
	*hi = r->start + r->len < end ? r->start + r->len : end;
}

static struct remap *remap_of(struct writer *w, uint32_t thread)
{
	if (thread >= w->nremaps) {
		size_t n = w->nremaps;
		w->remaps = xgrow(w->remaps, &w->cap_remaps, (size_t)thread + 1, sizeof *w->remaps);
		memset(w->remaps + n, 0, (w->cap_remaps - n) * sizeof *w->remaps);
		w->nremaps = w->cap_remaps;
	}
	return &w->remaps[thread];
}

static void remap_note(struct writer *w, struct remap *m, const struct region *r,
		       uint64_t addr, uint64_t end)
{
	uint64_t lo = r->start > addr ? r->start : addr;
	uint64_t hi = regions_end(&w->regions, r->start, r->len);
	if (hi > end)
		hi = end;
	m->parts = xgrow(m->parts, &m->cap, m->n + 1, sizeof *m->parts);
	m->parts[m->n++] = (struct remap_part){ lo - addr, hi - addr };
}

/*
 * munmap of [addr, addr + len): every piece it touches is taken out, and
 * the parts of it that stay mapped are put back.  Returns whether it
 * touched any.  m: where to note the reserved parts unmapped, or NULL.
 */
static int unmap_range(struct writer *w, uint32_t thread, uint64_t addr, uint64_t len,
		       struct remap *m)
{
	uint64_t end = regions_end(&w->regions, addr, len);
	int touched = 0;
	struct region r;
	/* The parts kept lie outside [addr, end): the loop ends. */
	while (regions_find_overlapping(&w->regions, addr, end, &r)) {
		if (m && r.reserved)
			remap_note(w, m, &r, addr, end);
		region_cut(w, thread, &r, addr, end);
		touched = 1;
	}
	return touched;
}

/*
 * mprotect: make the pieces in [addr, addr + len) that are in the other
 * state memory (commit: stack and allocator given) or reserved.  Pieces
 * already in that state, and memory no mapping of ours holds, stay as
 * they are.
 */
static void protect_range(struct writer *w, uint32_t thread, uint64_t addr, uint64_t len,
			  uint64_t stack, int commit)
{
	uint64_t end = regions_end(&w->regions, addr, len), pos = addr, lo, hi;
	struct region r;
	while (regions_find_overlapping(&w->regions, pos, end, &r)) {
		pos = regions_end(&w->regions, r.start, r.len);
		if (r.reserved != (uint32_t)commit)
			continue;
		region_cut(w, thread, &r, addr, end);
		region_inside(&r, addr, end, &lo, &hi);
		region_new(w, thread, lo, hi - lo, commit ? stack : 0, MF_MPROTECT, !commit);
	}
}

static void mmap_alloc(struct writer *w, uint32_t thread, uint64_t addr, uint64_t size,
		       uint64_t stack, int reserved)
{
	/* A mapping over mapped memory replaces it (MAP_FIXED). */
	unmap_range(w, thread, addr, size, NULL);
	region_new(w, thread, addr, size, stack, MF_MMAP, reserved);
}

/*
 * mremap's new range: memory where the old one was (a range that was not
 * ours counts as memory), reserved where it was reserved; a range that
 * grows takes the protection of the old range's last page, as the kernel
 * does.
 */
static void remap_alloc(struct writer *w, uint32_t thread, uint64_t addr, uint64_t size,
			uint64_t stack)
{
	struct remap *m = remap_of(w, thread);
	size_t n = m->valid ? m->n : 0;
	uint64_t pos = 0;
	/* A mapping over mapped memory replaces it (MREMAP_FIXED). */
	unmap_range(w, thread, addr, size, NULL);
	for (size_t i = 0; i < n && m->parts[i].lo < size; i++) {
		uint64_t lo = m->parts[i].lo, hi = m->parts[i].hi;
		if (i == n - 1 && hi >= m->pages)
			hi = size;
		if (hi > size)
			hi = size;
		region_new(w, thread, addr + pos, lo - pos, stack, MF_MREMAP, 0);
		region_new(w, thread, addr + lo, hi - lo, 0, MF_MREMAP, 1);
		pos = hi;
	}
	if (pos < size)
		region_new(w, thread, addr + pos, size - pos, stack, MF_MREMAP, 0);
	m->valid = 0;
	m->n = 0;
}

/* munmap, or (c = 1) the unmapping of an mremap's old range. */
static void unmap_event(struct writer *w, uint32_t thread, const struct mf_event *ev)
{
	struct remap *m = NULL;
	if (ev->c == 1) {
		m = remap_of(w, thread);
		m->valid = 1;
		m->n = 0;
		m->pages = regions_end(&w->regions, 0, ev->b);
	}
	if (!unmap_range(w, thread, ev->a, ev->b, m))
		w->untracked++;
}

/*
 * free(addr) of a block, or (from mremap) a whole mapping: LIVE_WAS_LIVE
 * if it was live, LIVE_WAS_FREED if addr was a block freed before.
 */
static enum live_was free_live(struct writer *w, uint32_t thread, uint64_t addr)
{
	struct live_block b;
	enum live_was was = live_free(&w->live, addr, &b);
	if (was == LIVE_WAS_LIVE) {
		record_free(w, thread, b.number, b.size);
		return was;
	}
	struct region r;
	if (regions_take_at(&w->regions, addr, &r)) {
		if (!r.reserved) {
			record_free(w, thread, r.number, r.len);
			return LIVE_WAS_LIVE;
		}
		regions_insert(&w->regions, &r);	/* no memory to free */
	}
	return was;
}

/* A forked child's free of a block its parent allocated: in the parent's capture, not here. */
static int free_inherited(struct writer *w, uint64_t addr)
{
	struct live_block b;
	return w->inherited.slots && live_free(&w->inherited, addr, &b) == LIVE_WAS_LIVE;
}

void writer_inherit(struct writer *child, const struct writer *parent)
{
	const struct live *from = &parent->live;
	for (size_t i = 0; from->slots && i <= from->mask; i++) {
		const struct live_block *b = &from->slots[i];
		if (b->addr == LIVE_EMPTY || b->number == LIVE_FREED)
			continue;
		struct live_block *to = live_slot(&child->inherited, b->addr);
		live_claim(&child->inherited, to, b->addr);
		to->number = 1;
		to->size = b->size;
	}
}

/* free(addr): a live block or mapping, a block freed before, or untracked. */
static enum writer_wait free_address(struct writer *w, uint32_t thread, uint64_t addr,
				     unsigned may_wait)
{
	enum live_was was = free_live(w, thread, addr);
	if (was == LIVE_WAS_LIVE || !addr)
		return WRITER_WRITTEN;
	if (may_wait & WRITER_MAY_WAIT_ORDER)
		return WRITER_AFTER_ALLOC;
	if (was == LIVE_WAS_FREED)
		w->double_frees++;
	else if (!free_inherited(w, addr))
		w->untracked++;
	return WRITER_WRITTEN;
}

/* ---- events ---- */

static void check_size(const struct mf_event *ev, size_t len)
{
	if (sizeof *ev + len > ev->size)
		die("the recorded process sent a bad event (type %u, %u bytes)",
		    ev->type, ev->size);
}

static enum writer_wait allocation(struct writer *w, uint32_t thread, const struct mf_event *ev,
				   unsigned may_wait)
{
	if (ev->aux >= MF_ALLOCATOR_COUNT || ev->c >= FRAMES_MAX_STACK)
		die("the recorded process sent a bad allocation (allocator %u, stack %llu)",
		    ev->aux, (unsigned long long)ev->c);
	/* Symbolized before anything is written: the caller may drain meanwhile. */
	if ((may_wait & WRITER_MAY_WAIT_SYMBOLS) && !w->o.aggregate &&
	    !frames_symbolized(&w->frames, ev->c))
		return WRITER_AFTER_SYMBOLS;
	switch (ev->aux) {
	case MF_MMAP:
		mmap_alloc(w, thread, ev->a, ev->b, ev->c, 0);
		return WRITER_WRITTEN;
	case MF_MREMAP:
		remap_alloc(w, thread, ev->a, ev->b, ev->c);
		return WRITER_WRITTEN;
	case MF_MPROTECT:
		protect_range(w, thread, ev->a, ev->b, ev->c, 1);
		return WRITER_WRITTEN;
	default:
		return malloc_alloc(w, thread, ev, may_wait);
	}
}

/*
 * The stream's number of the program's thread: after an execve the new
 * program numbers its threads from 1 again; its first thread is the
 * process's thread 1 still (the thread that called execve became it), its
 * others follow every number written before (docs/FORMAT.md, `X`).
 */
static uint32_t stream_thread(struct writer *w, uint32_t thread)
{
	if (thread > 1)
		thread += w->thread_shift;
	if (thread == 0 || thread >= SITES_MAX_THREAD)
		die("the recorded process sent a bad thread number %u", thread);
	if (thread > w->max_thread)
		w->max_thread = thread;
	return thread;
}

enum writer_wait writer_event(struct writer *w, uint32_t thread, const struct mf_event *ev,
			      unsigned may_wait)
{
	thread = stream_thread(w, thread);
	memory_advance(&w->memory, &w->text, ev->time_ns, w->heap);
	const char *text = (const char *)(ev + 1);
	switch (ev->type) {
	case MF_EV_ALLOC:
		return allocation(w, thread, ev, may_wait);
	case MF_EV_FREE:
		return free_address(w, thread, ev->a, may_wait);
	case MF_EV_MUNMAP:
		unmap_event(w, thread, ev);
		break;
	case MF_EV_RESERVE:
		mmap_alloc(w, thread, ev->a, ev->b, 0, 1);
		break;
	case MF_EV_DECOMMIT:
		protect_range(w, thread, ev->a, ev->b, 0, 0);
		break;
	case MF_EV_THREAD:
		check_size(ev, ev->aux);
		threads_introduce(&w->threads, &w->text, thread, ev->b, ev->a, text, ev->aux);
		break;
	case MF_EV_RENAME:
		check_size(ev, ev->aux);
		threads_rename(&w->threads, &w->text, ev->b, text, ev->aux);
		break;
	case MF_EV_MODULE:	/* opened as it arrived, mapped in its place */
		frames_map_module(&w->frames, ev->key, ev->b);
		break;
	case MF_EV_NOP:
		break;
	default:
		die("the recorded process sent an unknown event type %u", ev->type);
	}
	return WRITER_WRITTEN;
}

int writer_symbolize_one(struct writer *w, const struct mf_event *ev)
{
	return ev->type == MF_EV_ALLOC && frames_symbolize_one(&w->frames, ev->c);
}

void writer_module(struct writer *w, uint64_t key, const char *path, uint64_t bias,
		   uint64_t start, uint64_t end, const unsigned char *build_id, size_t idlen)
{
	frames_module(&w->frames, key, path, bias, start, end, build_id, idlen);
}

void writer_stack(struct writer *w, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated)
{
	frames_stack(&w->frames, id, pcs, depth, truncated);
}

void writer_pycode(struct writer *w, const struct mf_event *ev)
{
	python_code(&w->frames.python, ev);
}

void writer_pystack(struct writer *w, uint64_t id, uint64_t native, const uint64_t *frames,
		    uint32_t count, int truncated)
{
	frames_pystack(&w->frames, id, native, frames, count, truncated);
}

int writer_prefetch_helps(const struct writer *w)
{
	/* 16384 blocks of 24 bytes: a table this small stays in the caches. */
	return w->live.mask >= 16384;
}

void writer_prefetch(struct writer *w, const struct mf_event *ev)
{
	if (!w->live.slots || (ev->type != MF_EV_ALLOC && ev->type != MF_EV_FREE))
		return;
	__builtin_prefetch(&w->live.slots[live_home(&w->live, ev->a)]);
	if (ev->type == MF_EV_ALLOC && ev->c < w->frames.cap_stacks)
		__builtin_prefetch(&w->frames.stacks[ev->c]);
}

void writer_idle(struct writer *w, uint64_t now_ns)
{
	memory_idle(&w->memory, &w->text, now_ns, w->heap);
}

void writer_sample_rss(struct writer *w)
{
	memory_sample_rss(&w->memory);
}

void writer_process_gone(struct writer *w)
{
	memory_process_gone(&w->memory);
}

/* ---- execve ---- */

/* No mapping yet, at the system's page size: a new writer's, and after an exec. */
static void start_regions(struct writer *w)
{
	long page = sysconf(_SC_PAGESIZE);
	regions_init(&w->regions, page > 0 ? (uint64_t)page : 4096);
}

/* The command's words, each after a space: of the H record, and of X. */
static void add_words(struct buf *line, char *const *argv)
{
	for (char *const *arg = argv; *arg; arg++) {
		buf_addc(line, ' ');
		syntax_escape(line, *arg, SYNTAX_WORD);
	}
}

/* Aggregated: the live blocks and mappings leave their sites, not counted as frees. */
static void discard_sites(struct writer *w)
{
	for (size_t i = 0; w->live.slots && i <= w->live.mask; i++) {
		const struct live_block *b = &w->live.slots[i];
		if (b->addr != LIVE_EMPTY && b->number != LIVE_FREED)
			sites_free(&w->sites, b->number, b->size);
	}
	struct region r;
	while (regions_take_overlapping(&w->regions, 0, UINT64_MAX, &r))
		if (!r.reserved)
			sites_free(&w->sites, r.number, r.len);
}

void writer_exec(struct writer *w, uint64_t now_ns, char *const *argv)
{
	memory_advance(&w->memory, &w->text, now_ns, w->heap);
	if (w->o.aggregate) {
		discard_sites(w);
		sites_exec(&w->sites, &w->text, &w->frames);
	}
	w->heap = 0;
	live_release(&w->live);
	live_release(&w->inherited);
	regions_release(&w->regions);
	start_regions(w);
	for (size_t i = 0; i < w->nremaps; i++)
		w->remaps[i].valid = 0;
	frames_exec(&w->frames, w->o.pid);
	hash_release(&w->threads.pthreads);
	w->thread_shift = w->max_thread > 1 ? w->max_thread - 1 : 0;
	buf_printf(&w->text.line, "%c %llu", EV_EXEC, (unsigned long long)w->memory.now_ms);
	add_words(&w->text.line, argv);
	text_end_line(&w->text);
}

/* ---- the end ---- */

void writer_end(struct writer *w, uint64_t end_ns, uint64_t lost, int status)
{
	int signaled = status >= 0 && WIFSIGNALED(status);
	const char *how = status == WRITER_STATUS_UNKNOWN ? "unknown" : signaled ? "signal" : "exit";
	writer_end_how(w, end_ns, lost, how,
		       status < 0 ? 0 : signaled ? WTERMSIG(status) : WEXITSTATUS(status));
}

void writer_end_how(struct writer *w, uint64_t end_ns, uint64_t lost, const char *how, int code)
{
	memory_advance(&w->memory, &w->text, end_ns, w->heap);
	if (w->o.aggregate)
		sites_end(&w->sites, &w->text, &w->frames, &w->threads);
	buf_printf(&w->text.line, "%c %llu %llu %llu %llu %llu %s %d", EV_END,
		   (unsigned long long)w->memory.now_ms, (unsigned long long)w->allocs,
		   (unsigned long long)w->frees, (unsigned long long)w->untracked,
		   (unsigned long long)lost, how, code);
	if (w->double_frees)	/* only then: older readers take the stream */
		buf_printf(&w->text.line, " %llu", (unsigned long long)w->double_frees);
	text_end_line(&w->text);
	text_finish(&w->text);
}

/* ---- set-up ---- */

static void write_header(struct writer *w)
{
	buf_printf(&w->text.line, "%c %d %s %ld %llu %llu", EV_HEADER, SYNTAX_VERSION,
		   w->o.aggregate ? "aggregate" : "full", (long)w->o.pid,
		   (unsigned long long)w->o.start_ms, (unsigned long long)w->o.interval_ms);
	add_words(&w->text.line, w->o.argv);
	text_end_line(&w->text);
	if (w->o.origin) {
		buf_printf(&w->text.line, "# %s", w->o.origin);
		text_end_line(&w->text);
	}
}

struct writer *writer_new(struct output *out, const struct writer_options *opts)
{
	struct writer *w = xcalloc(1, sizeof *w);
	w->o = *opts;
	text_start(&w->text, out, opts->soft);
	memory_init(&w->memory, opts->start_ns, opts->interval_ms, opts->pid, opts->aggregate);
	frames_init(&w->frames, opts->pid);
	start_regions(w);
	write_header(w);
	return w;
}

const char *writer_error(struct writer *w)
{
	return text_error(&w->text);
}

void writer_free(struct writer *w)
{
	frames_release(&w->frames);
	threads_release(&w->threads);
	live_release(&w->live);
	live_release(&w->inherited);
	regions_release(&w->regions);
	for (size_t i = 0; i < w->nremaps; i++)
		free(w->remaps[i].parts);
	free(w->remaps);
	sites_release(&w->sites);
	text_release(&w->text);
	free(w);
}
