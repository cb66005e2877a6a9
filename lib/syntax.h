/*
 * syntax.h - the spelling of mf's text formats (docs/FORMAT.md), in one
 * place for the writer and the readers: the event stream's record letters
 * and version, and the escaping shared by the event stream and folded
 * stacks.
 *
 * Why a module of its own: a writer and a reader that agree only through
 * a document drift apart.  mf-record's writer escapes with the functions
 * below and the readers (lib/events.c, lib/folded.c, mf-html) decode with
 * the ones beside them, so a change to the syntax is made once.
 *
 * Escaping (docs/FORMAT.md, "Escaping"): a byte that would break the line
 * structure is written \xHH, two lower-case hex digits.  The backslash is
 * always escaped, so every "\x" in a file starts an escape.
 *
 *	field	escaped bytes
 *	word	0x00-0x20 (controls and space), '\\', 0x7f
 *	text	0x00-0x1f, '\\', 0x7f (spaces kept; the last field of a record)
 *	frame	as text, and ';' (a folded stack's frame)
 *
 * Bytes 0x80-0xff are kept.  Decoding takes upper- or lower-case digits and
 * keeps anything that is not a complete \xHH as it is; \x00 stays as the
 * four characters, since a NUL cannot travel in a C string.
 */
#ifndef MF_SYNTAX_H
#define MF_SYNTAX_H

#include <stddef.h>

#include "buf.h"

/* The event stream's version, written in its H record. */
#define SYNTAX_VERSION 2
/* The oldest version readers still take (1: f's BACK has no signed form). */
#define SYNTAX_VERSION_OLDEST 1

/* The event stream's record types: the first character of each line. */
enum ev_type {
	EV_HEADER = 'H', EV_MODULE = 'M', EV_FRAME = 'F', EV_STACK = 'S',
	EV_THREAD = 'T', EV_TIME = 't', EV_MEMORY = 'm', EV_ALLOC = 'a',
	EV_FREE = 'f', EV_PEAK_LIVE = 'P', EV_END_LIVE = 'L', EV_PEAK = 'K',
	EV_END = 'E', EV_EXEC = 'X',
};
/* A line starting with this is a comment in both formats. */
#define SYNTAX_COMMENT '#'

/* Which field an escaped string goes in: the flag of syntax_escape(). */
enum syntax_field { SYNTAX_TEXT = 0, SYNTAX_WORD = 1 };

/*
 * Append NUL-terminated s to b, escaped for a text field, or with word set
 * (SYNTAX_WORD) for a word field.  Cannot fail (buf dies when out of memory).
 */
void syntax_escape(struct buf *b, const char *s, int word);
/* Append s[0..n) to b escaped as a folded frame. */
void syntax_escape_frame(struct buf *b, const char *s, size_t n);

/* Append the decoding of s[0..n) to b (any of the three kinds of field). */
void syntax_unescape(struct buf *b, const char *s, size_t n);
/* The decoding of s[0..n) as a new NUL-terminated string; the caller frees it. */
char *syntax_unescape_str(const char *s, size_t n);

/*
 * Which format a first line belongs to, so that every reader answers the
 * same: SYNTAX_EVENTS for an event stream's header ("H" alone, or "H "
 * and not "H (", which would be a frame), SYNTAX_FOLDED for a metadata
 * line or "STACK VALUE" (a space then digits at the end), else
 * SYNTAX_UNKNOWN.  line[0..len) is NUL-terminated.
 */
enum syntax_format { SYNTAX_UNKNOWN, SYNTAX_EVENTS, SYNTAX_FOLDED };
enum syntax_format syntax_guess(const char *line, size_t len);

#endif
