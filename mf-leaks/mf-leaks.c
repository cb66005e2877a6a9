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
#include "modinfo.h"
#include "output.h"
#include "reduce.h"

static const char usage[] =
	"usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]\n";

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

/*
 * The output of n captures (the processes of mf-record --follow-fork,
 * folded into tree, one process frame each with --split-processes): the
 * first capture's metadata and memory records, the leaks of all, and the
 * sum of the processes' peaks, each taken alone.
 */
static void write_leaks(const struct leaks *l, const struct ev_reader *r, size_t n,
			const struct snapshot_options *o, const struct foldtree *tree,
			const struct shown *shown, struct output *out)
{
	uint64_t bytes = 0, allocations = 0;
	for (size_t i = 0; i < n; i++) {
		bytes += l[i].peak_bytes;
		allocations += l[i].peak_allocations;
	}
	reduce_write_head(out, "leaks", 0, o->split_threads);
	if (o->split_processes)
		folded_meta_json(out, "split_processes", "true");
	ev_write_metadata(&r[0], out);
	if (l[0].since)
		folded_meta_u64(out, "since_ms", l[0].since_ms);
	if (n > 1)
		folded_meta_u64(out, "processes", n);
	else
		modinfo_write_stacktab(out, &r[0], &l[0].tab, l[0].tab.count);
	folded_meta_u64(out, "peak_bytes", bytes);
	folded_meta_u64(out, "peak_time_ms", l[0].peak_time_ms);
	folded_meta_u64(out, "peak_allocations", allocations);
	folded_meta_u64(out, "leaked_bytes", shown->bytes);
	folded_meta_u64(out, "leaked_allocations", shown->count);
	memory_write(&l[0].memory, out);
	reduce_write_stacks(out, tree, shown);
}

int main(int argc, char **argv)
{
	struct snapshot_options o;

	set_progname(argv[0]);
	const char *input = snapshot_options_parse(argc, argv, usage, "since", &o);

	size_t n = o.ninputs ? o.ninputs : 1;
	struct ev_reader *r = xcalloc(n, sizeof *r);
	struct leaks *l = xcalloc(n, sizeof *l);
	struct foldtree tree;
	struct shown shown = { 0, 0 };
	struct output out;
	char *truncated = NULL;
	foldtree_init(&tree);
	for (size_t i = 0; i < n; i++) {
		l[i].since = o.has_time;
		l[i].since_ms = o.time_ms;
		memory_init(&l[i].memory, o.max_memory_records);
		stacktab_init(&l[i].tab, o.split_threads);
		ev_open(&r[i], o.ninputs ? o.inputs[i] : input);
		read_capture(&l[i], &r[i]);
		uint32_t root = o.split_processes ? reduce_process_node(&tree, &r[i]) : FOLDTREE_ROOT;
		stacktab_fold_under(&l[i].tab, &r[i], l[i].tab.bytes, l[i].tab.count, 0, root,
				    &tree, &shown);
		if (i > 0)
			reduce_close_capture(&r[i], &truncated);
	}
	output_open(&out, o.output, o.force);
	write_leaks(l, r, n, &o, &tree, &shown, &out);
	foldtree_release(&tree);
	reduce_finish_many(&r[0], truncated, &out);
	for (size_t i = 0; i < n; i++) {
		stacktab_release(&l[i].tab);
		memory_release(&l[i].memory);
	}
	free(l);
	free(r);
	return 0;
}
