/*
 * events.h - read the event stream (docs/FORMAT.md, "The event stream").
 *
 * The reader checks every record (field count, numbers, ids defined before
 * use and only once, time never going backwards, record kinds that fit the
 * capture's KIND) and dies with "PROG: FILE:LINE: what was expected" on the
 * first violation.  It keeps the tables (modules, frames, stacks, threads)
 * and the live allocations, so a reducer sees each `f` record with the
 * allocation it frees already resolved.  An `X` record (the program
 * replaced by execve) comes as itself (type EV_EXEC), then as one EV_FREE
 * of thread 0 for each allocation live there, in number order: those
 * ended with the old program, freed by no thread (so no reducer counts
 * them as leaks, nor as temporary).  Memory use is proportional to the
 * live allocations and the distinct frames and stacks, never to the number
 * of records.
 *
 *	struct ev_reader r;
 *	struct ev ev;
 *	ev_open(&r, path);
 *	while (ev_next(&r, &ev)) switch (ev.type) { ... }
 *	if (r.truncated) ...;	// no E record: report and exit 1 after output
 *	ev_close(&r);
 *
 * Strings returned point into the reader and stay valid until ev_close().
 */
#ifndef MF_EVENTS_H
#define MF_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "input.h"
#include "syntax.h"	/* enum ev_type: the record letters */

#define EV_MARKER_FRAME "<STACK TOO DEEP>"

struct ev_live;	/* a live allocation; private to events.c */
struct ev_recent;
#define EV_RECENT 32768	/* latest allocations kept in a ring (a power of two) */
struct output;

/* One record, with what the reader resolved.  Fields not listed are 0. */
struct ev {
	int type;
	uint64_t time_ms;	/* every record: the time of the stream at it */
	uint32_t thread;	/* a, f (the freeing thread), P, L, T */
	uint64_t stack;		/* a; f: the freed allocation's; P, L */
	uint32_t stack_index;	/* the same as a dense index: 0 .. nstacks-1 */
	uint64_t size;		/* a; f: the freed allocation's; P, L: bytes */
	uint64_t count;		/* P, L */
	uint64_t alloc_id;	/* a: its number (1, 2, ...); f: the freed one's */
	uint64_t alloc_time_ms;	/* f: when the freed allocation was made */
	uint32_t alloc_thread;	/* f: the thread that made it */
	const char *allocator;	/* a: "malloc", "calloc", ... */
	uint64_t heap, rss;	/* m; K: heap is the peak's bytes */
};

struct ev_frame {
	uint64_t module;	/* module id, 0 if unknown */
	char *file;		/* decoded; NULL when unknown */
	uint64_t line;
	char *function;		/* decoded */
	char *text;		/* the folded frame text, escaped */
	size_t text_len;
};

struct ev_thread {
	uint64_t tid;
	char *name;		/* decoded, latest */
};

/*
 * The reader.  Its contract is the public part: read-only fields a reducer
 * may look at between ev_next() calls (the header, the end record, the
 * running totals).  Everything in `priv` belongs to events.c: the tables
 * and the live allocations, reached only through the functions below, so
 * that their shape can change without touching a reducer.
 */
