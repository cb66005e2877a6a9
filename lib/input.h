/*
 * input.h - read lines from a file or stdin, plain, gzip or zstd, transparently.
 *
 * Every reader in mf goes through here, so every input error has the same
 * shape: "PROG: NAME:LINE: what was expected".  A line is at most
 * INPUT_MAX_LINE bytes (64 MiB, docs/FORMAT.md): a longer one is an input
 * error naming it, so that memory stays bounded by something the input
 * cannot choose (a small .gz can hold one line of gigabytes).
 * A read error or a truncated or corrupt gzip or zstd stream is an error
 * (exit 1), never a silent end of file.
 *
 * The format is told by the data, never by the name: gzip (one member or
 * several), zstd (one frame or several, skippable frames included) or
 * anything else, taken as it is.  A compressed input that proves long
 * (several megabytes of text) is decompressed in a thread of its own, a
 * few megabytes ahead of the lines being read, so that on two cores the
 * caller parses one chunk while the next one is inflated; memory stays
 * bounded (INPUT_AHEAD bytes of text, and zstd's window).  Errors of that
 * thread are reported by input_getline() when the lines reach them, so a
 * truncated file still names the line where its text stops.
 *
 *	struct input in;
 *	input_open(&in, path);		// "-" or NULL is stdin, named "-"
 *	while (input_getline(&in)) use(in.line, in.len);
 *	input_close(&in);
 *
 * A struct input may be copied (ev_open_input does) before the first
 * line is read, or any time after: what the thread shares lives on the
 * heap, reached through a pointer.
 */
#ifndef MF_INPUT_H
#define MF_INPUT_H

#include <stddef.h>
#include <stdnoreturn.h>

/* The longest line (without its newline) any reader takes. */
#define INPUT_MAX_LINE ((size_t)64 << 20)
/* At most this much decompressed text waits ahead of the lines read. */
#define INPUT_AHEAD ((size_t)4 << 20)

struct input_source;	/* the decoder and its thread; private to input.c */

struct input {
	const char *name;	/* as given, or "-" for stdin */
	unsigned long lineno;	/* of the line last returned, from 1 */
	char *line;		/* the line, NUL-terminated, no newline */
	size_t len;
	int missing_newline;	/* the last line had no final newline */
	/* private */
	int pushed_back;	/* input_unget() was called */
	int chunk_has_nul;	/* the buffered chunk holds a NUL byte somewhere */
	char *own;		/* a line that spans chunks is copied here */
	struct input_source *src;
	char *buf;		/* the chunk being read (the source's) */
	size_t cap, bufpos, buflen;
	int eof;
};

/* Open path ("-" or NULL for stdin); dies with "cannot open 'path': ..." */
void input_open(struct input *in, const char *path);
/*
 * Read the next line into in->line (owned by in, valid until the next
 * call).  Returns 1, or 0 at end of input.  Dies on a read error, a
 * truncated or corrupt gzip or zstd stream ("truncated or corrupt zstd
 * input: unexpected end of file"), a NUL byte in a line, or a line longer
 * than INPUT_MAX_LINE ("line longer than 64 MiB").
 */
int input_getline(struct input *in);
/*
 * Push the line last returned back: the next input_getline() returns it
 * again, with the same line number.  Lets a program look at the first line
 * to choose a reader (mf-fold: event stream or folded stacks).
 */
void input_unget(struct input *in);
/*
 * A parser's fast path, which reads a short line without looking for its
 * newline first: the text after the line last returned, if the chunk at
 * hand holds at least need bytes of it (and no line was pushed back);
 * NULL otherwise, and input_getline() reads on.  Having found the line's
 * newline at nl, the parser takes it with input_take(): the line is
 * counted (input_error() names it) and the next line starts after nl, but
 * in->line and in->len are left as they were, as the parser has them
 * (and input_unget() must not follow).  A line a parser takes so must not
 * hold a NUL byte (a parser of digits and spaces never does).
 */
static inline const char *input_peek(const struct input *in, size_t need)
{
	if (in->pushed_back || in->buflen - in->bufpos < need)
		return NULL;
	return in->buf + in->bufpos;
}

static inline void input_take(struct input *in, const char *nl)
{
	in->bufpos = (size_t)(nl + 1 - in->buf);
	in->lineno++;
}

/* Stop the decompressing thread, if any, and free everything. */
void input_close(struct input *in);
/* Die with "PROG: NAME:LINE: message". */
noreturn void input_error(const struct input *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Warn with "PROG: NAME:LINE: message". */
void input_warn(const struct input *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
