/*
 * reduce.h - what the reducers (mf-peak, mf-leaks, mf-fold, mf-invert)
 * share: totals per stack, the folded output's common metadata, the memory
 * records for the memory graph, metadata passed through from folded input,
 * and the report of an incomplete capture.
 *
 * A stack table gives every (thread, stack) a dense slot; without
 * --split-threads the thread is ignored, so the same stack in different
 * threads shares one slot.  The table keeps per-slot bytes and counts; a
 * reducer that needs more per-slot numbers grows its own arrays to
 * tab.cap after each stacktab_slot().  Memory is proportional to the
 * distinct stacks (and threads), never to the number of events.
 *
 *	struct stacktab tab;
 *	stacktab_init(&tab, split_threads);
 *	size_t s = stacktab_slot(&tab, ev.thread, ev.stack, ev.stack_index);
 *	tab.bytes[s] += ev.size; tab.count[s]++;
 *	... reduce_captures() (below) folds the table into its tree ...
 *	stacktab_release(&tab);
 */
#ifndef MF_REDUCE_H
#define MF_REDUCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "events.h"
#include "folded.h"
#include "foldtree.h"
#include "hash.h"
#include "input.h"
#include "intern.h"
#include "memrec.h"
#include "modinfo.h"
#include "output.h"

struct stacktab {
	int split_threads;
	struct hash index;	/* split: thread << 32 | stack index -> slot */
	uint64_t *stack;	/* slot -> stack id; 0 for a slot not used yet */
	uint32_t *stack_index;	/* slot -> the stack's dense index in the reader */
	uint32_t *thread;	/* slot -> thread number (0 unless split) */
	uint64_t *bytes, *count;	/* zero when a slot is created */
	size_t n, cap;		/* slots used (upper bound), allocated */
	size_t direct;		/* cap unless split: a stack index below it may be its slot */
};

void stacktab_init(struct stacktab *t, int split_threads);
void stacktab_release(struct stacktab *t);
/* stacktab_slot() but for a slot that may be new or split by thread: its slow path. */
size_t stacktab_slot_new(struct stacktab *t, uint32_t thread, uint64_t stack,
			 uint32_t stack_index);

/*
 * The slot of (thread, stack); created (with zero totals) when new.
 * Inline, as reducers call it once an event: without --split-threads a
 * seen stack is its index.
 */
static inline size_t stacktab_slot(struct stacktab *t, uint32_t thread, uint64_t stack,
				   uint32_t stack_index)
{
	if (stack_index < t->direct && t->stack[stack_index])
		return stack_index;
	return stacktab_slot_new(t, thread, stack, stack_index);
}
/*
 * How reduce_captures() folds a table: every slot with a non-zero count
 * becomes its folded stack (after its thread frame when split) with
 * bytes[slot], or count[slot] with FOLD_COUNT, as VALUE and count[slot] as
 * its count; with FOLD_FUNCTIONS each frame but a thread frame is reduced
 * to its function (mf-fold --functions).  struct shown sums the bytes and
 * counts added.  Work and memory are proportional to the distinct stacks,
 * never to their depths summed (the size of the output).
 */
struct shown {
	uint64_t bytes, count;
};
enum { FOLD_COUNT = 1, FOLD_FUNCTIONS = 2 };

/*
 * The first metadata lines of a reducer's output: format, reducer, value
 * ("bytes" or "count"), inverted=false, split_threads.
 */
void reduce_write_head(struct output *out, const char *reducer, int value_is_count,
		       int split_threads);
/* shown_bytes and shown_allocations, then the stack lines of tree. */
void reduce_write_stacks(struct output *out, const struct foldtree *tree,
			 const struct shown *shown);
/*
 * Close the output and, when the capture had no end record, say so
 * ("PROG: FILE: incomplete capture: ...") and exit 1.  Then close r.
 */
void reduce_finish(struct ev_reader *r, struct output *out);

/*
 * The captures a reducer reads (one, or the processes of mf-record
 * --follow-fork), reduced into one output.  Each is opened, read by the
 * reducer, folded into one tree (under its process frame with
 * --split-processes), its modules taken (lib/modinfo.h) and closed before
 * the next is opened, so that their number is not bound by the
 * descriptors a process may hold.  The first stays open until
 * reduce_finish_captures: its metadata, memory records and peak's moment
 * are the output's.
 *
 *	static void read_one(void *self, struct ev_reader *r,
 *			     struct memory *memory, struct capture_totals *t);
 *	struct reduction red;
 *	reduce_captures(&red, NULL, paths, n, &(struct capture_reducer){
 *			read_one, NULL, &state, 0, split_processes, max_memory_records });
 *	output_open(&out, ...);
 *	reduce_write_head(&out, ...); ev_write_metadata(&red.first, &out);
 *	reduce_write_modules(&red, &out); reduce_write_sums(&red, &out);
 *	reduce_write_tree(&red, &out);
 *	reduce_finish_captures(&red, &out);
 */