struct ev_reader {
	/* ---- public, read-only ---- */
	struct input in;	/* in.name names the input in messages */
	/* header */
	int aggregate;		/* KIND is "aggregate" */
	uint64_t pid, start_ms, interval_ms;
	char *command;		/* argv decoded, joined by spaces (for display) */
	char **argv;		/* the ARGV words, each decoded */
	size_t argc;
	/* end record, once seen */
	int ended;
	uint64_t end_ms, end_allocs, end_frees, untracked, lost, double_frees;
	char *how;		/* "exit 0", "signal 11" */
	int truncated;		/* input ended without an E record (a last line
			 * cut short, without its newline, is dropped) */
	/* running state, after the last record returned */
	uint64_t now_ms;
	uint64_t heap;		/* live bytes */
	uint64_t nallocs, nfrees;	/* a and f records so far */
	uint64_t total_bytes;	/* allocated over the stream so far */
	uint64_t discarded;	/* of nfrees, allocations an X record ended (not f records) */
	/* ---- private to events.c ---- */
	struct ev_reader_private {
		uint64_t last_freed;	/* the allocation the last f record freed, 0 before */
		/* tables: ids -> dense indexes */
		struct hash module_ids, frame_ids, stack_ids, thread_ids;
		char **modules;
		size_t nmodules, cap_modules;
		struct ev_frame *frames;
		size_t nframes, cap_frames;
		uint64_t *stack_parent;	/* dense index of parent + 1, 0 for the root */
		uint64_t *stack_frame;	/* dense index of the frame */
		uint64_t *stack_id;	/* the S record's ID */
		size_t nstacks, cap_stacks;
		struct ev_thread *threads;
		size_t nthreads, cap_threads;
		uint32_t *thread_numbers;	/* dense index -> thread number */
		/* lookup shortcuts (the hashes stay the reference) */
		uint32_t *stack_direct;	/* small stack id -> dense index + 1, 0 if undefined */
		size_t ndirect;
		uint64_t known_thread;	/* the last thread number found defined */
		unsigned char *thread_direct;	/* small thread number -> 1 if defined */
		size_t nthread_direct;
		/* live allocations: the latest EV_RECENT in a ring, older ones in
		 * the pool (live: number -> index in the pool) */
		struct ev_recent *recent;
		struct hash live;
		struct ev_live *pool;
		size_t npool, cap_pool, free_head;
		struct buf scratch;
		/* X records: each new program's ARGV, and the
		 * allocations still to end, by number, from gone_next on */
		struct ev_exec { char **argv; size_t argc; } *execs;
		size_t nexecs, cap_execs;
		uint64_t *gone;
		size_t ngone, gone_next, cap_gone;
		/* ev_next may try its fast path: a full capture not ended,
		 * no allocations of an X record to end (set by its slow path) */
		int fast;
	} priv;
};

/* Open path ("-" or NULL: stdin) and read the header. Dies on error. */
void ev_open(struct ev_reader *r, const char *path);
/* The same on an input already opened (and possibly input_unget()); r takes it over. */
void ev_open_input(struct ev_reader *r, struct input *in);
/* The next record in *ev; 0 at the end of input. Dies on bad input. */
int ev_next(struct ev_reader *r, struct ev *ev);
void ev_close(struct ev_reader *r);

/*
 * Die unless the capture is full (not aggregated), with a message saying
 * what needs the full capture, e.g. ev_require_full(&r, "temporary allocations").
 */
void ev_require_full(const struct ev_reader *r, const char *what);

/* The thread's latest record, or NULL if the thread is undefined. */
const struct ev_thread *ev_thread(const struct ev_reader *r, uint32_t thread);
/* The folded frame "thread N (NAME)" or "thread N", appended to b. */
void ev_thread_frame(const struct ev_reader *r, uint32_t thread, struct buf *b);

/*
 * Append the folded stack of stack id (outermost frame first, ';'
 * between frames, escaped) to b.  Stack 0 (the root) appends nothing.
 */
void ev_stack_folded(const struct ev_reader *r, uint64_t stack, struct buf *b);

/*
 * The stack tree by dense index (ev.stack_index, 0 .. nstacks-1), for
 * walking it without building each stack's text: the parent's index + 1
 * (0 when the parent is the root), and the folded text of the node's frame
 * (escaped, *len bytes, valid until ev_close()).
 */
uint64_t ev_stack_parent(const struct ev_reader *r, uint32_t index);
const char *ev_stack_frame_text(const struct ev_reader *r, uint32_t index, size_t *len);

/*
 * The tables by dense index, for lib/modinfo.c: the frame of stack node
 * index (0 .. ev_nstacks()-1), frame i (0 .. ev_nframes()-1), and the path
 * of the module with id (an M record's ID; NULL for 0 or an unknown id).
 */
size_t ev_nstacks(const struct ev_reader *r);
uint32_t ev_stack_frame(const struct ev_reader *r, uint32_t index);
size_t ev_nframes(const struct ev_reader *r);
const struct ev_frame *ev_frame_at(const struct ev_reader *r, uint32_t frame);
const char *ev_module_path(const struct ev_reader *r, uint64_t id);

/*
 * Write the metadata every reducer passes through: command, argv, pid, start,
 * duration, interval, how it ended, totals, untracked frees, the threads,
 * and truncated=true when the input had no end record.  Call it after the
 * last ev_next().
 */
void ev_write_metadata(const struct ev_reader *r, struct output *out);

#endif
