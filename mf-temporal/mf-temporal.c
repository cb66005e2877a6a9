/*
 * mf-temporal - live allocations over time, for the temporal report.
 *
 * Reads an event stream (docs/FORMAT.md) and writes folded stacks whose
 * values are the non-temporal report (the peak, or with --leaks the leaks),
 * each stack preceded by its series over the time slices of the recording
 * (docs/TEMPORAL.md), so that a viewer can answer the same question for any
 * window of time.
 *
 * One pass, memory proportional to the live allocations, the distinct
 * stacks and the changes of each stack from slice to slice:
 *
 * - Peak: inside each slice, the high-water mark is the first moment the
 *   heap is highest.  Its snapshot is taken lazily: a new high-water mark
 *   only bumps an epoch, and a stack saves its value at the snapshot the
 *   first time it changes after it.  When a slice closes, only the stacks
 *   touched since the previous snapshot are compared with what the series
 *   says so far, and only a difference is recorded.
 * - Leaks: allocations are counted per (stack, slice made, slice freed);
 *   an allocation freed in the slice it was made in is dropped, since no
 *   window of whole slices can show it.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "events.h"
#include "folded.h"
#include "modinfo.h"
#include "hash.h"
#include "intern.h"
#include "output.h"
#include "reduce.h"

static const char usage[] =
	"usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]\n";

static const char help[] =
	"Write the live allocations of an mf event stream over time, for the\n"
	"temporal report (docs/TEMPORAL.md).\n"
	"\n"
	"  --leaks            allocations made in a window and not freed by its end\n"
	"                     (default: the allocations live at the window's peak)\n"
	"  --split-threads    start each stack with the allocating thread\n"
	"  -o, --output FILE  write to FILE (.gz: compressed) instead of stdout\n"
	"  -f, --force        overwrite FILE if it exists\n"
	"  --help             print this help\n";

/* More slices than this is a damaged stream, or a report nobody can load. */
enum { MAX_SLICES = 10000000 };

/* The "freed" slice of an allocation never freed, until the end is known. */
#define NEVER UINT64_MAX

/* One (stack, thread): thread is 0 unless --split-threads. */
struct key {
	uint64_t stack;
	uint32_t thread;
	int dirty;			/* in the dirty list */
	int64_t count, bytes;		/* live now */
	int64_t snap_count, snap_bytes;	/* at the high-water mark, if snap_epoch == epoch */
	uint64_t snap_epoch;
	int64_t said_count, said_bytes;	/* what the series says so far */
};

/*
 * One element of a series.  Peak: at slice made, the stack's (count,
 * bytes) changed by this much.  Leaks: this many allocations of this many
 * bytes were made in slice made and freed in slice freed.
 */
struct entry {
	uint32_t key;		/* a key; a stack text when writing */
	uint32_t next;		/* leaks: next entry in the bucket chain, + 1 */
	uint64_t made, freed;
	int64_t count, bytes;
};

struct temporal {
	int leaks, split_threads;
	uint64_t interval;
	/* slices */
	uint64_t slice;			/* the current one */
	uint64_t slice_end;		/* the first ms after it (UINT64_MAX: none) */
	uint64_t epoch;			/* bumped at every new high-water mark */
	uint64_t hwm;			/* bytes at this slice's high-water mark */
	uint64_t *slice_peaks;
	size_t cap_slice_peaks;
	/* the first moment of the maximum, over the whole recording */
	uint64_t peak_bytes, peak_time_ms, peak_allocations, live_allocations;
	/* stacks */
	struct hash key_index;		/* split: dense stack << 32 | thread -> key */
	uint32_t *key_direct;		/* not split: dense stack -> key + 1, 0 for none */
	size_t ndirect;
	struct key *keys;
	size_t nkeys, cap_keys;
	uint32_t *dirty, *dirty_next;
	size_t ndirty, cap_dirty, cap_dirty_next;
	/* series */
	struct entry *entries;
	size_t nentries, cap_entries;
	struct hash buckets;		/* leaks: hash of (key, made, freed) -> entry + 1 */
	/* memory records, [ms, heap, rss] */
	uint64_t (*memory)[3];
	size_t nmemory, cap_memory;
};

/* A new key, for stack in thread. */
static uint32_t new_key(struct temporal *t, uint64_t stack, uint32_t thread)
{
	if (t->nkeys >= UINT32_MAX)
		die("more than 2^32 distinct stacks");
	t->keys = xgrow(t->keys, &t->cap_keys, t->nkeys + 1, sizeof *t->keys);
	t->keys[t->nkeys] = (struct key){ .stack = stack, .thread = thread };
	return (uint32_t)t->nkeys++;
}

