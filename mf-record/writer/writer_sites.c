/* writer_sites.c - the sites of an aggregated capture (see writer_sites.h). */
#include "writer_sites.h"

#include <stdlib.h>

#include "err.h"
#include "syntax.h"
#include "writer_format.h"

/* What one thread has live from one stack. */
struct site {
	uint32_t thread;
	uint64_t stack;
	uint64_t count, bytes;		/* live now */
	uint64_t peak_count, peak_bytes;	/* live at the peak, see site_change */
	uint64_t epoch;			/* the peak epoch of the last change */
	uint32_t node, resolved;	/* resolved: node is its stack's (sites_exec) */
};

void sites_release(struct writer_sites *s)
{
	hash_release(&s->index);
	free(s->sites);
}

static struct site *site_of(struct writer_sites *s, uint32_t thread, uint64_t stack,
			    uint64_t *index)
{
	int added;
	uint64_t *v = hash_put(&s->index, (uint64_t)thread << 40 | stack, &added);
	if (added) {
		s->sites = xgrow(s->sites, &s->cap, s->n + 1, sizeof *s->sites);
		s->sites[s->n] = (struct site){ .thread = thread, .stack = stack };
		*v = s->n++;
	}
	*index = *v;
	return &s->sites[*v];
}

/*
 * The peak snapshot, taken lazily: epoch counts the new maxima of the heap.
 * A site changing for the first time since the latest maximum saves what
 * it had then; a site unchanged since has its live values at the peak.
 */
static void site_change(struct writer_sites *s, struct site *site, int64_t count, int64_t bytes)
{
	if (site->epoch < s->epoch) {
		site->peak_count = site->count;
		site->peak_bytes = site->bytes;
		site->epoch = s->epoch;
	}
	site->count += (uint64_t)count;
	site->bytes += (uint64_t)bytes;
}

uint64_t sites_alloc(struct writer_sites *s, uint32_t thread, uint64_t stack, uint64_t size,
		     uint64_t heap, uint64_t now_ms)
{
	uint64_t index;
	site_change(s, site_of(s, thread, stack, &index), 1, (int64_t)size);
	if (heap > s->peak_heap) {
		s->peak_heap = heap;
		s->peak_ms = now_ms;
		s->epoch++;
	}
	return index;
}

void sites_free(struct writer_sites *s, uint64_t index, uint64_t size)
{
	site_change(s, &s->sites[index], -1, -(int64_t)size);
}

/* P or L records: per (thread, stack node), merged over stack ids. */
static void write_sites(struct writer_sites *s, struct writer_output *t, char type, int at_peak,
			struct writer_frames *frames, struct writer_threads *threads)
{
	struct hash merged = HASH_INIT;
	uint64_t (*sums)[4] = xcalloc(s->n + 1, sizeof *sums);
	size_t nsums = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct site *site = &s->sites[i];
		int unchanged = site->epoch < s->epoch;
		uint64_t count = at_peak && !unchanged ? site->peak_count : site->count;
		uint64_t bytes = at_peak && !unchanged ? site->peak_bytes : site->bytes;
		if (!count)
			continue;
		threads_ensure(threads, t, site->thread);
		uint32_t node = site->resolved ? site->node : frames_node(frames, t, site->stack);
		int added;
		uint64_t *v = hash_put(&merged, (uint64_t)site->thread << 32 | node, &added);
		if (added) {
			*v = nsums++;
			sums[*v][0] = site->thread;
			sums[*v][1] = node;
		}
		sums[*v][2] += count;
		sums[*v][3] += bytes;
	}
	for (size_t i = 0; i < nsums; i++)
		format_numbers(t, type, sums[i], 4);
	free(sums);
	hash_release(&merged);
}

void sites_exec(struct writer_sites *s, struct writer_output *t, struct writer_frames *frames)
{
	for (size_t i = 0; i < s->n; i++) {
		struct site *site = &s->sites[i];
		if (!site->resolved) {
			site->node = frames_node(frames, t, site->stack);
			site->resolved = 1;
		}
	}
	hash_release(&s->index);
}

void sites_end(struct writer_sites *s, struct writer_output *t, struct writer_frames *frames,
	       struct writer_threads *threads)
{
	FORMAT(t, EV_PEAK, s->peak_ms, s->peak_heap);
	write_sites(s, t, EV_PEAK_LIVE, 1, frames, threads);
	write_sites(s, t, EV_END_LIVE, 0, frames, threads);
}
