/*
 * events.c - the event-stream reader: the records after the header (times,
 * allocations, frees, the aggregate's records, the end) and the live
 * allocations.  The live table is here, with the records that fill and
 * empty it, so that the compiler inlines it into the path every a and f
 * record takes.  Tables: events_tables.c; header and metadata:
 * events_header.c; fields: events_fields.c.
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "events_private.h"

struct ev_live {
	uint64_t stack, size, time_ms;
	uint32_t thread, stack_index;
	uint64_t next_free;	/* pool free list, index + 1 */
};

/*
 * A ring entry, small (24 bytes) since every free reads one: its number is
 * the ring's index (only one number of the window falls on each entry), and
 * its stack id the reader's table's for stack_index.
 */
struct ev_recent {
	uint32_t stack_index1;	/* dense stack index + 1; 0 when the entry is free */
	uint32_t thread;
	uint64_t size, time_ms;
};

static const char *const allocators[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc", "mmap", "mremap",
	"mprotect",
};

static void set_time(struct ev_reader *r, uint64_t ms)
{
	if (ms < r->now_ms)
		input_error(&r->in, "time goes backwards: %llu ms after %llu ms",
			    (unsigned long long)ms, (unsigned long long)r->now_ms);
	r->now_ms = ms;
}

static uint32_t thread_field(struct ev_reader *r, const struct fields *fs, size_t i)
{
	uint64_t thread = id_field(&r->in, fs, i, "THREAD");
	if (thread != r->priv.known_thread) {
		lookup(&r->in, &r->priv.thread_ids, thread, "thread");
		r->priv.known_thread = thread;
	}
	return (uint32_t)thread;
}

/* The stack id in field i, its dense index in *index. */
static uint64_t stack_field(struct ev_reader *r, const struct fields *fs, size_t i,
			    uint32_t *index)
{
	uint64_t stack = id_field(&r->in, fs, i, "STACK");
	if (stack < r->priv.ndirect && r->priv.stack_direct[stack])
		*index = r->priv.stack_direct[stack] - 1;
	else
		*index = (uint32_t)lookup(&r->in, &r->priv.stack_ids, stack, "stack");
	return stack;
}

static void full_only(const struct ev_reader *r, char type)
{
	if (r->aggregate)
		input_error(&r->in, "'%c' record in an aggregated capture (KIND 'aggregate' has P, L and K instead)", type);
}

static void aggregate_only(const struct ev_reader *r, char type)
{
	if (!r->aggregate)
		input_error(&r->in, "'%c' record in a full capture (only KIND 'aggregate' has it)", type);
}

/*
 * The next digits of a line, at most 20; 0 unless 1 to 19 of them follow
 * a space.  *p moves past them.
 */
static inline int fast_field(const char **p, uint64_t *v)
{
	const char *q = *p;
	if (*q++ != ' ')
		return 0;
	uint64_t x = 0;
	int k = 0;
	for (unsigned d; k < 20 && (d = (unsigned char)q[k] - '0') <= 9; k++)
		x = x * 10 + d;
	*v = x;
	*p = q + k;
	return k >= 1 && k <= 19;
}

/*
 * The fast path for the records that make up nearly all of a capture ('a'
 * and 'f' with only numbers): exactly n fields of 1 to 19 digits, ids that
 * are defined and found without hashing.  Anything else returns 0 and goes
 * through the general parser, which gives the exact error message.
 */
static int fast_numbers(const struct input *in, uint64_t *v, int n)
{
	/* The line ends in a NUL (input.h), neither a digit nor a space: no
	 * bounds to check within it. */
	const char *p = in->line + 1;
	for (int i = 0; i < n; i++)
		if (!fast_field(&p, &v[i]))
			return 0;
	return p == in->line + in->len;
}

static int fast_thread(const struct ev_reader *r, uint64_t thread)
{
	return thread < r->priv.nthread_direct && r->priv.thread_direct[thread];
}

static int fast_stack(const struct ev_reader *r, uint64_t stack)
{
	return stack < r->priv.ndirect && r->priv.stack_direct[stack];
}

/*
 * Live allocations: the latest EV_RECENT are in a ring indexed by their
 * number, where most frees find them without hashing; one still live when
 * its ring entry is needed again moves to the pool and the live hash.
 */