/* key_of() for a key not found by the dense stack index alone. */
static uint32_t find_key(struct temporal *t, uint64_t stack, uint32_t stack_index,
			 uint32_t thread)
{
	if (!t->split_threads) {
		if (stack_index >= t->ndirect) {
			size_t n = t->ndirect;
			t->key_direct = xgrow(t->key_direct, &n, (size_t)stack_index + 1, sizeof *t->key_direct);
			memset(t->key_direct + t->ndirect, 0, (n - t->ndirect) * sizeof *t->key_direct);
			t->ndirect = n;
		}
		uint32_t k = new_key(t, stack, 0);
		t->key_direct[stack_index] = k + 1;
		return k;
	}
	int added;
	uint64_t *k = hash_put(&t->key_index, (uint64_t)stack_index << 32 | thread, &added);
	if (added)
		*k = new_key(t, stack, thread);
	return (uint32_t)*k;
}

/*
 * The key of the reader's stack (dense index stack_index) in thread: once
 * an event, so without --split-threads an array indexed by the stack, not
 * a hash, finds it.
 */
static inline uint32_t key_of(struct temporal *t, uint64_t stack, uint32_t stack_index,
			      uint32_t thread)
{
	if (!t->split_threads && stack_index < t->ndirect && t->key_direct[stack_index])
		return t->key_direct[stack_index] - 1;
	return find_key(t, stack, stack_index, thread);
}

static struct entry *new_entry(struct temporal *t, uint32_t key, uint64_t made, uint64_t freed)
{
	if (t->nentries >= UINT32_MAX)
		die("more than 2^32 changes of stacks over time");
	t->entries = xgrow(t->entries, &t->cap_entries, t->nentries + 1, sizeof *t->entries);
	struct entry *e = &t->entries[t->nentries++];
	*e = (struct entry){ .key = key, .made = made, .freed = freed };
	return e;
}

/* Leaks: the entry of (key, made, freed), created empty when absent. */
static struct entry *bucket(struct temporal *t, uint32_t key, uint64_t made, uint64_t freed)
{
	uint64_t h = hash_mix(key ^ hash_mix(made ^ hash_mix(freed)));
	if (h == HASH_EMPTY)
		h = 0;
	uint64_t *head = hash_put(&t->buckets, h, NULL);
	for (uint64_t i = *head; i; i = t->entries[i - 1].next) {
		struct entry *e = &t->entries[i - 1];
		if (e->key == key && e->made == made && e->freed == freed)
			return e;
	}
	uint64_t old_head = *head;
	struct entry *e = new_entry(t, key, made, freed);
	e->next = (uint32_t)old_head;
	*head = t->nentries;
	return e;
}

/* Peak: remember the key's value at the snapshot before it changes. */
static void touch(struct temporal *t, uint32_t k)
{
	struct key *key = &t->keys[k];
	if (key->snap_epoch != t->epoch) {
		key->snap_epoch = t->epoch;
		key->snap_count = key->count;
		key->snap_bytes = key->bytes;
	}
	if (!key->dirty) {
		key->dirty = 1;
		t->dirty = xgrow(t->dirty, &t->cap_dirty, t->ndirty + 1, sizeof *t->dirty);
		t->dirty[t->ndirty++] = k;
	}
}

/* A slice starts: its high-water mark so far is its first moment. */
static void open_slice(struct temporal *t, uint64_t heap)
{
	t->slice_end = t->slice + 1 > UINT64_MAX / t->interval ? UINT64_MAX
							       : (t->slice + 1) * t->interval;
	t->epoch++;
	t->hwm = heap;
}

/*
 * A slice ends: record its high-water mark, and for every stack changed
 * since the previous one, what changed at it.  A stack that changed after
 * the high-water mark stays dirty: the next slice's may differ again.
 */
