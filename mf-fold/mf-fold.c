/*
 * mf-fold - folded stacks of all allocations, or of the temporary ones;
 * or folded stacks re-folded.
 *
 * From an event stream (a full capture): per stack, the bytes (or with
 * --count the number) of every allocation ever made, or with
 * --temporary[=N] only of the temporary ones.  An allocation is temporary
 * when the thread that made it frees it after at most N other allocations
 * of that thread (memray's rule: each thread remembers its last N+1
 * allocations, freed or not, and a free that matches one is temporary).
 * The metadata carries the memory records (at most --max-memory-records,
 * downsampled so the highest survives) for the memory graph of mf-html.
 *
 * From folded stacks (the first line is not an event stream header): the
 * same stacks with duplicates merged and, with --functions, the source
 * locations dropped so that the frames of one function merge.  Metadata
 * is passed through; per-stack series (`stack_*` lines of the temporal
 * format) stay with their stack and merge when their stacks merge
 * (docs/TEMPORAL.md), and a temporal input keeps its reducer, so the
 * output is still temporal.  Memory lines pass through as they are.  A
 * diff (mf-diff's output) re-folds the same way, both sides of a stack
 * kept together, and stays a diff.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "err.h"
#include "events.h"
#include "folded.h"
#include "hash.h"
#include "input.h"
#include "num.h"
#include "output.h"
#include "reduce.h"
#include "syntax.h"

static const char usage[] =
	"usage: mf-fold [-f] [-o OUTPUT] [--temporary[=N]] [--count] [--functions] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]\n";

struct options {
	const char *output;
	int force, count, functions, split_threads, split_processes, temporary;
	uint64_t threshold;
	uint64_t max_memory_records;	/* event streams only */
};

/*
 * Temporary allocations: the thread's allocation count at each live
 * allocation.  Both found without hashing in the common case, since
 * --temporary pays them once an event: the counts of threads numbered
 * below DIRECT_THREADS in an array, and the latest RING allocations'
 * counts in a ring indexed by their number (allocations are numbered 1,
 * 2, ... in order); one still live when its ring entry is needed again
 * moves to the hash, so memory stays proportional to the live ones.
 */
enum { DIRECT_THREADS = 1 << 16, RING = 1 << 15 };
struct temporary {
	uint64_t threshold;
	uint64_t *direct;		/* thread -> allocations it made so far */
	size_t ndirect;
	struct hash thread_allocs;	/* the same for a thread of DIRECT_THREADS or more */
	uint64_t *ring;			/* number % RING -> the count then; 0: none */
	uint64_t latest;		/* the latest allocation's number */
	struct hash seq;		/* older live allocations -> the count then */
};

/* The thread's count of allocations, to change. */
static uint64_t *thread_allocs(struct temporary *t, uint32_t thread)
{
	if (thread >= DIRECT_THREADS)
		return hash_put(&t->thread_allocs, thread, NULL);
	if (thread >= t->ndirect) {
		size_t old = t->ndirect;
		t->direct = xgrow(t->direct, &t->ndirect, (size_t)thread + 1, sizeof *t->direct);
		memset(t->direct + old, 0, (t->ndirect - old) * sizeof *t->direct);
	}
	return &t->direct[thread];
}

static void temporary_alloc(struct temporary *t, const struct ev *ev)
{
	uint64_t n = ++*thread_allocs(t, ev->thread);
	if (!t->ring)
		t->ring = xcalloc(RING, sizeof *t->ring);
	uint64_t *e = &t->ring[ev->alloc_id % RING];
	if (*e)
		*hash_put(&t->seq, ev->alloc_id - RING, NULL) = *e;
	*e = n;
	t->latest = ev->alloc_id;
}

/* Whether the free in ev ends a temporary allocation. */
static int temporary_free(struct temporary *t, const struct ev *ev)
{
	uint64_t seq;
	if (t->latest - ev->alloc_id < RING) {
		seq = t->ring[ev->alloc_id % RING];
		t->ring[ev->alloc_id % RING] = 0;
	} else if (!hash_remove(&t->seq, ev->alloc_id, &seq)) {
		seq = 0;
	}
	if (!seq || ev->thread != ev->alloc_thread)
		return 0;
	uint64_t now = *thread_allocs(t, ev->thread);
	return now - seq <= t->threshold;
}