static void keep_older(struct ev_reader *r, uint64_t id, const struct ev_recent *e)
{
	size_t slot;
	if (r->priv.free_head) {
		slot = r->priv.free_head - 1;
		r->priv.free_head = r->priv.pool[slot].next_free;
	} else {
		r->priv.pool = xgrow(r->priv.pool, &r->priv.cap_pool, r->priv.npool + 1, sizeof *r->priv.pool);
		slot = r->priv.npool++;
	}
	r->priv.pool[slot] = (struct ev_live){ r->priv.stack_id[e->stack_index1 - 1], e->size,
					       e->time_ms, e->thread, e->stack_index1 - 1, 0 };
	*hash_put(&r->priv.live, id, NULL) = slot;
}

/*
 * Take allocation id out of the live ones: ev gets what it was (stack,
 * stack_index, size, alloc_time_ms, alloc_thread); 0 if it is not live.
 */
static inline int take_live(struct ev_reader *r, uint64_t id, struct ev *ev)
{
	if (r->nallocs - id < EV_RECENT) {
		/* Its ring entry has not been reused: there or freed already. */
		struct ev_recent *e = &r->priv.recent[id & (EV_RECENT - 1)];
		if (!e->stack_index1)
			return 0;
		ev->stack_index = e->stack_index1 - 1;
		ev->stack = r->priv.stack_id[ev->stack_index];
		ev->size = e->size;
		ev->alloc_time_ms = e->time_ms;
		ev->alloc_thread = e->thread;
		e->stack_index1 = 0;
		return 1;
	}
	uint64_t slot;
	if (!hash_remove(&r->priv.live, id, &slot))
		return 0;
	const struct ev_live *l = &r->priv.pool[slot];
	ev->stack = l->stack;
	ev->stack_index = l->stack_index;
	ev->size = l->size;
	ev->alloc_time_ms = l->time_ms;
	ev->alloc_thread = l->thread;
	r->priv.pool[slot].next_free = r->priv.free_head;
	r->priv.free_head = slot + 1;
	return 1;
}

static const char *allocator_field(const struct input *in, const struct fields *fs, size_t i)
{
	for (size_t k = 1; k < sizeof allocators / sizeof *allocators; k++)
		if (strlen(allocators[k]) == fs->len[i] &&
		    memcmp(allocators[k], fs->f[i], fs->len[i]) == 0)
			return allocators[k];
	input_error(in, "unknown ALLOCATOR '%s'", printable(fs->f[i], fs->len[i]));
}

/* The ring, made by the first a record's path (read_alloc or next_record). */
static void make_ring(struct ev_reader *r)
{
	if (!r->priv.recent)
		r->priv.recent = xcalloc(EV_RECENT, sizeof *r->priv.recent);
}

static inline void add_live(struct ev_reader *r, struct ev *ev);
static void free_live(struct ev_reader *r, struct ev *ev);

static void read_alloc(struct ev_reader *r, struct ev *ev)
{
	struct fields fs;
	uint64_t v[3];
	full_only(r, 'a');
	ev->allocator = allocators[0];
	if (fast_numbers(&r->in, v, 3) && fast_thread(r, v[0]) && fast_stack(r, v[1])) {
		ev->thread = (uint32_t)v[0];
		ev->stack = v[1];
		ev->stack_index = r->priv.stack_direct[v[1]] - 1;
		ev->size = v[2];
	} else {
		split(&r->in, &fs, 4, 0);
		expect(&r->in, &fs, 3, 4, "a THREAD STACK SIZE [ALLOCATOR]");
		ev->thread = thread_field(r, &fs, 0);
		ev->stack = stack_field(r, &fs, 1, &ev->stack_index);
		ev->size = num(&r->in, &fs, 2, "SIZE");
		if (fs.n == 4)
			ev->allocator = allocator_field(&r->in, &fs, 3);
	}
	make_ring(r);
	add_live(r, ev);
}

/*
 * The allocation in ev (thread, stack, size, allocator) becomes live;
 * make_ring() was called.  Inlined: the hot path's.
 */
