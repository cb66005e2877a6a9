/*
 * writer_memory.h - the stream's time and its memory records: `t` when an
 * event falls in a later millisecond, `m MS HEAP RSS` every interval, the
 * RSS read from /proc while the process lives.
 *
 *	memory_init(&m, &opts);
 *	memory_advance(&m, t, ev_ns, heap);	// per event: m records due, then t
 *	memory_idle(&m, t, now_ns, heap);	// nothing pending: m records due
 */
#ifndef MF_WRITER_MEMORY_H
#define MF_WRITER_MEMORY_H

#include <stdint.h>
#include <sys/types.h>

#include "writer_output.h"

struct writer_memory {
	uint64_t now_ms;	/* the stream's time, ms since the start */
	/* private */
	uint64_t start_ns, interval_ms;
	uint64_t next_m_ms, rss;
	uint64_t next_ms_ns;	/* the first time (ns) of a millisecond after now_ms */
	pid_t pid;
	int untimed;		/* an aggregated capture: no t records */
	int process_gone;
};

/* start_ns: CLOCK_MONOTONIC at the start; untimed: write no t records. */
void memory_init(struct writer_memory *m, uint64_t start_ns, uint64_t interval_ms,
		 pid_t pid, int untimed);
/* Read the process's RSS for the m records to come (also done at each m). */
void memory_sample_rss(struct writer_memory *m);
/* The process is gone: RSS keeps its last value from now on. */
void memory_process_gone(struct writer_memory *m);
/* Write the m records due by now_ns. */
void memory_idle(struct writer_memory *m, struct writer_output *t, uint64_t now_ns,
		 uint64_t heap);
/* memory_advance's slow path: ns is in a later millisecond. */
void memory_move(struct writer_memory *m, struct writer_output *t, uint64_t ns, uint64_t heap);

/* Move the stream's time to the event at ns: m records due, then t. */
static inline void memory_advance(struct writer_memory *m, struct writer_output *t,
				  uint64_t ns, uint64_t heap)
{
	/* Nearly every event falls in the current millisecond: one comparison. */
	if (ns >= m->next_ms_ns)
		memory_move(m, t, ns, heap);
}

#endif
