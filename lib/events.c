/* events.c - the event-stream reader: parsing, checking, tables, live allocations. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "folded.h"
#include "num.h"
#include "output.h"

enum { MAX_FIELDS = 8 };

struct ev_live {
	uint64_t stack, size, time_ms;
	uint32_t thread, stack_index;
	uint64_t next_free;	/* pool free list, index + 1 */
};

struct ev_recent {
	uint64_t id;		/* the allocation's number; 0 when free */
	struct ev_live live;
};

static const char *const allocators[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc", "mmap", "mremap",
	"mprotect",
};

struct fields {
	const char *f[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	size_t n;
	const char *rest;	/* after the fields taken, for a text field */
	size_t rest_len;
};

/*
 * Split the line after its type into at most max words; with text set,
 * whatever follows the max-th word (possibly empty) is the text field.
 */
static void split(const struct input *in, struct fields *fs, size_t max, int text)
{
	const char *p = in->line + 1, *end = in->line + in->len;
	fs->n = 0;
	fs->rest = NULL;
	fs->rest_len = 0;
	while (p < end) {
		if (*p != ' ')
			input_error(in, "expected one space between fields");
		p++;
		if (text && fs->n == max) {
			fs->rest = p;
			fs->rest_len = (size_t)(end - p);
			return;
		}
		/* Fields are short: a plain loop beats memchr's setup. */
		const char *q = p;
		while (q < end && *q != ' ')
			q++;
		if (fs->n == MAX_FIELDS)
			input_error(in, "too many fields");
		fs->f[fs->n] = p;
		fs->len[fs->n] = (size_t)(q - p);
		fs->n++;
		p = q;
	}
	if (text && fs->n == max) {
		fs->rest = end;
		fs->rest_len = 0;
	}
}

static uint64_t num(const struct input *in, const struct fields *fs, size_t i,
		    const char *what)
{
	uint64_t v;
	if (parse_u64n(fs->f[i], fs->len[i], &v))
		input_error(in, "expected %s as a whole number of at most 20 digits, found '%s'",
			    what, printable(fs->f[i], fs->len[i] > 40 ? 40 : fs->len[i]));
	return v;
}

static uint64_t id_field(const struct input *in, const struct fields *fs, size_t i,
			 const char *what)
{
	uint64_t v = num(in, fs, i, what);
	if (v == 0 || v == HASH_EMPTY)
		input_error(in, "expected %s to be a positive id, found '%s'", what,
			    printable(fs->f[i], fs->len[i]));
	return v;
}

static void expect(const struct input *in, const struct fields *fs, size_t min,
		   size_t max, const char *form)
{
	if (fs->n < min || fs->n > max)
		input_error(in, "expected '%s'", form);
}

/* Dense index of id in ids, or die naming what is undefined. */
static size_t lookup(const struct input *in, const struct hash *ids, uint64_t id,
		     const char *what)
{
	uint64_t *idx = hash_get(ids, id);
	if (!idx)
		input_error(in, "undefined %s %llu", what, (unsigned long long)id);
	return (size_t)*idx;
}

static size_t define(const struct input *in, struct hash *ids, uint64_t id,
		     size_t next, const char *what)
{
	int added;
	uint64_t *idx = hash_put(ids, id, &added);
	if (!added)
		input_error(in, "%s %llu defined twice", what, (unsigned long long)id);
	*idx = next;
	return next;
}

/*
 * The ARGV words one by one: a space separates two words (a space inside
 * an argument is escaped), so "./app a\x20b " is "./app", "a b" and "".
 * An empty ARGV is no word at all (mf-record always writes argv[0]).
 */
static char **read_words(const char *s, size_t n, size_t *count)
{
	size_t cap = 0;
	char **argv = NULL;
	const char *end = s + n;
	*count = 0;
	for (;;) {
		const char *space = memchr(s, ' ', (size_t)(end - s));
		const char *word_end = space ? space : end;
		argv = xgrow(argv, &cap, *count + 1, sizeof *argv);
		argv[(*count)++] = syntax_unescape_str(s, (size_t)(word_end - s));
		if (!space)
			break;
		s = space + 1;
	}
	return argv;
}

static void read_header(struct ev_reader *r)
{
	struct input *in = &r->in;
	struct fields fs;
	if (!input_getline(in))
		die("%s: empty input: expected an mf event stream (docs/FORMAT.md)", in->name);
	if (in->len < 1 || in->line[0] != EV_HEADER) {
		if (syntax_guess(in->line, in->len) == SYNTAX_FOLDED)
			input_error(in, "expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' "
					"of an event stream; this looks like folded stacks");
		input_error(in, "expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream");
	}
	split(in, &fs, 5, 1);
	expect(in, &fs, 5, 5, "H 2 KIND PID START_MS INTERVAL_MS ARGV");
	uint64_t version = num(in, &fs, 0, "VERSION");
	if (version < SYNTAX_VERSION_OLDEST || version > SYNTAX_VERSION)
		input_error(in, "unsupported event stream version %llu (this reader knows versions %d and %d)",
			    (unsigned long long)version, SYNTAX_VERSION_OLDEST, SYNTAX_VERSION);
	if (fs.len[1] == 4 && memcmp(fs.f[1], "full", 4) == 0)
		r->aggregate = 0;
	else if (fs.len[1] == 9 && memcmp(fs.f[1], "aggregate", 9) == 0)
		r->aggregate = 1;
	else
		input_error(in, "expected KIND 'full' or 'aggregate', found '%s'",
			    printable(fs.f[1], fs.len[1]));
	r->pid = num(in, &fs, 2, "PID");
	r->start_ms = num(in, &fs, 3, "START_MS");
	r->interval_ms = num(in, &fs, 4, "INTERVAL_MS");
	if (r->interval_ms == 0)
		input_error(in, "expected INTERVAL_MS of at least 1");
	/* Words of ARGV are escaped; decoding keeps the spaces between them. */
	r->command = syntax_unescape_str(fs.rest, fs.rest_len);
	if (fs.rest_len)
		r->argv = read_words(fs.rest, fs.rest_len, &r->argc);
}

void ev_open(struct ev_reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	input_open(&r->in, path);
	read_header(r);
}

void ev_open_input(struct ev_reader *r, struct input *in)
{
	memset(r, 0, sizeof *r);
	r->in = *in;
	memset(in, 0, sizeof *in);
	read_header(r);
}

void ev_close(struct ev_reader *r)
{
	for (size_t i = 0; i < r->priv.nmodules; i++)
		free(r->priv.modules[i]);
	for (size_t i = 0; i < r->priv.nframes; i++) {
		free(r->priv.frames[i].file);
		free(r->priv.frames[i].function);
		free(r->priv.frames[i].text);
	}
	for (size_t i = 0; i < r->priv.nthreads; i++)
		free(r->priv.threads[i].name);
	free(r->priv.modules);
	free(r->priv.frames);
	free(r->priv.stack_parent);
	free(r->priv.stack_frame);
	free(r->priv.threads);
	free(r->priv.thread_numbers);
	free(r->priv.pool);
	free(r->priv.recent);
	free(r->command);
	for (size_t i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->how);
	for (size_t i = 0; i < r->priv.nexecs; i++) {
		for (size_t k = 0; k < r->priv.execs[i].argc; k++)
			free(r->priv.execs[i].argv[k]);
		free(r->priv.execs[i].argv);
	}
	free(r->priv.execs);
	free(r->priv.gone);
	hash_release(&r->priv.module_ids);
	hash_release(&r->priv.frame_ids);
	free(r->priv.stack_direct);
	free(r->priv.thread_direct);
	hash_release(&r->priv.stack_ids);
	hash_release(&r->priv.thread_ids);
	hash_release(&r->priv.live);
	buf_release(&r->priv.scratch);
	input_close(&r->in);
	memset(r, 0, sizeof *r);
}

static void read_module(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 1, 1);
	expect(&r->in, &fs, 1, 1, "M ID PATH");
	uint64_t id = id_field(&r->in, &fs, 0, "module ID");
	size_t i = define(&r->in, &r->priv.module_ids, id, r->priv.nmodules, "module");
	r->priv.modules = xgrow(r->priv.modules, &r->priv.cap_modules, i + 1, sizeof *r->priv.modules);
	r->priv.modules[i] = syntax_unescape_str(fs.rest, fs.rest_len);
	r->priv.nmodules++;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "function (file:line)", "function (module)" or "function", escaped. */
static void frame_text(struct ev_reader *r, struct ev_frame *f)
{
	struct buf *b = &r->priv.scratch;
	buf_clear(b);
	buf_adds(b, f->function);
	if (f->file && f->line) {
		buf_printf(b, " (%s:%llu)", f->file, (unsigned long long)f->line);
	} else if (f->module) {
		size_t m = lookup(&r->in, &r->priv.module_ids, f->module, "module");
		buf_printf(b, " (%s)", basename_of(r->priv.modules[m]));
	}
	struct buf esc = BUF_INIT;
	syntax_escape_frame(&esc, b->data, b->len);
	f->text_len = esc.len;
	f->text = buf_detach(&esc);
}

static void read_frame(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 4, 1);
	expect(&r->in, &fs, 4, 4, "F ID MODULE FILE LINE FUNCTION");
	uint64_t id = id_field(&r->in, &fs, 0, "frame ID");
	struct ev_frame f = { 0 };
	f.module = num(&r->in, &fs, 1, "MODULE");
	if (f.module)
		lookup(&r->in, &r->priv.module_ids, f.module, "module");
	f.line = num(&r->in, &fs, 3, "LINE");
	if (fs.rest_len == 0)
		input_error(&r->in, "expected a FUNCTION name at the end of the frame");
	/* Every check comes before the strings are made, so an error leaks nothing. */
	size_t i = define(&r->in, &r->priv.frame_ids, id, r->priv.nframes, "frame");
	if (!(fs.len[2] == 1 && fs.f[2][0] == '?'))
		f.file = syntax_unescape_str(fs.f[2], fs.len[2]);
	f.function = syntax_unescape_str(fs.rest, fs.rest_len);
	r->priv.frames = xgrow(r->priv.frames, &r->priv.cap_frames, i + 1, sizeof *r->priv.frames);
	frame_text(r, &f);
	r->priv.frames[i] = f;
	r->priv.nframes++;
}