static inline __attribute__((always_inline)) void add_live(struct ev_reader *r, struct ev *ev)
{
	/* The heap is never more than the total: the total's overflow is the heap's too. */
	if (r->total_bytes + ev->size < r->total_bytes)
		input_error(&r->in, "total heap size overflows 64 bits");
	r->heap += ev->size;
	r->total_bytes += ev->size;
	ev->alloc_id = ++r->nallocs;

	struct ev_recent *e = &r->priv.recent[ev->alloc_id & (EV_RECENT - 1)];
	if (e->stack_index1)
		keep_older(r, ev->alloc_id - EV_RECENT, e);
	*e = (struct ev_recent){ ev->stack_index + 1, ev->thread, ev->size, r->now_ms };
}

/* "+N" or "-N": the allocation N after or before the one the last f freed. */
static uint64_t from_last_freed(struct ev_reader *r, const struct fields *fs)
{
	struct fields digits = { .n = 1, .f = { fs->f[1] + 1 }, .len = { fs->len[1] - 1 } };
	uint64_t d = num(&r->in, &digits, 0, "the distance after + or -");
	int forward = fs->f[1][0] == '+';
	/* Either way the allocation must be one of 1 .. nallocs: "+0" before any free names 0. */
	if (forward ? d > r->nallocs - r->priv.last_freed || r->priv.last_freed + d == 0
		    : d >= r->priv.last_freed)
		input_error(&r->in, "free of allocation %s%llu from allocation %llu, but allocations run from 1 to %llu",
			    forward ? "+" : "-", (unsigned long long)d,
			    (unsigned long long)r->priv.last_freed, (unsigned long long)r->nallocs);
	return forward ? r->priv.last_freed + d : r->priv.last_freed - d;
}

/* BACK: the allocation BACK before the latest. */
static uint64_t from_latest(struct ev_reader *r, uint64_t back)
{
	if (back >= r->nallocs)
		input_error(&r->in, "free of allocation %llu back, but only %llu were made",
			    (unsigned long long)back, (unsigned long long)r->nallocs);
	return r->nallocs - back;
}

static void read_free(struct ev_reader *r, struct ev *ev)
{
	struct fields fs;
	uint64_t v[2];
	full_only(r, 'f');
	if (fast_numbers(&r->in, v, 2) && fast_thread(r, v[0])) {
		ev->thread = (uint32_t)v[0];
		ev->alloc_id = from_latest(r, v[1]);
	} else {
		split(&r->in, &fs, 2, 0);
		expect(&r->in, &fs, 2, 2, "f THREAD BACK");
		ev->thread = thread_field(r, &fs, 0);
		if (fs.len[1] > 0 && (fs.f[1][0] == '+' || fs.f[1][0] == '-'))
			ev->alloc_id = from_last_freed(r, &fs);
		else
			ev->alloc_id = from_latest(r, num(&r->in, &fs, 1, "BACK"));
	}
	free_live(r, ev);
}

/* ev ended its allocation (taken out of the live ones): the totals without it. */
static void end_allocation(struct ev_reader *r, struct ev *ev)
{
	r->heap -= ev->size;
	r->nfrees++;
}

/* The allocation ev->alloc_id, freed: ev gets what it was. */
static void free_live(struct ev_reader *r, struct ev *ev)
{
	r->priv.last_freed = ev->alloc_id;
	if (!take_live(r, ev->alloc_id, ev))
		input_error(&r->in, "free of allocation %llu, which is not live (freed twice?)",
			    (unsigned long long)ev->alloc_id);
	end_allocation(r, ev);
}

static void read_live(struct ev_reader *r, struct ev *ev, char type)
{
	struct fields fs;
	aggregate_only(r, type);
	split(&r->in, &fs, 4, 0);
	expect(&r->in, &fs, 4, 4, type == 'P' ? "P THREAD STACK COUNT BYTES"
					       : "L THREAD STACK COUNT BYTES");
	ev->thread = thread_field(r, &fs, 0);
	ev->stack = stack_field(r, &fs, 1, &ev->stack_index);
	ev->count = num(&r->in, &fs, 2, "COUNT");
	ev->size = num(&r->in, &fs, 3, "BYTES");
}

/* ---- X: the program replaced (execve); its live allocations end there ---- */

