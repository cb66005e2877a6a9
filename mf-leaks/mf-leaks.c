/*
 * mf-leaks - folded stacks of the allocations still live when recording ended.
 *
 * Reads an event stream (a full or an aggregated capture) and writes, per
 * stack, the bytes and number of allocations made while tracking and never
 * freed.  Blocks allocated before tracking started are not in the capture,
 * so they are never reported (their frees are counted in untracked_frees).
 * The metadata also gives the peak (bytes, time, live allocations) and
 * the memory records (at most --max-memory-records, downsampled so the
 * highest survives) for the memory graph of mf-html.  With --since MS only
 * the allocations made at or after MS count (a full capture only): what
 * leaked from a moment on.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "events.h"
#include "folded.h"
#include "output.h"
#include "reduce.h"

static const char usage[] =
	"usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--max-memory-records N] [FILE]\n";

struct leaks {
	struct stacktab tab;	/* live bytes and allocations per stack */
	int since;		/* --since given: only allocations at or after since_ms */
	uint64_t since_ms;
	uint64_t peak_bytes, peak_time_ms, peak_allocations;
	struct memory memory;
};

static void on_alloc(struct leaks *l, const struct ev_reader *r, const struct ev *ev)
{
	if (r->heap > l->peak_bytes) {
		l->peak_bytes = r->heap;
		l->peak_time_ms = ev->time_ms;
		l->peak_allocations = r->nallocs - r->nfrees;
	}
	if (l->since && ev->time_ms < l->since_ms)
		return;
	size_t slot = stacktab_slot(&l->tab, ev->thread, ev->stack, ev->stack_index);
	l->tab.bytes[slot] += ev->size;
	l->tab.count[slot]++;
}

static void on_free(struct leaks *l, const struct ev *ev)
{
	if (l->since && ev->alloc_time_ms < l->since_ms)
		return;
	size_t slot = stacktab_slot(&l->tab, ev->alloc_thread, ev->stack, ev->stack_index);
	l->tab.bytes[slot] -= ev->size;
	l->tab.count[slot]--;
}

/* An aggregated capture: L records are the leaks, P records count the peak. */
static void on_live(struct leaks *l, const struct ev *ev)
{
	if (ev->type == EV_PEAK_LIVE) {
		l->peak_allocations += ev->count;
		return;
	}
	size_t slot = stacktab_slot(&l->tab, ev->thread, ev->stack, ev->stack_index);
	if (l->tab.bytes[slot] + ev->size < ev->size)
		die("the leaks' total overflows 64 bits");
	l->tab.bytes[slot] += ev->size;
	l->tab.count[slot] += ev->count;
}

static void read_capture(struct leaks *l, struct ev_reader *r)
{
	struct ev ev;
	if (l->since)
		ev_require_full(r, "the leaks since a moment (--since)");
	while (ev_next(r, &ev)) {
		switch (ev.type) {
		case EV_ALLOC: on_alloc(l, r, &ev); break;
		case EV_FREE: on_free(l, &ev); break;
		case EV_MEMORY: memory_add(&l->memory, ev.time_ms, ev.heap, ev.rss); break;
		case EV_PEAK_LIVE:
		case EV_END_LIVE: on_live(l, &ev); break;
		case EV_PEAK:
			l->peak_bytes = ev.heap;
			l->peak_time_ms = ev.time_ms;
			break;
		}
	}
	memory_finish(&l->memory);
}

static void write_leaks(const struct leaks *l, const struct ev_reader *r, struct output *out)
{
	struct foldtree tree;
	struct shown shown;
	foldtree_init(&tree);
	stacktab_fold(&l->tab, r, l->tab.bytes, l->tab.count, 0, &tree, &shown);
	reduce_write_head(out, "leaks", 0, l->tab.split_threads);
	ev_write_metadata(r, out);
	if (l->since)
		folded_meta_u64(out, "since_ms", l->since_ms);
	folded_meta_u64(out, "peak_bytes", l->peak_bytes);
	folded_meta_u64(out, "peak_time_ms", l->peak_time_ms);
	folded_meta_u64(out, "peak_allocations", l->peak_allocations);
	folded_meta_u64(out, "leaked_bytes", shown.bytes);
	folded_meta_u64(out, "leaked_allocations", shown.count);
	memory_write(&l->memory, out);
	reduce_write_stacks(out, &tree, &shown);
	foldtree_release(&tree);
}

int main(int argc, char **argv)
{
	struct snapshot_options o;
	struct leaks l = { 0 };

	set_progname(argv[0]);
	const char *input = snapshot_options_parse(argc, argv, usage, "since", &o);
	l.since = o.has_time;
	l.since_ms = o.time_ms;

	struct ev_reader r;
	struct output out;
	memory_init(&l.memory, o.max_memory_records);
	stacktab_init(&l.tab, o.split_threads);
	ev_open(&r, input);
	read_capture(&l, &r);
	output_open(&out, o.output, o.force);
	write_leaks(&l, &r, &out);
	reduce_finish(&r, &out);
	stacktab_release(&l.tab);
	memory_release(&l.memory);
	return 0;
}