static void read_stack(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 3, 0);
	expect(&r->in, &fs, 3, 3, "S ID PARENT FRAME");
	uint64_t id = id_field(&r->in, &fs, 0, "stack ID");
	uint64_t parent = num(&r->in, &fs, 1, "PARENT");
	uint64_t frame = id_field(&r->in, &fs, 2, "FRAME");
	uint64_t parent_index = parent ? lookup(&r->in, &r->priv.stack_ids, parent, "stack") + 1 : 0;
	size_t frame_index = lookup(&r->in, &r->priv.frame_ids, frame, "frame");
	if (r->priv.nstacks == UINT32_MAX)
		input_error(&r->in, "too many stacks (at most 2^32 - 1)");
	size_t i = define(&r->in, &r->priv.stack_ids, id, r->priv.nstacks, "stack");
	size_t cap = r->priv.cap_stacks;
	r->priv.stack_parent = xgrow(r->priv.stack_parent, &cap, i + 1, sizeof *r->priv.stack_parent);
	cap = r->priv.cap_stacks;
	r->priv.stack_frame = xgrow(r->priv.stack_frame, &cap, i + 1, sizeof *r->priv.stack_frame);
	r->priv.cap_stacks = cap;
	r->priv.stack_parent[i] = parent_index;
	r->priv.stack_frame[i] = frame_index;
	r->priv.nstacks++;
	/* Recorders number stacks 1, 2, 3...: index those directly. */
	if (id < 4 * (uint64_t)r->priv.nstacks + 4096) {
		if (id >= r->priv.ndirect) {
			size_t n = r->priv.ndirect;
			r->priv.stack_direct = xgrow(r->priv.stack_direct, &n, (size_t)id + 1, sizeof *r->priv.stack_direct);
			memset(r->priv.stack_direct + r->priv.ndirect, 0, (n - r->priv.ndirect) * sizeof *r->priv.stack_direct);
			r->priv.ndirect = n;
		}
		r->priv.stack_direct[id] = (uint32_t)i + 1;
	}
}