static int by_number(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The numbers of the live allocations, in order, for ev_next to end one by one. */
static void list_live(struct ev_reader *r)
{
	struct ev_reader_private *p = &r->priv;
	p->ngone = p->gone_next = 0;
	/* Ring entry i holds the allocation of the latest EV_RECENT numbered i modulo EV_RECENT. */
	for (size_t i = 0; p->recent && i < EV_RECENT; i++)
		if (p->recent[i].stack_index1) {
			p->gone = xgrow(p->gone, &p->cap_gone, p->ngone + 1, sizeof *p->gone);
			p->gone[p->ngone++] = r->nallocs - ((r->nallocs - i) & (EV_RECENT - 1));
		}
	for (size_t i = 0; p->live.slots && i <= p->live.mask; i++)
		if (p->live.slots[i].key != HASH_EMPTY) {
			p->gone = xgrow(p->gone, &p->cap_gone, p->ngone + 1, sizeof *p->gone);
			p->gone[p->ngone++] = p->live.slots[i].key;
		}
	if (p->ngone)
		qsort(p->gone, p->ngone, sizeof *p->gone, by_number);
}

/* "X MS ARGV": the new program's command joins the command ("; exec ..."). */
static void read_exec(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 1, 1);
	expect(&r->in, &fs, 1, 1, "X MS ARGV");
	set_time(r, num(&r->in, &fs, 0, "MS"));
	struct buf b = BUF_INIT;
	buf_adds(&b, r->command);
	buf_adds(&b, "; exec ");
	char *command = syntax_unescape_str(fs.rest, fs.rest_len);
	buf_adds(&b, command);
	free(command);
	free(r->command);
	r->command = buf_detach(&b);
	r->priv.execs = xgrow(r->priv.execs, &r->priv.cap_execs, r->priv.nexecs + 1, sizeof *r->priv.execs);
	struct ev_exec *x = &r->priv.execs[r->priv.nexecs++];
	x->argv = read_words(fs.rest, fs.rest_len, &x->argc);
	if (!r->aggregate)
		list_live(r);
}

/* The next allocation the X record ended: an f record of thread 0 (no thread freed it). */
static void end_gone(struct ev_reader *r, struct ev *ev)
{
	uint64_t id = r->priv.gone[r->priv.gone_next++];
	if (!take_live(r, id, ev))
		die("%s: allocation %llu vanished", r->in.name, (unsigned long long)id);
	ev->type = EV_FREE;
	ev->time_ms = r->now_ms;
	ev->alloc_id = id;
	end_allocation(r, ev);
	r->discarded++;
}

static void read_end(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 8, 0);
	expect(&r->in, &fs, 7, 8, "E MS ALLOCS FREES UNTRACKED LOST HOW CODE [DOUBLE]");
	set_time(r, num(&r->in, &fs, 0, "MS"));
	r->end_ms = r->now_ms;
	r->end_allocs = num(&r->in, &fs, 1, "ALLOCS");
	r->end_frees = num(&r->in, &fs, 2, "FREES");
	r->untracked = num(&r->in, &fs, 3, "UNTRACKED");
	r->lost = num(&r->in, &fs, 4, "LOST");
	/* detached and gone: a recording of a running process (mf-record -p);
	 * exec and unknown: a process of mf-record --follow-fork (docs/FORMAT.md). */
	static const char *const hows[] = { "exit", "signal", "detached", "gone", "exec", "unknown" };
	const char *how = NULL;
	for (size_t i = 0; i < sizeof hows / sizeof *hows; i++)
		if (fs.len[5] == strlen(hows[i]) && memcmp(fs.f[5], hows[i], fs.len[5]) == 0)
			how = hows[i];
	if (!how)
		input_error(&r->in, "expected HOW 'exit', 'signal', 'detached', 'gone', 'exec' or 'unknown', found '%s'",
			    printable(fs.f[5], fs.len[5]));
	uint64_t code = num(&r->in, &fs, 6, "CODE");
	if (fs.n == 8)
		r->double_frees = num(&r->in, &fs, 7, "DOUBLE");
	if (!r->aggregate && (r->end_allocs != r->nallocs || r->end_frees != r->nfrees - r->discarded))
		input_error(&r->in, "the end record counts %llu allocations and %llu frees, but the stream has %llu and %llu",
			    (unsigned long long)r->end_allocs, (unsigned long long)r->end_frees,
			    (unsigned long long)r->nallocs, (unsigned long long)(r->nfrees - r->discarded));
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s %llu", how, (unsigned long long)code);
	r->how = buf_detach(&b);
	r->ended = 1;
}

