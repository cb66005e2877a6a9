/*
 * writer_stream.c - binary events in, the text event stream out.
 *
 * This runs for every event the recorded program makes, so the common
 * records (a, f, t) are formatted by hand into a small line and copied into
 * the output buffer; everything else may take its time.  Frames and stack
 * nodes are interned: a return address is symbolized once, a stack id is
 * resolved to a node once, and M/F/S records are written the moment a
 * written record first needs them.
 */
#include "writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "intern.h"
#include "symbolize.h"
#include "writer_clock.h"
#include "writer_live.h"

#define TOO_DEEP "<STACK TOO DEEP>"
/* Sites are keyed by thread << 40 | stack id: both must fit. */
#define MAX_THREAD (1u << 24)
#define MAX_STACK (1ull << 40)

static const char *const allocator_names[MF_ALLOCATOR_COUNT] = {
	[MF_MALLOC] = "", [MF_CALLOC] = " calloc", [MF_REALLOC] = " realloc",
	[MF_REALLOCARRAY] = " reallocarray", [MF_POSIX_MEMALIGN] = " posix_memalign",
	[MF_ALIGNED_ALLOC] = " aligned_alloc", [MF_MEMALIGN] = " memalign",
	[MF_VALLOC] = " valloc", [MF_PVALLOC] = " pvalloc", [MF_MMAP] = " mmap",
	[MF_MREMAP] = " mremap",
};

/* A stack as the shim sent it, until a written record needs its node. */
struct raw_stack {
	uint64_t first;		/* index of its first address in pcs */
	uint32_t depth;
	uint8_t truncated, known;
	uint32_t node;		/* 0 until resolved (or when empty) */
	uint8_t resolved;
};

/* A live mapping from mmap or mremap; regions never overlap. */
struct region {
	uint64_t start, len;	/* len as requested; the mapping ends at the page */
	uint64_t number;	/* as in struct block */
	uint64_t stack;		/* the shim's stack id, for the parts that stay */
};

/* Aggregated: what one thread has live from one stack. */
struct site {
	uint32_t thread;
	uint64_t stack;
	uint64_t count, bytes;		/* live now */
	uint64_t peak_count, peak_bytes;	/* live at the peak, see site_change */
	uint64_t epoch;			/* the peak epoch of the last change */
};

struct thread {
	uint64_t tid;
	char *name;		/* NULL until a T record was written */
};

struct writer {
	struct output *out;
	struct writer_options o;
	struct symbolizer *sym;
	void (*slow_work)(void *);
	void *slow_work_arg;
	void (*conflict)(void *, uint64_t, int);
	void *conflict_arg;
	int in_conflict;
	uint64_t page;
	/* time */
	uint64_t now_ms, next_m_ms, rss;
	uint64_t next_ms_ns;	/* the first time (ns) of a millisecond after now_ms */
	uint64_t last_freed;	/* the allocation number the last f record freed */
	int process_gone;
	/* stacks, frames, modules */
	struct raw_stack *stacks;
	size_t cap_stacks;
	uint64_t *pcs;
	size_t npcs, cap_pcs;
	struct hash pc_frames;	/* pc -> first << 16 | count, into frame_list */
	uint32_t *frame_list;	/* frame ids, outermost first per pc */
	size_t nframe_list, cap_frame_list;
	struct intern strings, frame_keys, modules;
	struct hash nodes;	/* parent << 32 | frame -> node id */
	uint32_t nnodes;
	uint32_t too_deep_frame;
	/* threads */
	struct thread *threads;
	size_t cap_threads;
	struct hash pthreads;	/* pthread_t -> thread number */
	/* live memory */
	struct live live;	/* malloc family; number: allocation number, aggregated: site index */
	struct region *regions;	/* sorted by start */
	size_t nregions, cap_regions;
	uint64_t heap;
	/* counts */
	uint64_t allocs, frees, untracked;
	/* aggregated */
	struct hash site_index;	/* thread << 40 | stack -> index in sites */
	struct site *sites;
	size_t nsites, cap_sites;
	uint64_t epoch, peak_heap, peak_ms;
	struct buf line;
	/*
	 * The records on their way to out.  Formatted in place here rather
	 * than in a line of their own and copied: one record is written per
	 * event, and a megabyte makes few, large writes.
	 */
	char *text;
	size_t text_len;
	char *texts[2];		/* text is one of them */
	/*
	 * A second thread writes (and compresses) the full buffer while this
	 * one fills the other: handed is the buffer it works on, NULL when it
	 * is idle.  aside: it runs (until writer_end).
	 */
	int aside;
	pthread_t output_thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char *handed;
	size_t handed_len;
	int finished;
};