static void read_thread(struct ev_reader *r, struct ev *ev)
{
	struct fields fs;
	split(&r->in, &fs, 2, 1);
	expect(&r->in, &fs, 2, 2, "T THREAD TID NAME");
	uint64_t thread = id_field(&r->in, &fs, 0, "THREAD");
	if (thread > UINT32_MAX)
		input_error(&r->in, "expected THREAD below 2^32, found %llu", (unsigned long long)thread);
	uint64_t tid = num(&r->in, &fs, 1, "TID");
	int added;
	uint64_t *idx = hash_put(&r->priv.thread_ids, thread, &added);
	if (added) {
		*idx = r->priv.nthreads++;
		size_t cap = r->priv.cap_threads;
		r->priv.threads = xgrow(r->priv.threads, &cap, r->priv.nthreads, sizeof *r->priv.threads);
		cap = r->priv.cap_threads;
		r->priv.thread_numbers = xgrow(r->priv.thread_numbers, &cap, r->priv.nthreads,
					  sizeof *r->priv.thread_numbers);
		r->priv.cap_threads = cap;
		r->priv.threads[*idx].name = NULL;
	}
	struct ev_thread *t = &r->priv.threads[*idx];
	r->priv.thread_numbers[*idx] = (uint32_t)thread;
	if (thread < 65536) {
		if (thread >= r->priv.nthread_direct) {
			size_t n = r->priv.nthread_direct;
			r->priv.thread_direct = xgrow(r->priv.thread_direct, &n, (size_t)thread + 1, 1);
			memset(r->priv.thread_direct + r->priv.nthread_direct, 0, n - r->priv.nthread_direct);
			r->priv.nthread_direct = n;
		}
		r->priv.thread_direct[thread] = 1;
	}
	t->tid = tid;
	free(t->name);
	t->name = syntax_unescape_str(fs.rest, fs.rest_len);
	ev->thread = (uint32_t)thread;
}

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
	for (int i = 0; i < n; i++) {
		if (*p != ' ')
			return 0;
		const char *start = ++p;
		uint64_t x = 0;
		unsigned d;
		while ((d = (unsigned char)*p - '0') <= 9) {
			x = x * 10 + d;
			p++;
		}
		if (p == start || p - start > 19)
			return 0;
		v[i] = x;
	}
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
static void keep_older(struct ev_reader *r, const struct ev_recent *e)
{
	size_t slot;
	if (r->priv.free_head) {
		slot = r->priv.free_head - 1;
		r->priv.free_head = r->priv.pool[slot].next_free;
	} else {
		r->priv.pool = xgrow(r->priv.pool, &r->priv.cap_pool, r->priv.npool + 1, sizeof *r->priv.pool);
		slot = r->priv.npool++;
	}
	r->priv.pool[slot] = e->live;
	*hash_put(&r->priv.live, e->id, NULL) = slot;
}

