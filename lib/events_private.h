/*
 * events_private.h - what the parts of the event-stream reader share
 * (events.c, events_fields.c, events_header.c, events_tables.c); not for
 * reducers, which use events.h.
 *
 * Every function here reads the current line of r->in (or in) and dies
 * with "PROG: FILE:LINE: what was expected" on a violation.
 */
#ifndef MF_EVENTS_PRIVATE_H
#define MF_EVENTS_PRIVATE_H

#include <string.h>

#include "events.h"

enum { MAX_FIELDS = 8 };

/* The words of a record after its type letter. */
struct fields {
	const char *f[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	size_t n;
	const char *rest;	/* after the fields taken, for a text field */
	size_t rest_len;
};

/* events_fields.c: splitting a line, numbers and ids, id tables. */
void split(const struct input *in, struct fields *fs, size_t max, int text);
uint64_t num(const struct input *in, const struct fields *fs, size_t i, const char *what);
uint64_t id_field(const struct input *in, const struct fields *fs, size_t i, const char *what);
void expect(const struct input *in, const struct fields *fs, size_t min, size_t max,
	    const char *form);
size_t lookup(const struct input *in, const struct hash *ids, uint64_t id, const char *what);
size_t define(const struct input *in, struct hash *ids, uint64_t id, size_t next,
	      const char *what);

/* events_header.c: the H record, at ev_open(). */
/*
 * The words of an ARGV field (the H and X records): a space separates two
 * words (a space inside an argument is escaped), so "./app a\x20b " is
 * "./app", "a b" and "".  Allocated, as is each word; *count gets their number.
 */
char **read_words(const char *s, size_t n, size_t *count);
void read_header(struct ev_reader *r);

/* events_tables.c: the records that define the tables. */
void read_module(struct ev_reader *r);
void read_frame(struct ev_reader *r);
void read_stack(struct ev_reader *r);
void read_thread(struct ev_reader *r, struct ev *ev);

/* events_scan.c and events.c: the numbers of 'a' and 'f' lines, read fast. */

/*
 * The next digits of a line, at most 20; 0 unless 1 to 19 of them follow
 * a space.  *p moves past them.
 */
static inline int fast_field(const char **p, uint64_t *v)
{
	const char *q = *p;
	if (*q++ != ' ')
		return 0;
	uint64_t x = 0;
	int k = 0;
	for (unsigned d; k < 20 && (d = (unsigned char)q[k] - '0') <= 9; k++)
		x = x * 10 + d;
	*v = x;
	*p = q + k;
	return k >= 1 && k <= 19;
}

/*
 * fast_field() for a line with at least 8 bytes readable past the
 * space: the digits found and summed 8 at a time,
 * without a branch per digit (their count varies, and mispredicted
 * branches were most of the parse).
 */
static inline int chunk_field(const char **p, uint64_t *v)
{
	const char *q = *p;
	if (*q != ' ')
		return 0;
	uint64_t w;
	memcpy(&w, q + 1, 8);
	/* Little-endian: the first character is the lowest byte.  A byte
	 * is a digit when it is '0' + 0 .. 9; the carry out of a byte
	 * above 0x89 only ever marks bytes after it. */
	uint64_t x = w ^ 0x3030303030303030u;
	uint64_t other = ((x + 0x7676767676767676u) | x) & 0x8080808080808080u;
	if (other & 0x80)
		return 0;	/* no digit */
	if (!other)
		return fast_field(p, v);	/* 8 digits or more: rare */
	/* The top bit of byte k, the first not a digit: the digits are
	 * bytes 0 .. k-1, moved to the top, with zeros before them. */
	int top = __builtin_ctzll(other), k = top >> 3;
	x <<= 71 - top;
	/* Each byte is a digit now: pairs, fours, then all eight summed. */
	x = x * 2561 >> 8;
	x = (x & 0x00ff00ff00ff00ffu) * 6553601 >> 16;
	x = (x & 0x0000ffff0000ffffu) * 42949672960001u >> 32;
	*v = x;
	*p = q + 1 + k;
	return 1;
}

/*
 * The longest line ev_scan() and fast_record() read: a type, then three fields of a
 * space and at most 20 digits (one too many is how it sees 20), then the
 * newline.
 */
enum { FAST_LINE = 1 + 3 * 21 + 1 };

/*
 * What the decompressing thread makes of an 'a' or 'f' line of numbers
 * only (input_scan_ahead(), events_scan.c): the line "a THREAD STACK
 * SIZE" or "f THREAD BACK" of 1 to 19 digits a field, at start in the
 * chunk, len bytes before its newline.  A thread number of 2^16 or more
 * makes no record (the line is read as text).
 */
struct ev_rec {
	uint64_t v, size;	/* STACK or BACK; SIZE ('a') */
	uint32_t start;
	uint16_t thread;
	uint8_t len;
	char type;		/* 'a' or 'f' */
};
/* The smallest line with a record, with its newline: "f 1 1". */
enum { EV_REC_MIN_LINE = 6 };

/*
 * The line at line, its type 'a' or 'f' and FAST_LINE bytes readable
 * there (8 past the third field's space are): its record in *e (start 0), or 0 if it has another form.
 */
static inline int ev_scan_line(const char *line, struct ev_rec *e)
{
	const char *p = line + 1;
	uint64_t thread, v, size = 0;
	/* Above 2^16 a thread is looked up by hashing: no fast path. */
	if (!chunk_field(&p, &thread) || !chunk_field(&p, &v) || thread > UINT16_MAX)
		return 0;
	if (line[0] == 'a' && !chunk_field(&p, &size))
		return 0;
	if (*p != '\n')
		return 0;
	*e = (struct ev_rec){ v, size, 0, (uint16_t)thread, (uint8_t)(p - line), line[0] };
	return 1;
}
size_t ev_scan(const char *text, size_t from, size_t len, void *records);

#endif