struct capture_totals {
	/* what the stack lines show: per slot of tab, its value and count */
	const struct stacktab *tab;
	const uint64_t *bytes, *count;
	/* the process's peak and leaks, when the reducer counts them */
	uint64_t peak_bytes, peak_time_ms, peak_allocations, leaked_bytes, leaked_allocations;
};
struct capture_reducer {
	/*
	 * Read the capture r (open), its memory records into memory (NULL
	 * for every capture but the first), and say what to fold in *t
	 * (zeroed before).
	 */
	void (*read)(void *self, struct ev_reader *r, struct memory *memory,
		     struct capture_totals *t);
	/* The capture is folded: what read kept for it may go.  NULL: nothing to do. */
	void (*done)(void *self);
	void *self;
	int flags;		/* FOLD_COUNT, FOLD_FUNCTIONS (above) */
	int split_processes;	/* each capture under its process frame */
	uint64_t max_memory_records;
};
struct reduction {
	struct ev_reader first;	/* open until reduce_finish_captures */
	size_t n;		/* the captures read */
	struct foldtree tree;	/* the stacks of all */
	struct shown shown;	/* the sums of tree */
	/*
	 * The processes' peaks and leaks, each taken alone, summed: at most
	 * what they held at once (tab and its arrays NULL; peak_time_ms the
	 * first capture's, since the captures share no clock).
	 */
	struct capture_totals sums;
	struct memory memory;	/* the first capture's records */
	struct modinfo modules;	/* of the stacks in tree */
	char *truncated;	/* the name of a later capture without an end record, the first such */
};
/*
 * Read paths[0..n) (n = 0: standard input) into red; first, when not NULL,
 * is the first capture's input already open (it is taken over).  Dies on
 * an input error.
 */
void reduce_captures(struct reduction *red, struct input *first, const char *const *paths,
		     size_t n, const struct capture_reducer *reducer);
/* "# processes=N" (when several) and the module lines. */
void reduce_write_modules(struct reduction *red, struct output *out);
/* peak_bytes, peak_time_ms, peak_allocations, leaked_bytes, leaked_allocations. */
void reduce_write_sums(const struct reduction *red, struct output *out);
/* The memory lines, shown_bytes and shown_allocations, then the stack lines. */
void reduce_write_tree(const struct reduction *red, struct output *out);
/*
 * Release red, close the output, and when a capture had no end record say
 * so (as reduce_finish) and exit 1; then close the first capture.
 */
void reduce_finish_captures(struct reduction *red, struct output *out);

/* The memory records of the output: memrec.h (struct memory). */

/*
 * The options mf-peak and mf-leaks share, which are all they take:
 * -f/--force, -h/--help, --max-memory-records N, -o/--output OUTPUT,
 * --split-threads, --split-processes, the program's moment option
 * --TIME_OPTION MS (mf-peak "at", mf-leaks "since": a time in milliseconds
 * since recording started, 0 to 2^63), and FILEs (the captures of several
 * processes, summed).  Parses argv (exiting on --help or a bad option, with
 * usage) and returns the first FILE, or NULL for standard input; o->inputs
 * holds every FILE.
 */
struct snapshot_options {
	const char *output;
	int force, split_threads, split_processes;
	uint64_t max_memory_records;
	const char *const *inputs;	/* the FILEs, none for standard input */
	size_t ninputs;
	int has_time;		/* --at or --since was given */
	uint64_t time_ms;
};
void snapshot_options_parse(int argc, char **argv, const char *usage,
			    const char *time_option, struct snapshot_options *o);

/*
 * folded_set_add() for a stack read from in: a sum that would overflow is
 * an input error naming the line ("FILE:LINE: the total of a stack
 * overflows 64 bits").
 */
void folded_set_add_input(struct folded_set *s, const struct input *in, const char *stack,
			  size_t n, uint64_t value, uint64_t count);

/*
 * Metadata lines of folded input, kept in order to be passed through.  The
 * readers look keys up once a stack line, so a key finds its first line
 * through an index, not by walking every line: an input of many metadata
 * lines costs linear time.
 */
struct meta_item {
	char *key, *json;
};
struct meta_list {
	struct meta_item *items;
	size_t n, cap;
	/* private */
	struct intern keys;	/* every key seen, one id each */
	size_t *first;		/* key id -> index of its first item + 1, 0 for none */
	size_t first_cap;
};
#define META_LIST_INIT { NULL, 0, 0, INTERN_INIT, NULL, 0 }

void meta_add(struct meta_list *m, const char *key, const char *json);
/* The JSON of the first line with key, or NULL. */
const char *meta_get(const struct meta_list *m, const char *key);
/* Replace the first line with key (dropping later ones), or append one. */
void meta_set(struct meta_list *m, const char *key, const char *json);
/* "# format=..." first, then every other line in order. */
void meta_write(const struct meta_list *m, struct output *out);
void meta_release(struct meta_list *m);

/*
 * Re-folded output, as mf-fold and mf-invert write it: open path (lib/output
 * rules, force), the metadata, the stack lines (with their counts when
 * counted), and close.
 */
void reduce_write_folded(const char *path, int force, const struct meta_list *meta,
			 const struct folded_set *set, int counted);

#endif
