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
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "events.h"
#include "folded.h"
#include "output.h"
#include "reduce.h"

static const char usage[] =
	"usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]\n";

/* What mf-leaks makes of one capture. */
struct leaks {
	const struct snapshot_options *o;
	struct stacktab tab;	/* live bytes and allocations per stack */
	int since;		/* --since given: only allocations at or after since_ms */
	uint64_t since_ms;
	uint64_t peak_bytes, peak_time_ms, peak_allocations;
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

/* A record neither a nor f; memory NULL: a capture but the first's, no memory records. */
static void on_other(struct leaks *l, const struct ev *ev, struct memory *memory)
{
	switch (ev->type) {
	case EV_MEMORY:
		if (memory)
			memory_add(memory, ev->time_ms, ev->heap, ev->rss);
		break;
	case EV_PEAK_LIVE:
	case EV_END_LIVE: on_live(l, ev); break;
	case EV_PEAK:
		l->peak_bytes = ev->heap;
		l->peak_time_ms = ev->time_ms;
		break;
	}
}

/* The memory records go to memory; NULL: a capture but the first's, none. */
static void read_capture(struct leaks *l, struct ev_reader *r, struct memory *memory)
{
	struct ev ev;
	if (l->since)
		ev_require_full(r, "the leaks since a moment (--since)");
	/* a and f tested before the switch: nearly every record is one of them. */
	while (ev_next(r, &ev)) {
		if (ev.type == EV_ALLOC)
			on_alloc(l, r, &ev);
		else if (ev.type == EV_FREE)
			on_free(l, &ev);
		else
			on_other(l, &ev, memory);
	}
}

/* The capture's leaks to fold, and its peak. */
static void read_one(void *self, struct ev_reader *r, struct memory *memory,
		     struct capture_totals *t)
{
	struct leaks *l = self;
	const struct snapshot_options *o = l->o;
	memset(l, 0, sizeof *l);
	l->o = o;
	l->since = o->has_time;
	l->since_ms = o->time_ms;
	stacktab_init(&l->tab, o->split_threads);
	read_capture(l, r, memory);
	*t = (struct capture_totals){
		&l->tab, l->tab.bytes, l->tab.count, l->peak_bytes, l->peak_time_ms,
		l->peak_allocations, 0, 0,
	};
}

static void done_one(void *self)
{
	stacktab_release(&((struct leaks *)self)->tab);
}

static void write_leaks(const struct snapshot_options *o, struct reduction *red,
			struct output *out)
{
	reduce_write_head(out, "leaks", 0, o->split_threads);
	if (o->split_processes)
		folded_meta_json(out, "split_processes", "true");
	ev_write_metadata(&red->first, out);
	if (o->has_time)
		folded_meta_u64(out, "since_ms", o->time_ms);
	reduce_write_modules(red, out);
	/* The leaks are the stacks shown (with --since, those made since). */
	red->sums.leaked_bytes = red->shown.bytes;
	red->sums.leaked_allocations = red->shown.count;
	reduce_write_sums(red, out);
	reduce_write_tree(red, out);
}

int main(int argc, char **argv)
{
	struct snapshot_options o;
	struct leaks l = { .o = &o };
	struct reduction red;
	struct output out;

	set_progname(argv[0]);
	snapshot_options_parse(argc, argv, usage, "since", &o);
	reduce_captures(&red, NULL, o.inputs, o.ninputs, &(struct capture_reducer){
		read_one, done_one, &l, 0, o.split_processes, o.max_memory_records });
	output_open(&out, o.output, o.force);
	write_leaks(&o, &red, &out);
	reduce_finish_captures(&red, &out);
	return 0;
}