static void temporary_release(struct temporary *t)
{
	free(t->direct);
	free(t->ring);
	hash_release(&t->thread_allocs);
	hash_release(&t->seq);
}

static void add(struct stacktab *tab, uint32_t thread, const struct ev *ev)
{
	size_t slot = stacktab_slot(tab, thread, ev->stack, ev->stack_index);
	tab->bytes[slot] += ev->size;
	tab->count[slot]++;
}

/* The memory records go to mem; NULL: a capture but the first's, none. */
static void read_capture(struct stacktab *tab, struct memory *mem, struct ev_reader *r,
			 const struct options *o)
{
	struct temporary t = { .threshold = o->threshold, .thread_allocs = HASH_INIT, .seq = HASH_INIT };
	struct ev ev;
	ev_require_full(r, o->temporary ? "temporary allocations" : "all allocations");
	while (ev_next(r, &ev)) {
		if (ev.type == EV_ALLOC && !o->temporary)
			add(tab, ev.thread, &ev);
		else if (ev.type == EV_ALLOC)
			temporary_alloc(&t, &ev);
		else if (ev.type == EV_FREE && o->temporary && temporary_free(&t, &ev))
			add(tab, ev.alloc_thread, &ev);
		else if (ev.type == EV_MEMORY && mem)
			memory_add(mem, ev.time_ms, ev.heap, ev.rss);
	}
	temporary_release(&t);
}

/*
 * Append stack to b with each frame reduced to its function (the first
 * frame kept whole when it is a thread frame).
 */
static void functions_only(struct buf *b, const char *stack, size_t n, int keep_first)
{
	const char *p = stack, *end = stack + n;
	for (int first = 1; p <= end; first = 0) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *frame_end = semi ? semi : end;
		size_t len = (size_t)(frame_end - p), loc_len;
		const char *loc;
		if (!(first && keep_first))
			len = folded_frame_split(p, len, &loc, &loc_len);
		if (!first)
			buf_addc(b, ';');
		buf_add(b, p, len);
		p = frame_end + 1;
	}
}

/* What mf-fold makes of one capture: its allocations (all, or temporary) per stack. */
struct capture {
	const struct options *o;
	struct stacktab tab;
};

static void read_one(void *self, struct ev_reader *r, struct memory *memory,
		     struct capture_totals *t)
{
	struct capture *c = self;
	stacktab_init(&c->tab, c->o->split_threads);
	read_capture(&c->tab, memory, r, c->o);
	t->tab = &c->tab;
	t->bytes = c->tab.bytes;
	t->count = c->tab.count;
}

static void done_one(void *self)
{
	stacktab_release(&((struct capture *)self)->tab);
}

/*
 * The captures paths[0..n) (several: the processes of mf-record
 * --follow-fork; the first's input already open in first), summed, or
 * each under its process frame with --split-processes; the metadata is
 * the first's.
 */
static void fold_captures(struct input *first, char *const *paths, size_t n,
			  const struct options *o, struct output *out)
{
	struct capture c = { .o = o };
	struct reduction red;
	int flags = (o->count ? FOLD_COUNT : 0) | (o->functions ? FOLD_FUNCTIONS : 0);
	reduce_captures(&red, first, (const char *const *)paths, n, &(struct capture_reducer){
		read_one, done_one, &c, flags, o->split_processes, o->max_memory_records });
	output_open(out, o->output, o->force);
	reduce_write_head(out, o->temporary ? "temporary" : "all", o->count, o->split_threads);
	if (o->split_processes)
		folded_meta_json(out, "split_processes", "true");
	if (o->temporary)
		folded_meta_u64(out, "temporary_threshold", o->threshold);
	if (o->functions)
		folded_meta_json(out, "functions_only", "true");
	ev_write_metadata(&red.first, out);
	reduce_write_modules(&red, out);
	reduce_write_tree(&red, out);
	reduce_finish_captures(&red, out);
}

