/*
 * mf-peak - folded stacks of the allocations live when the heap was largest.
 *
 * Reads an event stream (a full or an aggregated capture) and writes, per
 * stack, the bytes and number of allocations live at the peak: the first
 * moment the total of live bytes reached its maximum.  The metadata says
 * when the peak was and carries the memory records (at most
 * --max-memory-records, downsampled so the highest survives) for the
 * memory graph of mf-html.
 *
 * One pass, memory proportional to live allocations and stacks: the live
 * totals of each stack change as events come; the totals at the peak are
 * copied from them only when a new maximum is reached, and only for the
 * stacks that changed since the previous maximum (each change is copied
 * at most once, so the work stays proportional to the events).
 *
 * With --at MS, the stacks are those of the allocations live at a moment
 * instead: after the last event at or before MS (a full capture only).
 * The live totals are copied once, at the first event after MS or at the
 * end; the peak is still followed for the metadata.
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
	"usage: mf-peak [-f] [-o OUTPUT] [--at MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]\n";

/* What mf-peak makes of one capture. */
struct peak {
	const struct snapshot_options *o;
	struct stacktab tab;
	/* per slot: totals at the peak, and whether it changed since */
	uint64_t *peak_bytes, *peak_count;
	unsigned char *changed;
	size_t cap;
	size_t *log;		/* the slots changed since the last maximum */
	size_t nlog;
	/* the peak */
	uint64_t bytes, time_ms, allocations;
	/* aggregated captures: the L records */
	uint64_t leaked_bytes, leaked_allocations;
	/* --at: the live totals at the moment, once taken */
	int at, at_taken;
	uint64_t at_ms;
	uint64_t *at_bytes, *at_count;
	size_t at_n;
};

/* Room for the peak's per-slot arrays up to the table's capacity (grown: peak_reserve). */
static void peak_grow(struct peak *p)
{
	size_t old = p->cap, cap;
	cap = old;
	p->peak_bytes = xgrow(p->peak_bytes, &cap, p->tab.cap, sizeof *p->peak_bytes);
	cap = old;
	p->peak_count = xgrow(p->peak_count, &cap, p->tab.cap, sizeof *p->peak_count);
	cap = old;
	p->changed = xgrow(p->changed, &cap, p->tab.cap, sizeof *p->changed);
	cap = old;
	p->log = xgrow(p->log, &cap, p->tab.cap, sizeof *p->log);
	memset(p->peak_bytes + old, 0, (cap - old) * sizeof *p->peak_bytes);
	memset(p->peak_count + old, 0, (cap - old) * sizeof *p->peak_count);
	memset(p->changed + old, 0, (cap - old) * sizeof *p->changed);
	p->cap = cap;
}

static inline void peak_reserve(struct peak *p)
{
	if (p->cap < p->tab.cap)
		peak_grow(p);
}

/* Inlined: its two callers run once an event. */
static inline __attribute__((always_inline)) size_t slot_of(struct peak *p, uint32_t thread, uint64_t stack, uint32_t index)
{
	size_t slot = stacktab_slot(&p->tab, thread, stack, index);
	peak_reserve(p);
	if (!p->changed[slot]) {
		p->changed[slot] = 1;
		p->log[p->nlog++] = slot;
	}
	return slot;
}

/* A new maximum: the live totals of the stacks that changed become the peak's. */
static void new_peak(struct peak *p, const struct ev_reader *r, uint64_t time_ms)
{
	for (size_t i = 0; i < p->nlog; i++) {
		size_t slot = p->log[i];
		p->peak_bytes[slot] = p->tab.bytes[slot];
		p->peak_count[slot] = p->tab.count[slot];
		p->changed[slot] = 0;
	}
	p->nlog = 0;
	p->bytes = r->heap;
	p->time_ms = time_ms;
	p->allocations = r->nallocs - r->nfrees;
}

static void on_alloc(struct peak *p, const struct ev_reader *r, const struct ev *ev)
{
	size_t slot = slot_of(p, ev->thread, ev->stack, ev->stack_index);
	p->tab.bytes[slot] += ev->size;
	p->tab.count[slot]++;
	/* Strictly higher: when moments tie, the first one stays the peak. */
	if (r->heap > p->bytes)
		new_peak(p, r, ev->time_ms);
}

static void on_free(struct peak *p, const struct ev *ev)
{
	size_t slot = slot_of(p, ev->alloc_thread, ev->stack, ev->stack_index);
	p->tab.bytes[slot] -= ev->size;
	p->tab.count[slot]--;
}

/* Aggregated captures give the peak and the leaks directly. */
static void on_peak_live(struct peak *p, const struct ev *ev)
{
	size_t slot = stacktab_slot(&p->tab, ev->thread, ev->stack, ev->stack_index);
	peak_reserve(p);
	if (p->peak_bytes[slot] + ev->size < ev->size || p->allocations + ev->count < ev->count)
		die("the peak's total overflows 64 bits");
	p->peak_bytes[slot] += ev->size;
	p->peak_count[slot] += ev->count;
	p->allocations += ev->count;
}

