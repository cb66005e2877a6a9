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

#endif