/* Sums of folded input, to rewrite shown_bytes and shown_allocations. */
struct sums {
	uint64_t bytes, count;
	int counted;	/* every stack line had a count */
};

/* A diff's stack line: both sides added, the stack reduced to functions if asked. */
static void refold_diff_line(struct folded_reader *fr, const struct folded_line *l,
			     const struct meta_list *meta, const struct options *o,
			     struct diff_set *set, int *counted, struct buf *b)
{
	const char *split = meta_get(meta, "split_threads");
	struct diff_sides add = { l->before, l->value, l->count_before, l->has_count ? l->count : 0 };
	*counted &= l->has_count;
	buf_clear(b);
	if (o->functions)
		functions_only(b, l->stack, l->stack_len, split && strcmp(split, "true") == 0);
	else
		buf_add(b, l->stack, l->stack_len);
	diff_set_add(set, &fr->in, b->data, b->len, &add);
}

/* Metadata in a diff: per-stack series have no meaning there. */
static void refold_diff_meta(struct folded_reader *fr, const struct folded_line *l,
			     struct meta_list *meta)
{
	if (folded_is_series(l->key))
		input_error(&fr->in, "expected no per-stack series in a diff, found '# %s='", l->key);
	meta_add(meta, l->key, l->json);
}

/* A diff (mf-diff's output) re-folded: its reducer and metadata stay. */
static void refold_diff(struct folded_reader *fr, const struct options *o, struct meta_list *meta)
{
	struct folded_line l;
	struct diff_set set = DIFF_SET_INIT;
	struct buf b = BUF_INIT;
	int counted = 1;
	while (folded_next(fr, &l)) {
		if (l.kind == FOLDED_META)
			refold_diff_meta(fr, &l, meta);
		else
			refold_diff_line(fr, &l, meta, o, &set, &counted, &b);
	}
	if (o->functions)
		meta_set(meta, "functions_only", "true");
	diff_write_folded(o->output, o->force, meta, &set, counted);
	diff_set_release(&set);
	buf_release(&b);
}

static void refold_line(struct folded_reader *fr, const struct folded_line *l,
			const struct meta_list *meta, const struct options *o,
			struct folded_set *set, struct folded_series_list *series,
			struct sums *sums, struct buf *b)
{
	const char *value = meta_get(meta, "value");
	int in_count = value && strcmp(value, "\"count\"") == 0;
	const char *split = meta_get(meta, "split_threads");
	int has_count = l->has_count || in_count;
	uint64_t count = l->has_count ? l->count : l->value;
	if (o->count && !has_count)
		input_error(&fr->in, "expected a '# count=N' line before the stack (--count needs the number of allocations)");
	sums->counted &= has_count;
	if ((!in_count && sums->bytes + l->value < l->value) ||
	    (has_count && sums->count + count < count))
		input_error(&fr->in, "the total of all stacks overflows 64 bits");
	if (!in_count)
		sums->bytes += l->value;
	sums->count += has_count ? count : 0;
	buf_clear(b);
	if (o->functions)
		functions_only(b, l->stack, l->stack_len, split && strcmp(split, "true") == 0);
	else
		buf_add(b, l->stack, l->stack_len);
	folded_set_add_input(set, &fr->in, b->data, b->len, o->count ? count : l->value,
			     has_count ? count : 0);
	folded_set_add_series(set, &fr->in, b->data, b->len, series);
}

/* Whether the input is temporal (docs/TEMPORAL.md): its reducer stays. */
static int is_temporal(const struct meta_list *meta)
{
	const char *reducer = meta_get(meta, "reducer");
	return reducer && (strcmp(reducer, "\"temporal\"") == 0 ||
			   strcmp(reducer, "\"temporal-leaks\"") == 0);
}