static void close_slice(struct temporal *t)
{
	t->slice_peaks = xgrow(t->slice_peaks, &t->cap_slice_peaks, t->slice + 1,
			       sizeof *t->slice_peaks);
	t->slice_peaks[t->slice] = t->hwm;
	size_t kept = 0;
	t->dirty_next = xgrow(t->dirty_next, &t->cap_dirty_next, t->ndirty, sizeof *t->dirty_next);
	for (size_t i = 0; i < t->ndirty; i++) {
		uint32_t k = t->dirty[i];
		struct key *key = &t->keys[k];
		int64_t count = key->snap_epoch == t->epoch ? key->snap_count : key->count;
		int64_t bytes = key->snap_epoch == t->epoch ? key->snap_bytes : key->bytes;
		if (count != key->said_count || bytes != key->said_bytes) {
			struct entry *e = new_entry(t, k, t->slice, 0);
			e->count = count - key->said_count;
			e->bytes = bytes - key->said_bytes;
			key->said_count = count;
			key->said_bytes = bytes;
		}
		if (key->count != key->said_count || key->bytes != key->said_bytes)
			t->dirty_next[kept++] = k;
		else
			key->dirty = 0;
	}
	uint32_t *swap = t->dirty;
	size_t cap = t->cap_dirty;
	t->dirty = t->dirty_next;
	t->cap_dirty = t->cap_dirty_next;
	t->dirty_next = swap;
	t->cap_dirty_next = cap;
	t->ndirty = kept;
}

/*
 * Close slices up to the one holding the record at ms.  Only t, m and E
 * records move time, and they leave the heap alone: r->heap is the heap at
 * the start of each slice opened here.
 */
static void advance(struct temporal *t, const struct ev_reader *r, uint64_t ms)
{
	uint64_t slice = ms / t->interval;
	if (slice >= MAX_SLICES)
		input_error(&r->in, "time %llu ms is slice %llu of %llu ms, and the temporal report holds at most %d slices",
			    (unsigned long long)ms, (unsigned long long)slice,
			    (unsigned long long)t->interval, MAX_SLICES);
	while (t->slice < slice) {
		close_slice(t);
		t->slice++;
		open_slice(t, r->heap);
	}
}

static void on_alloc(struct temporal *t, const struct ev_reader *r, const struct ev *ev)
{
	uint32_t k = key_of(t, ev->stack, ev->stack_index, ev->thread);
	/* Every sum the report keeps is at most the bytes ever allocated. */
	if (r->total_bytes > INT64_MAX)
		input_error(&r->in, "allocations add up to more than 2^63 - 1 bytes, more than the temporal report can count");
	t->live_allocations++;
	if (r->heap > t->peak_bytes) {
		t->peak_bytes = r->heap;
		t->peak_time_ms = ev->time_ms;
		t->peak_allocations = t->live_allocations;
	}
	if (t->leaks) {
		struct entry *e = bucket(t, k, t->slice, NEVER);
		e->count++;
		e->bytes += (int64_t)ev->size;
		return;
	}
	touch(t, k);
	t->keys[k].count++;
	t->keys[k].bytes += (int64_t)ev->size;
	if (r->heap > t->hwm) {
		t->hwm = r->heap;
		t->epoch++;	/* the snapshot is now: every stack as it is */
	}
}

static void on_free(struct temporal *t, const struct ev *ev)
{
	uint32_t k = key_of(t, ev->stack, ev->stack_index, ev->alloc_thread);
	t->live_allocations--;
	if (t->leaks) {
		uint64_t made = ev->alloc_time_ms / t->interval;
		struct entry *e = bucket(t, k, made, NEVER);
		e->count--;
		e->bytes -= (int64_t)ev->size;
		if (made != t->slice) {
			e = bucket(t, k, made, t->slice);
			e->count++;
			e->bytes += (int64_t)ev->size;
		}
		return;
	}
	touch(t, k);
	t->keys[k].count--;
	t->keys[k].bytes -= (int64_t)ev->size;
}

static void on_memory(struct temporal *t, const struct ev *ev)
{
	t->memory = xgrow(t->memory, &t->cap_memory, t->nmemory + 1, sizeof *t->memory);
	t->memory[t->nmemory][0] = ev->time_ms;
	t->memory[t->nmemory][1] = ev->heap;
	t->memory[t->nmemory][2] = ev->rss;
	t->nmemory++;
}

static void reduce(struct temporal *t, struct ev_reader *r)
{
	struct ev ev;
	open_slice(t, 0);
	while (ev_next(r, &ev)) {
		/* Time moves only at t, m and E records, never at a or f, nearly all of them. */
		if (ev.time_ms >= t->slice_end)
			advance(t, r, ev.time_ms);
		if (ev.type == EV_ALLOC)
			on_alloc(t, r, &ev);
		else if (ev.type == EV_FREE)
			on_free(t, &ev);
		else if (ev.type == EV_MEMORY)
			on_memory(t, &ev);
	}
	close_slice(t);
}

/* Writing: series are merged by stack text and sorted like stack lines. */

/* The stack texts, and their order as stack lines (bytewise). */
struct texts {
	struct intern strs;
	uint32_t *order;	/* rank -> text id */
	uint32_t n;
};

