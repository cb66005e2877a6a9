/*
 * events_scan.c - the decompressing thread's share of reading an event
 * stream: the numbers of the 'a' and 'f' lines, nearly all of a full
 * capture, parsed on the second core into records (struct ev_rec) that
 * the reader takes instead of parsing the text (events.c, fast_record).
 *
 * Only the form of a line is checked here, the same form the reader's
 * own fast path takes: what depends on the records before it (a thread
 * or stack defined, the capture's kind, an allocation live) is the
 * reader's, and any line without a record, or whose record it refuses,
 * it reads as text, so that every error names its line as before.
 */
#include "events_private.h"

/* The first newline at or after p, or NULL. */
static const char *line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

size_t ev_scan(const char *text, size_t from, size_t len, void *records)
{
	struct ev_rec *out = records;
	size_t n = 0;
	const char *p = text + from, *end = text + len;
	/* The last lines of the chunk, closer to its end than the longest
	 * line with a record, are left to the reader. */
	while (end - p >= FAST_LINE) {
		if ((p[0] == 'a' || p[0] == 'f') && ev_scan_line(p, &out[n])) {
			out[n].start = (uint32_t)(p - text);
			p += out[n].len + 1;
			n++;
			continue;
		}
		const char *nl = line_end(p, end);
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}
