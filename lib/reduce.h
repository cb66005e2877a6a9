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
 *	stacktab_fold(&tab, &r, tab.bytes, tab.count, 0, &tree, &shown);
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
#include "output.h"

struct stacktab {
	int split_threads;
	struct hash index;	/* split: thread << 32 | stack index -> slot */
	uint64_t *stack;	/* slot -> stack id; 0 for a slot not used yet */
	uint32_t *stack_index;	/* slot -> the stack's dense index in the reader */
	uint32_t *thread;	/* slot -> thread number (0 unless split) */
	uint64_t *bytes, *count;	/* zero when a slot is created */
	size_t n, cap;		/* slots used (upper bound), allocated */
};

void stacktab_init(struct stacktab *t, int split_threads);
void stacktab_release(struct stacktab *t);
/* The slot of (thread, stack); created (with zero totals) when new. */
size_t stacktab_slot(struct stacktab *t, uint32_t thread, uint64_t stack,
		     uint32_t stack_index);
/*
 * Add every slot with a non-zero count to tree: the folded stack (after its
 * thread frame when split) with bytes[slot], or count[slot] with
 * FOLD_COUNT, as VALUE and count[slot] as its count; with FOLD_FUNCTIONS
 * each frame but a thread frame reduced to its function (mf-fold
 * --functions).  *shown gets the sums of bytes and counts added.  Work and
 * memory are proportional to the distinct stacks, never to their depths
 * summed (the size of the output).
 */
struct shown {
	uint64_t bytes, count;
};
enum { FOLD_COUNT = 1, FOLD_FUNCTIONS = 2 };
void stacktab_fold(const struct stacktab *t, const struct ev_reader *r,
		   const uint64_t *bytes, const uint64_t *count, int flags,
		   struct foldtree *tree, struct shown *shown);
/*
 * Several captures (mf-record --follow-fork) summed in one tree: the same,
 * with the stacks under node root (FOLDTREE_ROOT, or with --split-processes
 * reduce_process_node's), adding to *shown rather than setting it.
 */
void stacktab_fold_under(const struct stacktab *t, const struct ev_reader *r,
			 const uint64_t *bytes, const uint64_t *count, int flags, uint32_t root,
			 struct foldtree *tree, struct shown *shown);
/* The node of the frame "process PID (NAME)" of r's capture, NAME its program's base name. */
uint32_t reduce_process_node(struct foldtree *tree, const struct ev_reader *r);

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
 * The same for the captures of several processes, read one after the
 * other: each but the first is closed once folded, with
 * reduce_close_capture (which keeps in *truncated the name of the first
 * incomplete one, allocated), so that their number is not bound by the
 * descriptors a process may hold; then reduce_finish_many with the first,
 * still open (its metadata is the output's).
 */
void reduce_close_capture(struct ev_reader *r, char **truncated);
void reduce_finish_many(struct ev_reader *first, char *truncated, struct output *out);

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
const char *snapshot_options_parse(int argc, char **argv, const char *usage,
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