enum { TEXT_BYTES = 1 << 20 };

static void *write_handed(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->handed && !w->finished)
			pthread_cond_wait(&w->changed, &w->lock);
		if (!w->handed)
			break;
		pthread_mutex_unlock(&w->lock);
		/* A write error dies here, as it would in the other thread. */
		output_write(w->out, w->handed, w->handed_len);
		pthread_mutex_lock(&w->lock);
		w->handed = NULL;
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Wait until the output thread has written what it was handed. */
static void output_idle(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->handed)
		pthread_cond_wait(&w->changed, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void flush_text(struct writer *w)
{
	if (!w->aside) {
		output_write(w->out, w->text, w->text_len);
		w->text_len = 0;
		return;
	}
	output_idle(w);
	pthread_mutex_lock(&w->lock);
	w->handed = w->text;
	w->handed_len = w->text_len;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	w->text = w->text == w->texts[0] ? w->texts[1] : w->texts[0];
	w->text_len = 0;
}

/* Where the next n bytes (at most TEXT_BYTES) go; add them to text_len. */
static char *text_room(struct writer *w, size_t n)
{
	if (w->text_len + n > TEXT_BYTES)
		flush_text(w);
	return w->text + w->text_len;
}

static void write_text(struct writer *w, const char *s, size_t n)
{
	if (n > TEXT_BYTES) {
		flush_text(w);
		if (w->aside)
			output_idle(w);	/* out is not the output thread's alone */
		output_write(w->out, s, n);
		return;
	}
	memcpy(text_room(w, n), s, n);
	w->text_len += n;
}

/* ---- formatting ---- */

/* How many decimal digits v has. */
static unsigned digits(uint64_t v)
{
	unsigned n = 1;
	for (uint64_t bound = 10; n < 20 && v >= bound; bound *= 10)
		n++;
	return n;
}

/* v in decimal at p; returns the end.  Two digits per division. */
static char *put_u64(char *p, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	/* The length first, so the digits go straight to their place. */
	unsigned n = digits(v);
	char *q = p + n;
	while (v >= 100) {
		q -= 2;
		memcpy(q, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, pairs + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/*
 * Write the record "TYPE V1 V2 ... TAIL\n": every common record is a type
 * and numbers, formatted here by hand because one is written per event.
 */
static void write_numbers(struct writer *w, char type, const uint64_t *v, size_t n,
			  const char *tail)
{
	size_t tail_len = strlen(tail);
	char *line = text_room(w, 2 + 21 * n + tail_len), *p = line;
	*p++ = type;
	for (size_t i = 0; i < n; i++) {
		*p++ = ' ';
		p = put_u64(p, v[i]);
	}
	memcpy(p, tail, tail_len);
	p += tail_len;
	*p++ = '\n';
	w->text_len += (size_t)(p - line);
}
/*
 * The two records written per event, formatted without the general
 * loop: "a THREAD NODE SIZE[ ALLOCATOR]" and "f THREAD BACK" (below).
 */
static void write_alloc(struct writer *w, uint32_t thread, uint32_t node, uint64_t size,
			unsigned allocator)
{
	char *p = text_room(w, 4 + 3 * 21 + 16);
	char *line = p;
	*p++ = 'a';
	*p++ = ' ';
	p = put_u64(p, thread);
	*p++ = ' ';
	p = put_u64(p, node);
	*p++ = ' ';
	p = put_u64(p, size);
	if (allocator != MF_MALLOC) {
		size_t n = strlen(allocator_names[allocator]);
		memcpy(p, allocator_names[allocator], n);
		p += n;
	}
	*p++ = '\n';
	w->text_len += (size_t)(p - line);
}

/*
 * "f THREAD BACK", the allocation BACK before the latest, or "f THREAD
 * +N" / "-N", the allocation N after or before the one the last f freed,
 * whichever is shorter: blocks are mostly freed soon after they were made
 * (small BACK), or in the order they were made, or its reverse (small N,
 * as when a program tears down a large structure).
 */
static void write_free(struct writer *w, uint32_t thread, uint64_t number)
{
	char *p = text_room(w, 4 + 2 * 21);
	char *line = p;
	uint64_t back = w->allocs - number;
	*p++ = 'f';
	*p++ = ' ';
	p = put_u64(p, thread);
	*p++ = ' ';
	if (back < 100) {
		p = put_u64(p, back);
	} else {
		int forward = number > w->last_freed;
		uint64_t n = forward ? number - w->last_freed : w->last_freed - number;
		if (digits(n) + 1 < digits(back)) {
			*p++ = forward ? '+' : '-';
			p = put_u64(p, n);
		} else {
			p = put_u64(p, back);
		}
	}
	*p++ = '\n';
	w->text_len += (size_t)(p - line);
	w->last_freed = number;
}

#define WRITE(w, type, tail, ...) \
	write_numbers(w, type, (const uint64_t[]){ __VA_ARGS__ }, \
		      sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), tail)

/* Escape s as docs/FORMAT.md says: word fields also escape the space. */
static void add_escaped(struct buf *b, const char *s, int word)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (word && *p == ' ')) {
			char e[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
			buf_add(b, e, 4);
		} else {
			buf_addc(b, (char)*p);
		}
	}
}

static void write_line(struct writer *w)
{
	buf_addc(&w->line, '\n');
	write_text(w, w->line.data, w->line.len);
	buf_clear(&w->line);
}

/* ---- time ---- */

static uint64_t ms_since_start(const struct writer *w, uint64_t ns)
{
	return ns > w->o.start_ns ? (ns - w->o.start_ns) / 1000000 : 0;
}

void writer_sample_rss(struct writer *w)
{
	if (w->process_gone)
		return;
	uint64_t rss = process_rss(w->o.pid);
	/* A process being reaped has no memory left: keep the last value. */
	if (rss)
		w->rss = rss;
}

/* Write the m records due up to ms; they set the time. */
static void write_memory_records(struct writer *w, uint64_t ms)
{
	if (ms < w->next_m_ms)
		return;
	writer_sample_rss(w);
	while (w->next_m_ms <= ms) {
		WRITE(w, 'm', "", w->next_m_ms, w->heap, w->rss);
		w->now_ms = w->next_m_ms;
		w->next_m_ms += w->o.interval_ms;
	}
}

/* Move the stream's time to the event at ns: m records due, then t. */
static void advance_time(struct writer *w, uint64_t ns)
{
	/* Nearly every event falls in the current millisecond: one comparison. */
	if (ns < w->next_ms_ns)
		return;
	uint64_t ms = ms_since_start(w, ns);
	w->next_ms_ns = w->o.start_ns + (ms + 1) * 1000000;
	if (ms <= w->now_ms)
		return;		/* the same millisecond, or late: clamped */
	write_memory_records(w, ms);
	if (ms == w->now_ms)
		return;
	w->now_ms = ms;
	if (w->o.aggregate)
		return;		/* an aggregated capture has no records to time */
	WRITE(w, 't', "", ms);
}

/* ---- modules, frames, stacks ---- */

static uint32_t module_id(struct writer *w, const char *path)
{
	if (!path)
		return 0;
	size_t before = w->modules.count;
	uint32_t id = intern(&w->modules, path, strlen(path)) + 1;
	if (w->modules.count != before) {
		buf_adds(&w->line, "M ");
		buf_addu64(&w->line, id);
		buf_addc(&w->line, ' ');
		add_escaped(&w->line, path, 0);
		write_line(w);
	}
	return id;
}

static uint32_t string_id(struct writer *w, const char *s)
{
	return intern(&w->strings, s, strlen(s));
}

/* The id of a frame, written as an F record the first time. */
static uint32_t frame_id(struct writer *w, const char *function, const char *file,
			 unsigned line, const char *module)
{
	if (!file || !*file)
		file = "?";
	/* Frames are equal when their function, file, line and module are. */
	uint32_t mod = module_id(w, module);	/* a new module's M goes first */
	char key[64];
	int n = snprintf(key, sizeof key, "%u %u %u %u", string_id(w, function),
			 string_id(w, file), line, mod);
	size_t before = w->frame_keys.count;
	uint32_t id = intern(&w->frame_keys, key, (size_t)n) + 1;
	if (w->frame_keys.count == before)
		return id;
	buf_adds(&w->line, "F ");
	buf_addu64(&w->line, id);
	buf_addc(&w->line, ' ');
	buf_addu64(&w->line, mod);
	buf_addc(&w->line, ' ');
	add_escaped(&w->line, file, 1);
	buf_addc(&w->line, ' ');
	buf_addu64(&w->line, line);
	buf_addc(&w->line, ' ');
	add_escaped(&w->line, function, 0);
	write_line(w);
	return id;
}

/* The node for frame called from parent, written as an S record the first time. */
static uint32_t node_id(struct writer *w, uint32_t parent, uint32_t frame)
{
	int added;
	uint64_t *v = hash_put(&w->nodes, (uint64_t)parent << 32 | frame, &added);
	if (!added)
		return (uint32_t)*v;
	if (w->nnodes == UINT32_MAX - 1)
		die("too many distinct stacks");
	*v = ++w->nnodes;
	WRITE(w, 'S', "", *v, parent, frame);
	return (uint32_t)*v;
}

/*
 * The frames of return address pc, outermost first (an inlined call is a
 * frame of its own), symbolized once.  Returns how many; *ids points into
 * frame_list until the next call.
 */
static size_t pc_frames(struct writer *w, uint64_t pc, const uint32_t **ids)
{
	int added;
	uint64_t *v = hash_put(&w->pc_frames, pc, &added);
	if (added) {
		if (w->slow_work)	/* may add stacks: never pc_frames */
			w->slow_work(w->slow_work_arg);
		const struct sym_frame *f;
		size_t n = symbolizer_lookup(w->sym, pc, &f);
		if (n > 0xffff)
			n = 0xffff;
		uint64_t first = w->nframe_list;
		/* Interning may write records but never touches pc_frames. */
		for (size_t i = n; i-- > 0;) {
			uint32_t id = frame_id(w, f[i].function, f[i].file, f[i].line, f[i].module);
			w->frame_list = xgrow(w->frame_list, &w->cap_frame_list,
					      w->nframe_list + 1, sizeof *w->frame_list);
			w->frame_list[w->nframe_list++] = id;
		}
		v = hash_get(&w->pc_frames, pc);
		*v = first << 16 | n;
	}
	*ids = w->frame_list + (*v >> 16);
	return (size_t)(*v & 0xffff);
}

/* The node of stack id, resolved and written the first time. */
static uint32_t stack_node(struct writer *w, uint64_t id)
{
	if (id >= w->cap_stacks || !w->stacks[id].known)
		return 0;	/* never sent: the empty stack */
	struct raw_stack *s = &w->stacks[id];
	if (s->resolved)
		return s->node;
	uint32_t node = 0;
	if (s->truncated) {
		if (!w->too_deep_frame)
			w->too_deep_frame = frame_id(w, TOO_DEEP, NULL, 0, NULL);
		node = node_id(w, 0, w->too_deep_frame);
	}
	/* Symbolizing may add stacks, moving w->stacks and w->pcs. */
	uint64_t first = s->first;
	for (uint32_t i = s->depth; i-- > 0;) {
		const uint32_t *ids;
		size_t n = pc_frames(w, w->pcs[first + i], &ids);
		for (size_t j = 0; j < n; j++)
			node = node_id(w, node, ids[j]);
	}
	s = &w->stacks[id];
	s->node = node;
	s->resolved = 1;
	return node;
}

void writer_stack(struct writer *w, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated)
{
	if (id == 0 || id >= MAX_STACK)
		die("the recorded process sent a bad stack id %llu", (unsigned long long)id);
	if (id >= w->cap_stacks) {
		size_t old = w->cap_stacks;
		w->stacks = xgrow(w->stacks, &w->cap_stacks, id + 1, sizeof *w->stacks);
		memset(w->stacks + old, 0, (w->cap_stacks - old) * sizeof *w->stacks);
	}
	w->pcs = xgrow(w->pcs, &w->cap_pcs, w->npcs + depth, sizeof *w->pcs);
	memcpy(w->pcs + w->npcs, pcs, depth * sizeof *pcs);
	w->stacks[id] = (struct raw_stack){ .first = w->npcs, .depth = depth,
		.truncated = truncated != 0, .known = 1 };
	w->npcs += depth;
}

void writer_on_slow_work(struct writer *w, void (*fn)(void *), void *arg)
{
	w->slow_work = fn;
	w->slow_work_arg = arg;
}

void writer_on_conflict(struct writer *w, void (*fn)(void *, uint64_t, int), void *arg)
{
	w->conflict = fn;
	w->conflict_arg = arg;
}

/* Ask for the event that must come before this one (writer_on_conflict). */
static int resolve_conflict(struct writer *w, uint64_t addr, int want)
{
	if (!w->conflict || w->in_conflict)
		return 0;
	w->in_conflict = 1;
	w->conflict(w->conflict_arg, addr, want);
	w->in_conflict = 0;
	return 1;
}

void writer_module(struct writer *w, const char *path, uint64_t bias,
		   uint64_t start, uint64_t end)
{
	symbolizer_add_module(w->sym, path, bias, start, end);
}

/* ---- threads ---- */

static struct thread *thread_at(struct writer *w, uint32_t thread)
{
	if (thread >= w->cap_threads) {
		size_t old = w->cap_threads;
		w->threads = xgrow(w->threads, &w->cap_threads, thread + 1, sizeof *w->threads);
		memset(w->threads + old, 0, (w->cap_threads - old) * sizeof *w->threads);
	}
	return &w->threads[thread];
}

static void write_thread(struct writer *w, uint32_t thread, uint64_t tid,
			 const char *name, size_t len)
{
	struct thread *t = thread_at(w, thread);
	if (t->name && t->tid == tid && strlen(t->name) == len && memcmp(t->name, name, len) == 0)
		return;
	free(t->name);
	t->name = xstrndup(name, len);
	t->tid = tid;
	buf_adds(&w->line, "T ");
	buf_addu64(&w->line, thread);
	buf_addc(&w->line, ' ');
	buf_addu64(&w->line, tid);
	buf_addc(&w->line, ' ');
	add_escaped(&w->line, t->name, 0);
	write_line(w);
}

/* A thread the shim never introduced still gets its T record first. */
static void ensure_thread(struct writer *w, uint32_t thread)
{
	if (thread >= w->cap_threads || !w->threads[thread].name)
		write_thread(w, thread, 0, "", 0);
}

/* ---- allocations: full or aggregated ---- */

static struct site *site_of(struct writer *w, uint32_t thread, uint64_t stack, uint64_t *index)
{
	int added;
	uint64_t *v = hash_put(&w->site_index, (uint64_t)thread << 40 | stack, &added);
	if (added) {
		w->sites = xgrow(w->sites, &w->cap_sites, w->nsites + 1, sizeof *w->sites);
		w->sites[w->nsites] = (struct site){ .thread = thread, .stack = stack };
		*v = w->nsites++;
	}
	*index = *v;
	return &w->sites[*v];
}

/*
 * The peak snapshot, taken lazily: epoch counts the new maxima of the heap.
 * A site changing for the first time since the latest maximum saves what
 * it had then; a site unchanged since has its live values at the peak.
 */
static void site_change(struct writer *w, struct site *s, int64_t count, int64_t bytes)
{
	if (s->epoch < w->epoch) {
		s->peak_count = s->count;
		s->peak_bytes = s->bytes;
		s->epoch = w->epoch;
	}
	s->count += (uint64_t)count;
	s->bytes += (uint64_t)bytes;
}

/* Record an allocation; returns what its free will need (number or site). */
static uint64_t record_alloc(struct writer *w, uint32_t thread, uint64_t stack,
			     uint64_t size, unsigned allocator)
{
	uint64_t number;
	w->allocs++;
	w->heap += size;
	if (w->o.aggregate) {
		site_change(w, site_of(w, thread, stack, &number), 1, (int64_t)size);
		if (w->heap > w->peak_heap) {
			w->peak_heap = w->heap;
			w->peak_ms = w->now_ms;
			w->epoch++;
		}
		return number;
	}
	ensure_thread(w, thread);
	write_alloc(w, thread, stack_node(w, stack), size, allocator);
	return w->allocs;
}

static void record_free(struct writer *w, uint32_t thread, uint64_t number, uint64_t size)
{
	w->frees++;
	w->heap -= size;
	if (w->o.aggregate) {
		site_change(w, &w->sites[number], -1, -(int64_t)size);
		return;
	}
	ensure_thread(w, thread);
	write_free(w, thread, number);
}

/* ---- the malloc family ---- */

static void malloc_alloc(struct writer *w, uint32_t thread, uint64_t addr,
			 uint64_t size, uint64_t stack, unsigned allocator)
{
	struct live_block *b = live_slot(&w->live, addr);
	if (b->addr == addr && resolve_conflict(w, addr, MF_EV_FREE))
		b = live_slot(&w->live, addr);	/* the table may have changed */
	if (b->addr == addr) {
		/*
		 * The address is still live here: its free was lost.  The
		 * memory cannot be handed out twice, so the old block is freed
		 * first, with a comment saying why.
		 */
		if (!w->o.aggregate) {
			buf_printf(&w->line, "# implicit free: address 0x%llx allocated again",
				   (unsigned long long)addr);
			write_line(w);
		}
		record_free(w, thread, b->number, b->size);
	} else {
		live_claim(&w->live, b, addr);
	}
	/* record_alloc may write records but does not touch live: b stays. */
	b->number = record_alloc(w, thread, stack, size, allocator);
	b->size = size;
}

/* ---- mappings ---- */

static uint64_t page_end(const struct writer *w, uint64_t start, uint64_t len)
{
	return start + ((len + w->page - 1) & ~(w->page - 1));
}

/* The index of the first region that ends after addr. */
static size_t region_search(const struct writer *w, uint64_t addr)
{
	size_t lo = 0, hi = w->nregions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct region *r = &w->regions[mid];
		if (page_end(w, r->start, r->len) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void region_insert(struct writer *w, struct region r)
{
	size_t at = region_search(w, r.start);
	w->regions = xgrow(w->regions, &w->cap_regions, w->nregions + 1, sizeof *w->regions);
	memmove(w->regions + at + 1, w->regions + at, (w->nregions - at) * sizeof *w->regions);
	w->regions[at] = r;
	w->nregions++;
}

static void region_remove(struct writer *w, size_t at)
{
	w->nregions--;
	memmove(w->regions + at, w->regions + at + 1, (w->nregions - at) * sizeof *w->regions);
}

/* A part of region r that stays mapped: an mmap allocation of the same stack. */
static void region_keep(struct writer *w, uint32_t thread, const struct region *r,
			uint64_t start, uint64_t end)
{
	uint64_t req_end = r->start + r->len;
	if (end > req_end)
		end = req_end;
	if (end <= start)
		return;
	struct region part = { .start = start, .len = end - start, .stack = r->stack };
	part.number = record_alloc(w, thread, r->stack, part.len, MF_MMAP);
	region_insert(w, part);
}

/*
 * munmap of [addr, addr + len): every mapping it touches is freed, and the
 * parts of it that stay mapped are allocated again.  Returns whether it
 * touched any.
 */
static int unmap_range(struct writer *w, uint32_t thread, uint64_t addr, uint64_t len)
{
	uint64_t end = page_end(w, addr, len);
	int touched = 0;
	for (size_t at = region_search(w, addr); at < w->nregions && w->regions[at].start < end;) {
		struct region r = w->regions[at];
		region_remove(w, at);
		record_free(w, thread, r.number, r.len);
		region_keep(w, thread, &r, r.start, addr);
		region_keep(w, thread, &r, end, page_end(w, r.start, r.len));
		touched = 1;
		/* The parts kept lie outside [addr, end): search again from addr. */
		at = region_search(w, addr);
	}
	return touched;
}

static void mmap_alloc(struct writer *w, uint32_t thread, uint64_t addr,
		       uint64_t size, uint64_t stack, unsigned allocator)
{
	/* A mapping over mapped memory replaces it (MAP_FIXED, MREMAP_FIXED). */
	unmap_range(w, thread, addr, size);
	struct region r = { .start = addr, .len = size, .stack = stack };
	r.number = record_alloc(w, thread, stack, size, allocator);
	region_insert(w, r);
}

/* free(addr) of a block, or (from mremap) a whole mapping; 0 if neither is live. */
static int free_live(struct writer *w, uint32_t thread, uint64_t addr)
{
	struct live_block b;
	if (live_remove(&w->live, addr, &b)) {
		record_free(w, thread, b.number, b.size);
		return 1;
	}
	size_t at = region_search(w, addr);
	if (at < w->nregions && w->regions[at].start == addr) {
		struct region r = w->regions[at];
		region_remove(w, at);
		record_free(w, thread, r.number, r.len);
		return 1;
	}
	return 0;
}

/* free(addr): a live block or mapping, or untracked. */
static void free_address(struct writer *w, uint32_t thread, uint64_t addr)
{
	if (free_live(w, thread, addr))
		return;
	if (addr && resolve_conflict(w, addr, MF_EV_ALLOC) && free_live(w, thread, addr))
		return;
	if (addr)
		w->untracked++;
}

/* ---- events ---- */

static void check_size(const struct mf_event *ev, size_t len)
{
	if (sizeof *ev + len > ev->size)
		die("the recorded process sent a bad event (type %u, %u bytes)",
		    ev->type, ev->size);
}

void writer_event(struct writer *w, uint32_t thread, const struct mf_event *ev)
{
	if (thread == 0 || thread >= MAX_THREAD)
		die("the recorded process sent a bad thread number %u", thread);
	advance_time(w, ev->time_ns);
	const char *text = (const char *)(ev + 1);
	switch (ev->type) {
	case MF_EV_ALLOC:
		if (ev->aux >= MF_ALLOCATOR_COUNT || ev->c >= MAX_STACK)
			die("the recorded process sent a bad allocation (allocator %u, stack %llu)",
			    ev->aux, (unsigned long long)ev->c);
		if (ev->aux == MF_MMAP || ev->aux == MF_MREMAP)
			mmap_alloc(w, thread, ev->a, ev->b, ev->c, ev->aux);
		else
			malloc_alloc(w, thread, ev->a, ev->b, ev->c, ev->aux);
		break;
	case MF_EV_FREE:
		free_address(w, thread, ev->a);
		break;
	case MF_EV_MUNMAP:
		if (!unmap_range(w, thread, ev->a, ev->b))
			w->untracked++;
		break;
	case MF_EV_THREAD:
		check_size(ev, ev->aux);
		*(uint64_t *)hash_put(&w->pthreads, ev->b, NULL) = thread;
		write_thread(w, thread, ev->a, text, ev->aux);
		break;
	case MF_EV_RENAME: {
		check_size(ev, ev->aux);
		uint64_t *number = hash_get(&w->pthreads, ev->b);
		if (number)
			write_thread(w, (uint32_t)*number, w->threads[*number].tid, text, ev->aux);
		break;
	}
	case MF_EV_NOP:
	case MF_EV_MODULE:	/* handed to the symbolizer as it arrived */
		break;
	default:
		die("the recorded process sent an unknown event type %u", ev->type);
	}
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
	if (ev->type == MF_EV_ALLOC && ev->c < w->cap_stacks)
		__builtin_prefetch(&w->stacks[ev->c]);
}

void writer_idle(struct writer *w, uint64_t now_ns)
{
	write_memory_records(w, ms_since_start(w, now_ns));
}

void writer_process_gone(struct writer *w)
{
	w->process_gone = 1;
}

/* ---- the end ---- */

/* P or L records: per (thread, stack node), merged over stack ids. */
static void write_sites(struct writer *w, char type, int at_peak)
{
	struct hash merged = HASH_INIT;
	uint64_t (*sums)[4] = xcalloc(w->nsites + 1, sizeof *sums);
	size_t nsums = 0;
	for (size_t i = 0; i < w->nsites; i++) {
		struct site *s = &w->sites[i];
		int unchanged = s->epoch < w->epoch;
		uint64_t count = at_peak && !unchanged ? s->peak_count : s->count;
		uint64_t bytes = at_peak && !unchanged ? s->peak_bytes : s->bytes;
		if (!count)
			continue;
		ensure_thread(w, s->thread);
		uint32_t node = stack_node(w, s->stack);
		int added;
		uint64_t *v = hash_put(&merged, (uint64_t)s->thread << 32 | node, &added);
		if (added) {
			*v = nsums++;
			sums[*v][0] = s->thread;
			sums[*v][1] = node;
		}
		sums[*v][2] += count;
		sums[*v][3] += bytes;
	}
	for (size_t i = 0; i < nsums; i++)
		write_numbers(w, type, sums[i], 4, "");
	free(sums);
	hash_release(&merged);
}

void writer_end(struct writer *w, uint64_t end_ns, uint64_t lost, int status)
{
	advance_time(w, end_ns);
	if (w->o.aggregate) {
		WRITE(w, 'K', "", w->peak_ms, w->peak_heap);
		write_sites(w, 'P', 1);
		write_sites(w, 'L', 0);
	}
	int signaled = WIFSIGNALED(status);
	buf_printf(&w->line, "E %llu %llu %llu %llu %llu %s %d",
		      (unsigned long long)w->now_ms, (unsigned long long)w->allocs,
		      (unsigned long long)w->frees, (unsigned long long)w->untracked,
		      (unsigned long long)lost, signaled ? "signal" : "exit",
		      signaled ? WTERMSIG(status) : WEXITSTATUS(status));
	write_line(w);
	flush_text(w);
	if (w->aside) {
		pthread_mutex_lock(&w->lock);
		w->finished = 1;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->output_thread, NULL);
		w->aside = 0;
	}
}

/* ---- set-up ---- */

static void write_header(struct writer *w)
{
	buf_printf(&w->line, "H 2 %s %ld %llu %llu", w->o.aggregate ? "aggregate" : "full",
		   (long)w->o.pid, (unsigned long long)w->o.start_ms,
		   (unsigned long long)w->o.interval_ms);
	for (char *const *arg = w->o.argv; *arg; arg++) {
		buf_addc(&w->line, ' ');
		add_escaped(&w->line, *arg, 1);
	}
	write_line(w);
}

struct writer *writer_new(struct output *out, const struct writer_options *opts)
{
	struct writer *w = xcalloc(1, sizeof *w);
	w->out = out;
	w->o = *opts;
	w->sym = symbolizer_new();
	w->text = w->texts[0] = xmalloc(TEXT_BYTES);
	w->texts[1] = xmalloc(TEXT_BYTES);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->changed, NULL);
	int err = pthread_create(&w->output_thread, NULL, write_handed, w);
	if (err)
		die("cannot start a thread: %s", strerror(err));
	w->aside = 1;
	long page = sysconf(_SC_PAGESIZE);
	w->page = page > 0 ? (uint64_t)page : 4096;
	w->next_m_ms = opts->interval_ms;
	write_header(w);
	return w;
}

void writer_free(struct writer *w)
{
	symbolizer_free(w->sym);
	free(w->stacks);
	free(w->pcs);
	hash_release(&w->pc_frames);
	free(w->frame_list);
	intern_release(&w->strings);
	intern_release(&w->frame_keys);
	intern_release(&w->modules);
	hash_release(&w->nodes);
	for (size_t i = 0; i < w->cap_threads; i++)
		free(w->threads[i].name);
	free(w->threads);
	hash_release(&w->pthreads);
	live_release(&w->live);
	free(w->texts[0]);
	free(w->texts[1]);
	free(w->regions);
	hash_release(&w->site_index);
	free(w->sites);
	buf_release(&w->line);
	free(w);
}