static void refold(struct input *in, const struct options *o)
{
	struct folded_reader fr;
	struct folded_line l;
	struct meta_list meta = META_LIST_INIT;
	struct folded_set set = FOLDED_SET_INIT;
	struct folded_series_list series = FOLDED_SERIES_LIST_INIT;
	struct sums sums = { 0, 0, 1 };
	struct buf b = BUF_INIT;
	if (o->temporary || o->split_threads || o->split_processes)
		die("%s: %s needs an event stream, and this is folded stacks", in->name,
		    o->temporary ? "--temporary" : o->split_threads ? "--split-threads" : "--split-processes");
	folded_open_input(&fr, in);
	while (folded_next(&fr, &l)) {
		if (fr.diff) {
			/* The metadata before the diff's reducer line, then the diff. */
			if (o->count)
				input_error(&fr.in, "--count needs folded stacks of one side, and this is a diff");
			meta_add(&meta, l.key, l.json);
			refold_diff(&fr, o, &meta);
			goto done;
		}
		if (l.kind == FOLDED_META && folded_is_series(l.key))
			folded_series_add(&series, &fr.in, l.key, l.json);
		else if (l.kind == FOLDED_META)
			meta_add(&meta, l.key, l.json);
		else
			refold_line(&fr, &l, &meta, o, &set, &series, &sums, &b);
	}
	folded_series_end(&series, &fr.in);
	const char *value = meta_get(&meta, "value");
	int in_count = value && strcmp(value, "\"count\"") == 0;
	if (!is_temporal(&meta))
		meta_set(&meta, "reducer", "\"folded\"");
	if (o->count)
		meta_set(&meta, "value", "\"count\"");
	if (o->functions)
		meta_set(&meta, "functions_only", "true");
	buf_clear(&b);
	buf_addu64(&b, sums.bytes);
	if (!in_count)
		meta_set(&meta, "shown_bytes", b.data);
	buf_clear(&b);
	buf_addu64(&b, sums.count);
	if (sums.counted)
		meta_set(&meta, "shown_allocations", b.data);
	reduce_write_folded(o->output, o->force, &meta, &set, sums.counted);
done:
	buf_release(&b);
	meta_release(&meta);
	folded_series_release(&series);
	folded_set_release(&set);
	folded_close(&fr);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "count", no_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "functions", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-memory-records", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "split-processes", no_argument, NULL, 'p' },
		{ "split-threads", no_argument, NULL, 's' },
		{ "temporary", optional_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .max_memory_records = MEMORY_RECORDS_DEFAULT };
	int c;

	set_progname(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fho:", options, NULL)) != -1) {
		switch (c) {
		case 'c': o.count = 1; break;
		case 'f': o.force = 1; break;
		case 'F': o.functions = 1; break;
		case 'h': output_help(usage, MEMORY_RECORDS_HELP, NULL);
		case 'm': o.max_memory_records = memory_records_option(usage, optarg); break;
		case 'o': o.output = optarg; break;
		case 's': o.split_threads = 1; break;
		case 'p': o.split_processes = 1; break;
		case 't':
			o.temporary = 1;
			o.threshold = optarg ? option_u64(usage, "--temporary", optarg, 0, UINT64_MAX - 1) : 1;
			break;
		default: bad_option(usage, c, argv);
		}
	}

	/*
	 * The first line tells an event stream (its header) from folded
	 * stacks.  With options only an event stream has, anything else but
	 * folded stacks is a bad event stream, said as the event reader says it.
	 * Several FILEs are captures of several processes, each an event stream.
	 */
	size_t n = (size_t)(argc - optind);
	struct input in;
	struct output out;
	input_open(&in, optind < argc ? argv[optind] : NULL);
	enum syntax_format format = input_getline(&in) ? syntax_guess(in.line, in.len) : SYNTAX_EVENTS;
	int events = format == SYNTAX_EVENTS || n > 1 ||
		     ((o.temporary || o.split_threads || o.split_processes) && format == SYNTAX_UNKNOWN);
	input_unget(&in);
	if (events)
		fold_captures(&in, argv + optind, n, &o, &out);
	else
		refold(&in, &o);
	return 0;
}
