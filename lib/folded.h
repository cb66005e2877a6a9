/*
 * folded.h - folded stacks (docs/FORMAT.md, "Folded stacks"): read, write,
 * escape.
 *
 * Reading: folded_next() returns stack lines and metadata lines in file
 * order.  A "# count=N" line is not returned: it is attached to the stack
 * line after it (has_count, count).  Blank lines and comments that are not
 * "# key=value" are skipped.  A malformed stack line is an input error
 * naming FILE:LINE.  Strings in struct folded_line point into the reader's
 * line buffer: valid until the next folded_next().
 *
 * Differential stacks (docs/FORMAT.md, "Differential stacks", written by
 * mf-diff): once a "# reducer=\"diff\"" line is read, stack lines are
 * "STACK BEFORE AFTER" (diff set, before in before, after in value) and
 * their allocation counts come in "# counts=[BEFORE,AFTER]" lines
 * (count_before, count); a "# count=N" line is then an input error.
 *
 * Writing: metadata first (folded_meta_*), then stack lines, each preceded
 * by its "# count=N" (folded_write_stack does both).  The caller sorts.
 */
#ifndef MF_FOLDED_H
#define MF_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "input.h"
#include "intern.h"
#include "output.h"

#define FOLDED_FORMAT "mf-folded/1"

enum folded_kind { FOLDED_STACK, FOLDED_META };

struct folded_line {
	enum folded_kind kind;
	/* FOLDED_STACK */
	const char *stack;	/* "frame;frame;...", escaped as in the file */
	size_t stack_len;
	uint64_t value;		/* in a diff: AFTER */
	int has_count;		/* a "# count=N" (diff: "# counts=") came right before */
	uint64_t count;		/* in a diff: the allocations after */
	int diff;		/* a diff line: BEFORE and count_before are set */
	uint64_t before, count_before;
	/* FOLDED_META */
	const char *key;	/* NUL-terminated */
	const char *json;	/* the raw JSON value, NUL-terminated */
};

struct folded_reader {
	struct input in;
	int diff;		/* a reducer="diff" line was read */
	unsigned long stacks;	/* stack lines returned */
	int has_count;
	uint64_t count, count_before;
	unsigned long count_line;
};

void folded_open(struct folded_reader *r, const char *path);
/* The same on an input already opened (and possibly input_unget()); r takes it over. */
void folded_open_input(struct folded_reader *r, struct input *in);
/*
 * Returns 1 with *line filled, or 0 at end of input.  Dies on bad input,
 * and on an input with no line at all ("empty input").
 */
int folded_next(struct folded_reader *r, struct folded_line *line);
void folded_close(struct folded_reader *r);

/* Frame text is escaped and decoded by syntax_escape_frame() and syntax_unescape(). */
/*
 * Append s[0..n) to b as a JSON string literal, quotes included, that is
 * also safe inside an HTML <script>: <, >, &, U+2028 and U+2029 escaped.
 */
void json_quote(struct buf *b, const char *s, size_t n);

/*
 * Split an (escaped) frame into function and location: "f (loc)" gives
 * "f" and "loc"; a frame without a trailing " (...)" gives itself and an
 * empty location.  Returns the function's length; *loc and *loc_len get
 * the location (inside the parentheses).
 */
size_t folded_frame_split(const char *frame, size_t n, const char **loc, size_t *loc_len);

/* "# key=<json string>", "# key=<number>", "# key=<raw json>" lines. */
void folded_meta_str(struct output *out, const char *key, const char *s, size_t n);
void folded_meta_u64(struct output *out, const char *key, uint64_t v);
void folded_meta_json(struct output *out, const char *key, const char *json);
/* "# count=COUNT" then "STACK VALUE". */
void folded_write_stack(struct output *out, const char *stack, size_t n,
			uint64_t value, uint64_t count);

/*
 * Per-stack series (docs/TEMPORAL.md, "Rules for tools that rewrite
 * folded stacks"): a "# stack_KEY=[[...],...]" line belongs to the stack
 * line after it.  Each entry is LEAD leading integers (the slice or
 * slices: 1 for stack_live, 2 for stack_lifetimes, the first entry's
 * length minus 2 for another stack_ key), then a count and bytes.  Read
 * strictly: entries sorted by their leading integers, each once, none
 * with count 0 and bytes 0.  So a series written back unmerged is the
 * same text.
 */
struct folded_series {
	char *key;
	size_t lead;	/* leading integers per entry */
	size_t n, cap;	/* entries */
	int64_t *v;	/* n entries of lead + 2 integers */
	/* Once merged (folded_set_add_series): entries in any order, some
	 * possibly summed to count 0 and bytes 0, found by their leading
	 * integers through index and chain; sorted and cleaned when written.
	 * So merging n entries costs O(n), whatever the number of stacks that
	 * merge. */
	struct hash index;	/* hash of the leading integers -> entry + 1 */
	uint32_t *chain;	/* entry -> next entry with the same hash, + 1 */
	size_t chain_cap;
	int merged;
};
struct folded_series_list {
	struct folded_series *items;
	size_t n, cap;
};
#define FOLDED_SERIES_LIST_INIT { NULL, 0, 0 }

/* Whether a metadata key is a per-stack one ("stack_..."). */
int folded_is_series(const char *key);
/*
 * Parse json, the value of the "# key=" line just read from in, into a new
 * series of list.  A malformed value, or a second line with key before one
 * stack, is an input error naming the line.
 */
void folded_series_add(struct folded_series_list *list, const struct input *in,
		       const char *key, const char *json);
/* At end of input: series with no stack line after them are an input error. */
void folded_series_end(const struct folded_series_list *list, const struct input *in);
/* "# key=[[...],...]" for every series of list, in order. */
void folded_series_write(const struct folded_series_list *list, struct output *out);
void folded_series_release(struct folded_series_list *list);

/*
 * A set of stacks with their summed values and counts, written sorted and
 * merged: what every reducer ends with.  Sums that overflow 64 bits are an
 * error.  Stacks may carry series (folded_set_add_series), written before
 * their count lines.
 */
struct folded_set {
	struct intern stacks;
	uint64_t *values, *counts;
	size_t cap;
	struct folded_series_list *series;	/* per stack; NULL until one has series */
	size_t series_cap;
};

#define FOLDED_SET_INIT { INTERN_INIT, NULL, NULL, 0, NULL, 0 }

void folded_set_add(struct folded_set *s, const char *stack, size_t n,
		    uint64_t value, uint64_t count);
/* Sum of all values (and counts, if count is not NULL). */
uint64_t folded_set_total(const struct folded_set *s, uint64_t *count);
/* Every stack, sorted bytewise, each with its count line. */
void folded_set_write(const struct folded_set *s, struct output *out);
/* The same without count lines, for input that did not carry counts. */
void folded_set_write_uncounted(const struct folded_set *s, struct output *out);
void folded_set_release(struct folded_set *s);
/*
 * Merge the series of pending into those of stack (already added to s)
 * and empty pending.  Series with the same key merge entry by entry: the
 * union, entries with equal leading integers summed, sums of count 0 and
 * bytes 0 dropped, sorted by the leading integers.  A sum that overflows
 * 64 bits, or entries of another width than before, is an input error
 * naming in's line.
 */
void folded_set_add_series(struct folded_set *s, const struct input *in, const char *stack,
			   size_t n, struct folded_series_list *pending);

#endif