/*
 * fast_field() for a line in the input's chunk, with at least 8 bytes
 * readable past the space: the digits found and summed 8 at a time,
 * without a branch per digit (their count varies, and mispredicted
 * branches were most of the parse).
 */
static inline int chunk_field(const char **p, uint64_t *v)
{
	const char *q = *p;
	if (*q != ' ')
		return 0;
	uint64_t w;
	memcpy(&w, q + 1, 8);
	/* Little-endian: the first character is the lowest byte.  A byte
	 * is a digit when it is '0' + 0 .. 9; the carry out of a byte
	 * above 0x89 only ever marks bytes after it. */
	uint64_t x = w ^ 0x3030303030303030u;
	uint64_t other = ((x + 0x7676767676767676u) | x) & 0x8080808080808080u;
	if (other & 0x80)
		return 0;	/* no digit */
	if (!other)
		return fast_field(p, v);	/* 8 digits or more: rare */
	/* The top bit of byte k, the first not a digit: the digits are
	 * bytes 0 .. k-1, moved to the top, with zeros before them. */
	int top = __builtin_ctzll(other), k = top >> 3;
	x <<= 71 - top;
	/* Each byte is a digit now: pairs, fours, then all eight summed. */
	x = x * 2561 >> 8;
	x = (x & 0x00ff00ff00ff00ffu) * 6553601 >> 16;
	x = (x & 0x0000ffff0000ffffu) * 42949672960001u >> 32;
	*v = x;
	*p = q + 1 + k;
	return 1;
}

/*
 * The longest line fast_record() reads: a type, then three fields of a
 * space and at most 20 digits (one too many is how it sees 20), then the
 * newline.
 */
enum { FAST_LINE = 1 + 3 * 21 + 1 };

/*
 * ev for an 'a' or 'f' record, field by field, as the compiler makes
 * "rep stos" or "rep movs" of a whole struct, slow for one this small:
 * here the fields neither record has; fast_record() sets the others, and
 * those the record does not have to 0, each once.
 */
static inline void fast_event(struct ev *ev, int type, uint64_t thread)
{
	_Static_assert(sizeof(struct ev) == 104, "fast_record sets every field of struct ev");
	ev->type = type;
	ev->thread = (uint32_t)thread;
	ev->count = 0;
	ev->heap = ev->rss = 0;
}

/*
 * The hot path of a full capture, nearly all of whose lines are 'a' and
 * 'f' with numbers only: parsed straight from the input's chunk, without
 * looking for the newline first, when the whole line is there and its ids
 * are found without hashing.  Anything else returns 0, having read
 * nothing, and goes the general way, which gives the exact error message.
 */
static int fast_record(struct ev_reader *r, struct ev *ev)
{
	const char *line = input_peek(&r->in, FAST_LINE), *p = line;
	if (!p || (p[0] != 'a' && p[0] != 'f'))
		return 0;
	p++;
	/* FAST_LINE bytes are there: 8 past the third field's space are. */
	uint64_t thread, v, size = 0;
	if (!chunk_field(&p, &thread) || !chunk_field(&p, &v) || !fast_thread(r, thread))
		return 0;
	if (line[0] == 'a') {
		if (!chunk_field(&p, &size) || !fast_stack(r, v) || *p != '\n')
			return 0;
		input_take(&r->in, p);
		fast_event(ev, EV_ALLOC, thread);
		ev->stack = v;
		ev->stack_index = r->priv.stack_direct[v] - 1;
		ev->size = size;
		ev->allocator = allocators[0];
		ev->alloc_time_ms = ev->alloc_thread = 0;
		add_live(r, ev);	/* alloc_id */
	} else {
		if (*p != '\n')
			return 0;
		input_take(&r->in, p);
		fast_event(ev, EV_FREE, thread);
		ev->allocator = NULL;
		ev->alloc_id = from_latest(r, v);
		/* stack, stack_index, size, alloc_time_ms, alloc_thread (or an error) */
		free_live(r, ev);
	}
	ev->time_ms = r->now_ms;
	return 1;
}