static int by_rank_then_slices(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->made != y->made)
		return x->made < y->made ? -1 : 1;
	return (x->freed > y->freed) - (x->freed < y->freed);
}

/* The folded text of every key, interned; key_text[k] its text id. */
static void stack_texts(const struct temporal *t, const struct ev_reader *r,
			struct texts *out, uint32_t *key_text)
{
	struct buf b = BUF_INIT;
	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < t->nkeys; k++) {
		buf_clear(&b);
		if (t->split_threads) {
			ev_thread_frame(r, t->keys[k].thread, &b);
			buf_addc(&b, ';');
		}
		ev_stack_folded(r, t->keys[k].stack, &b);
		key_text[k] = intern(&out->strs, buf_str(&b), b.len);
	}
	buf_release(&b);
	out->n = (uint32_t)out->strs.count;
	out->order = intern_sorted(&out->strs);
}

/*
 * Give every entry the rank of its stack text in byte order instead of its
 * key, sort by rank and slices, and merge entries of the same text and
 * slices; drop those that sum to nothing.
 */
static void merge_by_text(struct temporal *t, const struct ev_reader *r, uint64_t nslices,
			  struct texts *texts)
{
	uint32_t *key_text = xmalloc((t->nkeys + 1) * sizeof *key_text);
	stack_texts(t, r, texts, key_text);
	uint32_t *rank = xmalloc(((size_t)texts->n + 1) * sizeof *rank);
	for (uint32_t i = 0; i < texts->n; i++)
		rank[texts->order[i]] = i;
	for (size_t i = 0; i < t->nentries; i++) {
		struct entry *e = &t->entries[i];
		e->key = rank[key_text[e->key]];
		if (e->freed == NEVER)
			e->freed = nslices;
	}
	free(rank);
	free(key_text);
	if (t->nentries)	/* entries is NULL then, and qsort must not get NULL */
		qsort(t->entries, t->nentries, sizeof *t->entries, by_rank_then_slices);
	size_t n = 0;
	for (size_t i = 0; i < t->nentries; i++) {
		struct entry *e = &t->entries[i], *last = n ? &t->entries[n - 1] : NULL;
		if (last && last->key == e->key && last->made == e->made && last->freed == e->freed) {
			last->count += e->count;
			last->bytes += e->bytes;
		} else {
			t->entries[n++] = *e;
		}
		if (t->entries[n - 1].count == 0 && t->entries[n - 1].bytes == 0)
			n--;
	}
	t->nentries = n;
}

static void write_u64_array(struct output *out, const char *key, const uint64_t *v, size_t n)
{
	output_printf(out, "# %s=[", key);
	for (size_t i = 0; i < n; i++)
		output_printf(out, i ? ",%llu" : "%llu", (unsigned long long)v[i]);
	output_puts(out, "]\n");
}

/* The modules of every stack: a window may show any of them. */
static void write_modules(const struct ev_reader *r, struct output *out)
{
	struct modinfo m;
	modinfo_init(&m, r);
	modinfo_add_all(&m);
	modinfo_write(&m, out);
	modinfo_release(&m);
}

static void write_header(const struct temporal *t, const struct ev_reader *r,
			 struct output *out, uint64_t nslices)
{
	reduce_write_head(out, t->leaks ? "temporal-leaks" : "temporal", 0, t->split_threads);
	ev_write_metadata(r, out);
	write_modules(r, out);
	folded_meta_u64(out, "peak_bytes", t->peak_bytes);
	folded_meta_u64(out, "peak_time_ms", t->peak_time_ms);
	folded_meta_u64(out, "peak_allocations", t->peak_allocations);
	folded_meta_u64(out, "leaked_bytes", r->heap);
	folded_meta_u64(out, "leaked_allocations", t->live_allocations);
	folded_meta_u64(out, "slices", nslices);
	if (!t->leaks)
		write_u64_array(out, "slice_peaks", t->slice_peaks, nslices);
	for (size_t i = 0; i < t->nmemory; i++)
		output_printf(out, "# memory=[%llu,%llu,%llu]\n", (unsigned long long)t->memory[i][0],
			      (unsigned long long)t->memory[i][1], (unsigned long long)t->memory[i][2]);
}

/* Is the entry part of the whole-recording report (the stack lines)? */
static int in_report(const struct temporal *t, const struct entry *e, uint64_t nslices,
		     uint64_t peak_slice)
{
	return t->leaks ? e->freed == nslices : e->made <= peak_slice;
}

