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
 *	writer_event(w, thread, ev, may_wait);	// every other event, in seq order
 *	writer_idle(w, now_ns);			// nothing pending: m records due
 *	writer_end(w, end_ns, lost, status);	// K/P/L if aggregated, then E; all written
 *	writer_free(w);
 *
 * The writer is called, never calls back: the caller (writer_rings.c)
 * decides the order of events.  When an event cannot be written where it
 * is, writer_event says what must come first and the caller hands it the
 * event again after that.
 *
 * Where it is done: writer_stream.c (these functions, the malloc family
 * and mappings), writer_output.c (the output thread and its buffers),
 * writer_format.h (numbers to text), writer_memory.c (time, RSS, m
 * records), writer_frames.c (stacks, frames, the symbolizer),
 * writer_threads.c (T records), writer_regions.c (mappings by address),
 * writer_live.c (blocks by address), writer_sites.c (aggregated sites).
 *
 * Every function dies on a write error (lib/output.h) and on events that
 * cannot come from the shim; none of them can otherwise fail.  A writer
 * started soft does not die on a write error: its capture ends there
 * (writer_error says why), and it goes on taking events, writing none.
 */
#ifndef MF_WRITER_H
#define MF_WRITER_H

#include <stdint.h>
#include <sys/types.h>

#include "output.h"
#include "../proto.h"

struct writer;

struct writer_options {
	int aggregate;		/* K/P/L instead of a/f */
	uint64_t interval_ms;	/* of m records */
	uint64_t start_ns;	/* CLOCK_MONOTONIC at the start; times count from it */
	uint64_t start_ms;	/* the same moment, ms since the epoch */
	pid_t pid;		/* for H and for the RSS of m records */
	char *const *argv;	/* the command as given */
	const char *origin;	/* --follow-fork: the comment line after H ("from fork PID"), or NULL */
	int soft;		/* a write error ends this capture, not the program (writer_error) */
};

/* Writes the H record.  The writer keeps out and opts->argv; it copies the rest. */
struct writer *writer_new(struct output *out, const struct writer_options *opts);
void writer_free(struct writer *w);
/*
 * NULL, or (soft) the write error that ended the capture: out is then no
 * longer touched, for the caller to abandon (lib/output.h).  w's, freed
 * with it.
 */
const char *writer_error(struct writer *w);

/*
 * A module of the process (MF_EV_MODULE keyed key, with its build id
 * from memory, idlen bytes, 0 if none), as it arrives: its
 * file is opened now, while the process maps it; it takes its addresses
 * when writer_event meets the event, in the order of the events
 * (writer_frames.c).
 */
void writer_module(struct writer *w, uint64_t key, const char *path, uint64_t bias,
		   uint64_t start, uint64_t end, const unsigned char *build_id, size_t idlen);
/*
 * The return addresses of stack id (innermost first), from MF_EV_STACK.
 * Must come before the first event that uses the id; nothing is written
 * until then.
 */
void writer_stack(struct writer *w, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated);

/* A Python code object (MF_EV_PYCODE): before the first stack that names it. */
void writer_pycode(struct writer *w, const struct mf_event *ev);
/*
 * Stack id: native stack native with count Python frames (MF_EV_PYSTACK's
 * pairs), after the native stack and the code objects it names.
 */
void writer_pystack(struct writer *w, uint64_t id, uint64_t native, const uint64_t *frames,
		    uint32_t count, int truncated);

/* What writer_event may answer instead of writing the event (may_wait). */
enum {
	/*
	 * Keys taken with plain rdtsc may be out of order by a fraction of
	 * a microsecond: an allocation at an address still live wants the
	 * free of that address first, a free of an address not live its
	 * allocation.
	 */
	WRITER_MAY_WAIT_ORDER = 1,
	/* The event's stack has addresses never symbolized (slow: see writer_symbolize_one). */
	WRITER_MAY_WAIT_SYMBOLS = 2,
};
enum writer_wait {
	WRITER_WRITTEN,
	WRITER_AFTER_FREE,	/* another thread's free of ev->a, if there is one */
	WRITER_AFTER_ALLOC,	/* another thread's allocation of ev->a, if there is one */
	WRITER_AFTER_SYMBOLS,	/* writer_symbolize_one until it returns 0 */
};
/*
 * An event with a sequence number, from the thread numbered thread.
 * Returns WRITER_WRITTEN, or (only for a reason allowed in may_wait) what
 * must happen first; then nothing but the m and t records of the event's
 * time was written, and the caller hands the event again, without that
 * reason in may_wait if it found nothing to do.
 */
enum writer_wait writer_event(struct writer *w, uint32_t thread, const struct mf_event *ev,
			      unsigned may_wait);
/*
 * Symbolize one address of ev's stack not symbolized yet (the first lookup
 * in a module reads its debug information: the caller can drain the rings
 * between two calls).  Returns 0 when none was left.
 */
int writer_symbolize_one(struct writer *w, const struct mf_event *ev);
/*
 * ev will come to writer_event soon: start loading what it will need into
 * the caches.  Only a hint; ev need not stay valid.
 */
void writer_prefetch(struct writer *w, const struct mf_event *ev);
/* Whether writer_prefetch can help now: the live blocks outgrew the caches. */
int writer_prefetch_helps(const struct writer *w);
/* Nothing is pending at now_ns: write the m records due by then (writer_memory.c). */
void writer_idle(struct writer *w, uint64_t now_ns);
/* Read the process's RSS for the m records to come (also done at each m). */
void writer_sample_rss(struct writer *w);
/* The process is gone: RSS keeps its last value from now on. */
void writer_process_gone(struct writer *w);
/*
 * --follow-fork: child, the writer of a process just forked from the one
 * parent writes, starts knowing parent's live blocks of the malloc family
 * (copied): a free in the child of one of them is not untracked, and
 * since the block is in the parent's capture it is not written (nor
 * counted) in the child's.
 */
void writer_inherit(struct writer *child, const struct writer *parent);

/*
 * The process replaced its program by the one argv names (execve), at
 * now_ns: the X record.  Every block and mapping live in the old program
 * is gone with it (neither freed nor leaked: docs/FORMAT.md), and its
 * modules, stacks and addresses are forgotten; the new program's events
 * follow, its threads numbered after the old program's but its first,
 * which stays thread 1.  Call it once every event of the old program was
 * handed to writer_event.
 */
void writer_exec(struct writer *w, uint64_t now_ns, char *const *argv);

/* writer_end's status for an end not known. */
#define WRITER_STATUS_UNKNOWN (-2)
/*
 * The end: m records due by end_ns, the aggregated records
 * (writer_sites.c), and E with the counts, lost events and how the
 * process ended (a wait status, or WRITER_STATUS_*).
 */
void writer_end(struct writer *w, uint64_t end_ns, uint64_t lost, int status);
/*
 * The same for a recording that ended another way than with the process's
 * exit (mf-record -p): how is the E record's HOW word, code its CODE.
 */
void writer_end_how(struct writer *w, uint64_t end_ns, uint64_t lost, const char *how, int code);

#endif