/* Take allocation id out of the live ones into *out; 0 if it is not live. */
static int take_live(struct ev_reader *r, uint64_t id, struct ev_live *out)
{
	if (r->nallocs - id < EV_RECENT) {
		/* Its ring entry has not been reused: there or freed already. */
		struct ev_recent *e = &r->priv.recent[id & (EV_RECENT - 1)];
		if (e->id != id)
			return 0;
		*out = e->live;
		e->id = 0;
		return 1;
	}
	uint64_t slot;
	if (!hash_remove(&r->priv.live, id, &slot))
		return 0;
	*out = r->priv.pool[slot];
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
	if (r->heap + ev->size < r->heap || r->total_bytes + ev->size < r->total_bytes)
		input_error(&r->in, "total heap size overflows 64 bits");
	r->heap += ev->size;
	r->total_bytes += ev->size;
	ev->alloc_id = ++r->nallocs;

	if (!r->priv.recent)
		r->priv.recent = xcalloc(EV_RECENT, sizeof *r->priv.recent);
	struct ev_recent *e = &r->priv.recent[ev->alloc_id & (EV_RECENT - 1)];
	if (e->id)
		keep_older(r, e);
	e->id = ev->alloc_id;
	e->live = (struct ev_live){ ev->stack, ev->size, r->now_ms, ev->thread,
				    ev->stack_index, 0 };
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

/* ev ends allocation l (taken out of the live ones): what the reducers see of it. */
static void end_allocation(struct ev_reader *r, struct ev *ev, const struct ev_live *l)
{
	ev->stack = l->stack;
	ev->stack_index = l->stack_index;
	ev->size = l->size;
	ev->alloc_time_ms = l->time_ms;
	ev->alloc_thread = l->thread;
	r->heap -= ev->size;
	r->nfrees++;
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
	r->priv.last_freed = ev->alloc_id;
	struct ev_live l;
	if (!take_live(r, ev->alloc_id, &l))
		input_error(&r->in, "free of allocation %llu, which is not live (freed twice?)",
			    (unsigned long long)ev->alloc_id);
	end_allocation(r, ev, &l);
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
	for (size_t i = 0; p->recent && i < EV_RECENT; i++)
		if (p->recent[i].id) {
			p->gone = xgrow(p->gone, &p->cap_gone, p->ngone + 1, sizeof *p->gone);
			p->gone[p->ngone++] = p->recent[i].id;
		}
	for (size_t i = 0; p->live.slots && i <= p->live.mask; i++)
		if (p->live.slots[i].key != HASH_EMPTY) {
			p->gone = xgrow(p->gone, &p->cap_gone, p->ngone + 1, sizeof *p->gone);
			p->gone[p->ngone++] = p->live.slots[i].key;
		}
	if (p->ngone)
		qsort(p->gone, p->ngone, sizeof *p->gone, by_number);
}

/* "X MS ARGV": the new program's command joins the command (";exec ..."). */
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
	struct ev_live l;
	uint64_t id = r->priv.gone[r->priv.gone_next++];
	if (!take_live(r, id, &l))
		die("%s: allocation %llu vanished", r->in.name, (unsigned long long)id);
	ev->type = EV_FREE;
	ev->time_ms = r->now_ms;
	ev->alloc_id = id;
	end_allocation(r, ev, &l);
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

int ev_next(struct ev_reader *r, struct ev *ev)
{
	/* A copy, not memset: the compiler's "rep stos" is slow for one small struct. */
	static const struct ev zero;
	struct fields fs;
	*ev = zero;
	if (r->priv.gone_next < r->priv.ngone) {
		end_gone(r, ev);
		return 1;
	}
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

void ev_require_full(const struct ev_reader *r, const char *what)
{
	if (r->aggregate)
		die("%s: %s need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate",
		    r->in.name, what);
}

const struct ev_thread *ev_thread(const struct ev_reader *r, uint32_t thread)
{
	uint64_t *idx = hash_get(&r->priv.thread_ids, thread);
	return idx ? &r->priv.threads[*idx] : NULL;
}

void ev_thread_frame(const struct ev_reader *r, uint32_t thread, struct buf *b)
{
	const struct ev_thread *t = ev_thread(r, thread);
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "thread %u", thread);
	if (t && t->name && *t->name)
		buf_printf(&tmp, " (%s)", t->name);
	syntax_escape_frame(b, tmp.data, tmp.len);
	buf_release(&tmp);
}

void ev_stack_folded(const struct ev_reader *r, uint64_t stack, struct buf *b)
{
	if (stack == 0)
		return;
	uint64_t *idx = hash_get(&r->priv.stack_ids, stack);
	if (!idx)
		die("internal error: stack %llu unknown", (unsigned long long)stack);
	/* Parents come first in the output: collect innermost-first, then reverse. */
	size_t depth = 0;
	for (uint64_t i = *idx + 1; i; i = r->priv.stack_parent[i - 1])
		depth++;
	size_t *order = xmalloc(depth * sizeof *order);
	size_t k = depth;
	for (uint64_t i = *idx + 1; i; i = r->priv.stack_parent[i - 1])
		order[--k] = (size_t)r->priv.stack_frame[i - 1];
	for (size_t j = 0; j < depth; j++) {
		const struct ev_frame *f = &r->priv.frames[order[j]];
		if (j)
			buf_addc(b, ';');
		buf_add(b, f->text, f->text_len);
	}
	free(order);
}

uint64_t ev_stack_parent(const struct ev_reader *r, uint32_t index)
{
	return r->priv.stack_parent[index];
}

const char *ev_stack_frame_text(const struct ev_reader *r, uint32_t index, size_t *len)
{
	const struct ev_frame *f = &r->priv.frames[r->priv.stack_frame[index]];
	*len = f->text_len;
	return f->text;
}

size_t ev_nstacks(const struct ev_reader *r)
{
	return r->priv.nstacks;
}

uint32_t ev_stack_frame(const struct ev_reader *r, uint32_t index)
{
	return (uint32_t)r->priv.stack_frame[index];
}

size_t ev_nframes(const struct ev_reader *r)
{
	return r->priv.nframes;
}

const struct ev_frame *ev_frame_at(const struct ev_reader *r, uint32_t frame)
{
	return &r->priv.frames[frame];
}

const char *ev_module_path(const struct ev_reader *r, uint64_t id)
{
	uint64_t *idx = id ? hash_get(&r->priv.module_ids, id) : NULL;
	return idx ? r->priv.modules[*idx] : NULL;
}

/* "# KEY=[...]": the arguments as JSON strings, unambiguous where command is not. */
static void write_argv(struct output *out, const char *key, char *const *argv, size_t argc)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '[');
	for (size_t i = 0; i < argc; i++) {
		if (i)
			buf_addc(&b, ',');
		json_quote(&b, argv[i], strlen(argv[i]));
	}
	buf_addc(&b, ']');
	folded_meta_json(out, key, b.data);
	buf_release(&b);
}