/* One stack: its series line, then its count and stack line. */
static void write_stack(const struct temporal *t, struct output *out, const char *text,
			size_t len, const struct entry *e, size_t n, uint64_t nslices,
			uint64_t peak_slice)
{
	int64_t count = 0, bytes = 0;
	output_puts(out, t->leaks ? "# stack_lifetimes=[" : "# stack_live=[");
	for (size_t i = 0; i < n; i++) {
		if (t->leaks)
			output_printf(out, "%s[%llu,%llu,%lld,%lld]", i ? "," : "",
				      (unsigned long long)e[i].made, (unsigned long long)e[i].freed,
				      (long long)e[i].count, (long long)e[i].bytes);
		else
			output_printf(out, "%s[%llu,%lld,%lld]", i ? "," : "",
				      (unsigned long long)e[i].made, (long long)e[i].count,
				      (long long)e[i].bytes);
		if (in_report(t, &e[i], nslices, peak_slice)) {
			count += e[i].count;
			bytes += e[i].bytes;
		}
	}
	output_puts(out, "]\n");
	if (count < 0 || bytes < 0)
		die("internal error: a stack holds less than nothing");
	folded_write_stack(out, text, len, (uint64_t)bytes, (uint64_t)count);
}

/*
 * The stack lines are the non-temporal report: their sums must be the
 * peak's (or the leaks').  Returns them.
 */
static struct shown report_totals(const struct temporal *t, const struct ev_reader *r,
				  uint64_t nslices, uint64_t peak_slice)
{
	int64_t count = 0, bytes = 0;
	for (size_t i = 0; i < t->nentries; i++) {
		if (in_report(t, &t->entries[i], nslices, peak_slice)) {
			count += t->entries[i].count;
			bytes += t->entries[i].bytes;
		}
	}
	struct shown shown = { (uint64_t)bytes, (uint64_t)count };
	uint64_t want = t->leaks ? r->heap : t->peak_bytes;
	uint64_t want_count = t->leaks ? t->live_allocations : t->peak_allocations;
	if (shown.bytes != want || shown.count != want_count)
		die("internal error: stacks sum to %llu bytes in %llu allocations, expected %llu in %llu",
		    (unsigned long long)shown.bytes, (unsigned long long)shown.count,
		    (unsigned long long)want, (unsigned long long)want_count);
	return shown;
}

static void write_report(struct temporal *t, const struct ev_reader *r, struct output *out)
{
	uint64_t nslices = t->slice + 1;
	uint64_t peak_slice = t->peak_time_ms / t->interval;
	struct texts texts;
	merge_by_text(t, r, nslices, &texts);
	struct shown shown = report_totals(t, r, nslices, peak_slice);
	write_header(t, r, out, nslices);
	folded_meta_u64(out, "shown_bytes", shown.bytes);
	folded_meta_u64(out, "shown_allocations", shown.count);
	for (size_t i = 0; i < t->nentries;) {
		size_t j = i;
		while (j < t->nentries && t->entries[j].key == t->entries[i].key)
			j++;
		uint32_t id = texts.order[t->entries[i].key];
		write_stack(t, out, intern_str(&texts.strs, id), intern_len(&texts.strs, id),
			    &t->entries[i], j - i, nslices, peak_slice);
		i = j;
	}
	intern_release(&texts.strs);
	free(texts.order);
}

static void temporal_release(struct temporal *t)
{
	free(t->slice_peaks);
	hash_release(&t->key_index);
	free(t->key_direct);
	free(t->keys);
	free(t->dirty);
	free(t->dirty_next);
	free(t->entries);
	hash_release(&t->buckets);
	free(t->memory);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "leaks", no_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "split-threads", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct temporal t = { 0 };
	const char *output_path = NULL;
	int force = 0, c;

	set_progname(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fo:", options, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'h': output_help(usage, help, NULL);
		case 'l': t.leaks = 1; break;
		case 'o': output_path = optarg; break;
		case 's': t.split_threads = 1; break;
		default: bad_option(usage, c, argv);
		}
	}
	if (argc - optind > 1)
		usage_error(usage, "too many arguments: one FILE at most");

	struct ev_reader r;
	ev_open(&r, optind < argc ? argv[optind] : "-");
	ev_require_full(&r, "temporal reports");
	t.interval = r.interval_ms;
	reduce(&t, &r);

	struct output out;
	output_open(&out, output_path, force);
	write_report(&t, &r, &out);
	temporal_release(&t);
	reduce_finish(&r, &out);
	return 0;
}