/* --at: the live totals of every slot now, copied once. */
static void take_moment(struct peak *p)
{
	p->at_taken = 1;
	p->at_n = p->tab.n;
	p->at_bytes = xcalloc(p->tab.cap + 1, sizeof *p->at_bytes);
	p->at_count = xcalloc(p->tab.cap + 1, sizeof *p->at_count);
	if (p->at_n == 0)
		return;		/* nothing allocated yet: no table to copy */
	memcpy(p->at_bytes, p->tab.bytes, p->at_n * sizeof *p->at_bytes);
	memcpy(p->at_count, p->tab.count, p->at_n * sizeof *p->at_count);
}

/* The moment's totals as long as the table has grown since, zero beyond. */
static void moment_arrays(struct peak *p)
{
	if (!p->at_taken)
		take_moment(p);
	p->at_bytes = xrealloc(p->at_bytes, (p->tab.cap + 1) * sizeof *p->at_bytes);
	p->at_count = xrealloc(p->at_count, (p->tab.cap + 1) * sizeof *p->at_count);
	memset(p->at_bytes + p->at_n, 0, (p->tab.cap + 1 - p->at_n) * sizeof *p->at_bytes);
	memset(p->at_count + p->at_n, 0, (p->tab.cap + 1 - p->at_n) * sizeof *p->at_count);
}

static void peak_release(struct peak *p)
{
	free(p->at_bytes);
	free(p->at_count);
	stacktab_release(&p->tab);
	free(p->peak_bytes);
	free(p->peak_count);
	free(p->changed);
	free(p->log);
}

/* The memory records go to memory; NULL: a capture but the first's, none. */
static void read_capture(struct peak *p, struct ev_reader *r, struct memory *memory)
{
	struct ev ev;
	if (p->at)
		ev_require_full(r, "the allocations live at a moment (--at)");
	while (ev_next(r, &ev)) {
		if (p->at && !p->at_taken && ev.time_ms > p->at_ms)
			take_moment(p);
		/* Tests before the switch: nearly every record is one of these two. */
		if (ev.type == EV_ALLOC) {
			on_alloc(p, r, &ev);
			continue;
		}
		if (ev.type == EV_FREE) {
			on_free(p, &ev);
			continue;
		}
		switch (ev.type) {
		case EV_MEMORY:
			if (memory)
				memory_add(memory, ev.time_ms, ev.heap, ev.rss);
			break;
		case EV_PEAK_LIVE: on_peak_live(p, &ev); break;
		case EV_END_LIVE:
			p->leaked_bytes += ev.size;
			p->leaked_allocations += ev.count;
			break;
		case EV_PEAK:
			p->bytes = ev.heap;
			p->time_ms = ev.time_ms;
			break;
		}
	}
	if (p->at)
		moment_arrays(p);
	if (!r->aggregate) {
		p->leaked_bytes = r->heap;
		p->leaked_allocations = r->nallocs - r->nfrees;
	}
}

/* The capture's stacks at the peak (or at --at) to fold, and its peak and leaks. */
static void read_one(void *self, struct ev_reader *r, struct memory *memory,
		     struct capture_totals *t)
{
	struct peak *p = self;
	const struct snapshot_options *o = p->o;
	memset(p, 0, sizeof *p);
	p->o = o;
	p->at = o->has_time;
	p->at_ms = o->time_ms;
	stacktab_init(&p->tab, o->split_threads);
	read_capture(p, r, memory);
	*t = (struct capture_totals){
		&p->tab, p->at ? p->at_bytes : p->peak_bytes, p->at ? p->at_count : p->peak_count,
		p->bytes, p->time_ms, p->allocations, p->leaked_bytes, p->leaked_allocations,
	};
}

static void done_one(void *self)
{
	peak_release(self);
}

static void write_peak(const struct snapshot_options *o, struct reduction *red,
		       struct output *out)
{
	reduce_write_head(out, o->has_time ? "live" : "peak", 0, o->split_threads);
	if (o->split_processes)
		folded_meta_json(out, "split_processes", "true");
	ev_write_metadata(&red->first, out);
	if (o->has_time)
		folded_meta_u64(out, "at_ms", o->time_ms);
	reduce_write_modules(red, out);
	reduce_write_sums(red, out);
	reduce_write_tree(red, out);
}

int main(int argc, char **argv)
{
	struct snapshot_options o;
	struct peak p = { .o = &o };
	struct reduction red;
	struct output out;

	set_progname(argv[0]);
	snapshot_options_parse(argc, argv, usage, "at", &o);
	reduce_captures(&red, NULL, o.inputs, o.ninputs, &(struct capture_reducer){
		read_one, done_one, &p, 0, o.split_processes, o.max_memory_records });
	output_open(&out, o.output, o.force);
	write_peak(&o, &red, &out);
	reduce_finish_captures(&red, &out);
	return 0;
}