void ev_write_metadata(const struct ev_reader *r, struct output *out)
{
	folded_meta_str(out, "command", r->command, strlen(r->command));
	write_argv(out, "argv", r->argv, r->argc);
	for (size_t i = 0; i < r->priv.nexecs; i++)
		write_argv(out, "exec", r->priv.execs[i].argv, r->priv.execs[i].argc);
	folded_meta_u64(out, "pid", r->pid);
	folded_meta_u64(out, "start_ms", r->start_ms);
	folded_meta_u64(out, "duration_ms", r->ended ? r->end_ms : r->now_ms);
	folded_meta_u64(out, "interval_ms", r->interval_ms);
	if (r->ended)
		folded_meta_str(out, "ended", r->how, strlen(r->how));
	folded_meta_u64(out, "total_allocations", r->aggregate ? r->end_allocs : r->nallocs);
	folded_meta_u64(out, "total_frees", r->aggregate ? r->end_frees : r->nfrees - r->discarded);
	if (!r->aggregate)
		folded_meta_u64(out, "total_bytes", r->total_bytes);
	folded_meta_u64(out, "untracked_frees", r->untracked);
	if (r->double_frees)
		folded_meta_u64(out, "double_frees", r->double_frees);
	if (r->lost)
		folded_meta_u64(out, "lost_events", r->lost);
	for (size_t i = 0; i < r->priv.nthreads; i++) {
		struct buf b = BUF_INIT;
		const char *name = r->priv.threads[i].name ? r->priv.threads[i].name : "";
		buf_printf(&b, "{\"thread\":%u,\"tid\":%llu,\"name\":", r->priv.thread_numbers[i],
			   (unsigned long long)r->priv.threads[i].tid);
		json_quote(&b, name, strlen(name));
		buf_addc(&b, '}');
		folded_meta_json(out, "thread", b.data);
		buf_release(&b);
	}
	if (r->truncated)
		folded_meta_json(out, "truncated", "true");
}
