/*
 * writer_sites.h - an aggregated capture (mf-record --aggregate): what
 * each thread has live from each stack, now and at the peak, written at
 * the end as K, P and L records instead of a and f.
 *
 * The peak is kept without copying every site at each new maximum of the
 * heap: epoch counts the maxima, and a site changing for the first time
 * since the latest saves what it had then (see site_change in
 * writer_sites.c).
 *
 *	index = sites_alloc(&s, thread, stack, size, heap, now_ms);
 *	sites_free(&s, index, size);
 *	sites_end(&s, t, frames, threads);	// K, P, L
 */
#ifndef MF_WRITER_SITES_H
#define MF_WRITER_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "writer_frames.h"
#include "writer_output.h"
#include "writer_threads.h"

/* Sites are keyed by thread << 40 | stack id: the thread must fit. */
#define SITES_MAX_THREAD (1u << 24)

struct site;

struct writer_sites {
	struct hash index;	/* thread << 40 | stack -> index in sites */
	struct site *sites;
	size_t n, cap;
	uint64_t epoch, peak_heap, peak_ms;
};

/* An empty set of sites is all zeros. */
void sites_release(struct writer_sites *s);
/*
 * An allocation of size bytes from thread at stack, making the heap heap
 * bytes at now_ms.  Returns the site's index, for sites_free.
 */
uint64_t sites_alloc(struct writer_sites *s, uint32_t thread, uint64_t stack, uint64_t size,
		     uint64_t heap, uint64_t now_ms);
/* A free of size bytes allocated at the site index. */
void sites_free(struct writer_sites *s, uint64_t index, uint64_t size);
/*
 * The program is replaced (execve): every site's stack is resolved to its
 * node now, while its stack id still means the old program's stack, and
 * no later allocation finds these sites (the new program's stack ids
 * start again).  Their blocks must have been freed first.
 */
void sites_exec(struct writer_sites *s, struct writer_output *t, struct writer_frames *frames);
/* K, then P and L records per (thread, stack node), merged over stack ids. */
void sites_end(struct writer_sites *s, struct writer_output *t, struct writer_frames *frames,
	       struct writer_threads *threads);

#endif