/*
 * ev_next() but for its fast path (fast_record() has failed, or allocations
 * an X record ended are to come).
 */
static int general_record(struct ev_reader *r, struct ev *ev)
{
	/* A copy, not memset: the compiler's "rep stos" is slow for one small struct. */
	static const struct ev zero;
	if (r->priv.gone_next < r->priv.ngone) {
		*ev = zero;
		end_gone(r, ev);
		return 1;
	}
	struct fields fs;
	*ev = zero;
	for (;;) {
		if (!input_getline(&r->in)) {
			if (!r->ended)
				r->truncated = 1;
			return 0;
		}
		/* A last line without its newline was cut short (a full disk, a
		 * killed recorder): drop it and end as an incomplete capture, so
		 * that what was written stays readable.  Only E may end a file. */
		if (r->in.missing_newline && !r->ended && r->in.line[0] != 'E') {
			r->truncated = 1;
			return 0;
		}
		if (r->in.len == 0)
			input_error(&r->in, "empty line where a record was expected");
		if (r->in.line[0] != '#')
			break;
	}
	if (r->ended)
		input_error(&r->in, "record after the end record (E)");
	ev->type = (unsigned char)r->in.line[0];
	if (r->in.len > 1 && r->in.line[1] != ' ')
		input_error(&r->in, "expected a one-character record type followed by a space, found '%s'",
			    printable(r->in.line, 20));
	switch (ev->type) {
	case EV_HEADER:
		input_error(&r->in, "a second header record");
	case EV_MODULE: read_module(r); break;
	case EV_FRAME: read_frame(r); break;
	case EV_STACK: read_stack(r); break;
	case EV_THREAD: read_thread(r, ev); break;
	case EV_TIME:
		split(&r->in, &fs, 1, 0);
		expect(&r->in, &fs, 1, 1, "t MS");
		set_time(r, num(&r->in, &fs, 0, "MS"));
		break;
	case EV_MEMORY:
		split(&r->in, &fs, 3, 0);
		expect(&r->in, &fs, 3, 3, "m MS HEAP RSS");
		set_time(r, num(&r->in, &fs, 0, "MS"));
		ev->heap = num(&r->in, &fs, 1, "HEAP");
		ev->rss = num(&r->in, &fs, 2, "RSS");
		break;
	case EV_ALLOC: read_alloc(r, ev); break;
	case EV_FREE: read_free(r, ev); break;
	case EV_PEAK_LIVE: read_live(r, ev, 'P'); break;
	case EV_END_LIVE: read_live(r, ev, 'L'); break;
	case EV_PEAK:
		aggregate_only(r, 'K');
		split(&r->in, &fs, 2, 0);
		expect(&r->in, &fs, 2, 2, "K MS BYTES");
		ev->time_ms = num(&r->in, &fs, 0, "MS");
		ev->heap = num(&r->in, &fs, 1, "BYTES");
		return 1;
	case EV_END: read_end(r); break;
	case EV_EXEC: read_exec(r); break;
	default:
		input_error(&r->in, "unknown record type '%s' (expected one of H M F S T t m a f P L K X E)",
			    printable(r->in.line, 1));
	}
	ev->time_ms = r->now_ms;
	return 1;
}

/*
 * general_record(), then whether the fast path may be tried next: only
 * this path changes what that depends on.  Kept out of line, so that the
 * fast path saves and restores only the few registers it uses.
 */
__attribute__((noinline)) static int next_record(struct ev_reader *r, struct ev *ev)
{
	int got = general_record(r, ev);
	r->priv.fast = !r->aggregate && !r->ended && r->priv.gone_next >= r->priv.ngone;
	if (r->priv.fast)
		make_ring(r);
	return got;
}

int ev_next(struct ev_reader *r, struct ev *ev)
{
	if (r->priv.fast && fast_record(r, ev))
		return 1;
	return next_record(r, ev);
}
