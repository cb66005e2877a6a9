/*
 * writer.h - the launcher's writer: the shim's binary events, taken in
 * their global order, become the text event stream of docs/FORMAT.md.
 *
 * The writer keeps the state the stream needs: live allocations by address
 * (to turn frees into `f THREAD BACK`), mappings (for partial munmap),
 * threads, and the interned modules, frames and stack nodes, written the
 * first time a written record uses them.  Symbolization happens here, in
 * the launcher, never in the recorded process.
 *
 *	w = writer_new(&out, &opts);		// writes H
 *	writer_stack(w, ...);			// as stacks arrive, in any order
 *	writer_event(w, thread, ev);		// every other event, in seq order
 *	writer_idle(w, now_ns);			// nothing pending: m records due
 *	writer_end(w, end_ns, lost, status);	// K/P/L if aggregated, then E; all written
 *	writer_free(w);
 *
 * Every function dies on a write error (lib/output.h) and on events that
 * cannot come from the shim; none of them can otherwise fail.
 */
#ifndef MF_WRITER_H
#define MF_WRITER_H

#include <stdint.h>
#include <sys/types.h>

#include "output.h"
#include "proto.h"

struct writer;

struct writer_options {
	int aggregate;		/* K/P/L instead of a/f */
	uint64_t interval_ms;	/* of m records */
	uint64_t start_ns;	/* CLOCK_MONOTONIC at the start; times count from it */
	uint64_t start_ms;	/* the same moment, ms since the epoch */
	pid_t pid;		/* for H and for the RSS of m records */
	char *const *argv;	/* the command as given */
};

/* Writes the H record.  The writer keeps out and opts->argv; it copies the rest. */
struct writer *writer_new(struct output *out, const struct writer_options *opts);
void writer_free(struct writer *w);

/*
 * fn(arg) is called before work that may take long (symbolizing an address
 * not seen before: the first lookup in a module reads its debug
 * information), so that the rings can be drained meanwhile and the program
 * does not wait on a full ring.  fn may call writer_stack and
 * writer_module, not writer_event.
 */
void writer_on_slow_work(struct writer *w, void (*fn)(void *), void *arg);

/*
 * fn(arg, addr, want) is called when an event cannot be right where it
 * is: an allocation at addr while addr is live (want is MF_EV_FREE: a
 * free of addr must come first), or a free of an addr not live (want is
 * MF_EV_ALLOC).  Keys taken with plain rdtsc may be out of order by a
 * fraction of a microsecond; fn writes the other thread's event that
 * must come first (with writer_event), if there is one.  The writer looks
 * again after it returns.  Never called from inside fn.
 */
void writer_on_conflict(struct writer *w, void (*fn)(void *, uint64_t, int), void *arg);

/* A module of the process (MF_EV_MODULE): handed to the symbolizer. */
void writer_module(struct writer *w, const char *path, uint64_t bias,
		   uint64_t start, uint64_t end);
/*
 * The return addresses of stack id (innermost first), from MF_EV_STACK.
 * Must come before the first event that uses the id; nothing is written
 * until then.
 */
void writer_stack(struct writer *w, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated);
/* An event with a sequence number, from the thread numbered thread. */
void writer_event(struct writer *w, uint32_t thread, const struct mf_event *ev);
/*
 * ev will come to writer_event soon: start loading what it will need into
 * the caches.  Only a hint; ev need not stay valid.
 */
void writer_prefetch(struct writer *w, const struct mf_event *ev);
/* Whether writer_prefetch can help now: the live blocks outgrew the caches. */
int writer_prefetch_helps(const struct writer *w);
/* Nothing is pending at now_ns: write the m records due by then. */
void writer_idle(struct writer *w, uint64_t now_ns);
/* Read the process's RSS for the m records to come (also done at each m). */
void writer_sample_rss(struct writer *w);
/* The process is gone: RSS keeps its last value from now on. */
void writer_process_gone(struct writer *w);
/*
 * The end: m records due by end_ns, the aggregated records, and E with
 * the counts, lost events and how the process ended (a wait status).
 */
void writer_end(struct writer *w, uint64_t end_ns, uint64_t lost, int status);

#endif
