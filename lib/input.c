/* input.c - gzip-transparent line reader with line numbers. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"

enum { CHUNK = 1 << 16 };

/* zlib prefixes its messages with "<fd:N>: ", which means nothing to a user. */
static const char *gz_message(gzFile gz)
{
	int err;
	const char *msg = gzerror(gz, &err);
	if (err == Z_ERRNO)
		return strerror(errno);
	const char *colon = strncmp(msg, "<fd:", 4) == 0 ? strstr(msg, ": ") : NULL;
	return colon ? colon + 2 : msg;
}

void input_open(struct input *in, const char *path)
{
	memset(in, 0, sizeof *in);
	int fd;
	if (!path || strcmp(path, "-") == 0) {
		in->name = "-";
		fd = dup(0);
		if (fd < 0)
			die_errno("cannot read standard input");
	} else {
		in->name = path;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die_errno("cannot open '%s'", path);
	}
	/* gzdopen reads plain files unchanged, so one path serves both. */
	gzFile gz = gzdopen(fd, "rb");
	if (!gz)
		die("cannot open '%s': out of memory", in->name);
	gzbuffer(gz, CHUNK);
	in->gz = gz;
	in->buf = xmalloc(CHUNK);
}

static int refill(struct input *in)
{
	if (in->eof)
		return 0;
	int n = gzread(in->gz, in->buf, CHUNK);
	if (n < 0 || (n == 0 && !gzeof(in->gz)))
		die("%s:%lu: cannot read: %s", in->name, in->lineno + 1,
		    gz_message(in->gz));
	if (n == 0) {
		/* zlib reports a gzip stream cut short only through gzerror. */
		int err;
		gzerror(in->gz, &err);
		if (err != Z_OK && err != Z_STREAM_END)
			die("%s:%lu: truncated or corrupt gzip input: %s", in->name,
			    in->lineno + 1, gz_message(in->gz));
		in->eof = 1;
		return 0;
	}
	in->bufpos = 0;
	in->buflen = (size_t)n;
	/* One scan per chunk instead of one per line: lines are checked only if it has one. */
	in->chunk_has_nul = memchr(in->buf, '\0', in->buflen) != NULL;
	return 1;
}

void input_unget(struct input *in)
{
	if (in->line)
		in->pushed_back = 1;
}

/*
 * Room in in->own for need bytes, need at most INPUT_MAX_LINE + 1: grown
 * by doubling but never past that, so a line at the limit costs no more.
 */
static void own_reserve(struct input *in, size_t need)
{
	if (need <= in->cap)
		return;
	size_t cap = in->cap ? in->cap : CHUNK;
	while (cap < need)
		cap *= 2;
	if (cap > INPUT_MAX_LINE + 1)
		cap = INPUT_MAX_LINE + 1;
	in->own = xrealloc(in->own, cap);
	in->cap = cap;
}

int input_getline(struct input *in)
{
	size_t len = 0;
	if (in->pushed_back) {
		in->pushed_back = 0;
		return 1;
	}
	/* Fast path: the whole line is in the buffer; it is used in place. */
	if (in->bufpos < in->buflen) {
		char *start = in->buf + in->bufpos;
		char *nl = memchr(start, '\n', in->buflen - in->bufpos);
		if (nl) {
			*nl = '\0';
			in->line = start;
			in->len = (size_t)(nl - start);
			in->bufpos += in->len + 1;
			in->lineno++;
			if (in->chunk_has_nul && memchr(in->line, '\0', in->len))
				input_error(in, "binary data (a NUL byte) where a text line was expected");
			return 1;
		}
	}
	for (;;) {
		if (in->bufpos == in->buflen && !refill(in)) {
			if (len == 0)
				return 0;
			in->missing_newline = 1;
			break;
		}
		char *start = in->buf + in->bufpos;
		size_t avail = in->buflen - in->bufpos;
		char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) : avail;
		if (take > INPUT_MAX_LINE - len) {
			in->lineno++;
			input_error(in, "line longer than %zu MiB", INPUT_MAX_LINE >> 20);
		}
		own_reserve(in, len + take + 1);
		memcpy(in->own + len, start, take);
		len += take;
		in->bufpos += take + (nl != NULL);
		if (nl)
			break;
	}
	own_reserve(in, len + 1);
	in->line = in->own;
	in->line[len] = '\0';
	in->len = len;
	in->lineno++;
	if (memchr(in->line, '\0', len))
		input_error(in, "binary data (a NUL byte) where a text line was expected");
	return 1;
}

void input_close(struct input *in)
{
	if (in->gz)
		gzclose(in->gz);
	free(in->buf);
	free(in->own);
	memset(in, 0, sizeof *in);
}

static void vinput_message(const struct input *in, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s:%lu: ", progname, in->name, in->lineno);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

noreturn void input_error(const struct input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vinput_message(in, fmt, ap);
	va_end(ap);
	mf_exit(EXIT_INPUT);
}

void input_warn(const struct input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vinput_message(in, fmt, ap);
	va_end(ap);
}
