/*
 * writer_output.h - where the writer's records go: megabytes of text
 * filled in place, handed in order to a second thread that writes (and
 * compresses) them while the next ones fill.
 *
 * One record is written per event, so the common records are formatted
 * straight into the buffer (text_room, then text_commit) rather than into
 * a line of their own and copied; a megabyte makes few, large writes.
 * Records that may take their time are built in line (a struct buf) and
 * ended with text_end_line.
 *
 * TEXT_BUFFERS buffers, not two: a write(2) of plain text into the page
 * cache now and then takes far longer than filling a megabyte does (the
 * kernel writing back, a journal commit), and with one buffer waiting the
 * writer would wait with it, and the recorded program with the writer.
 * Eight megabytes queued absorb such a stall; compressing never needed them.
 *
 * A capture may be many gigabytes: it keeps only its last
 * OUTPUT_DROP_LAG bytes in the page cache (output_drop_behind), so that
 * writing it reuses pages rather than taking new ones.  The output
 * thread is named "mf-output".
 *
 *	text_start(&t, out);			// starts the output thread
 *	char *p = text_room(&t, 40); ...; text_commit(&t, p, end);
 *	buf_adds(&t.line, "T 1 ..."); text_end_line(&t);
 *	text_finish(&t);			// all written, the thread joined
 *	text_release(&t);
 *
 * A write error dies (lib/output.h), in whichever thread meets it; or,
 * for a capture started soft (one of many: a process --follow-fork
 * follows), ends that capture only: text_error() then says what went
 * wrong, out is no longer touched (its owner may abandon it), and what
 * comes after is dropped, so the writer goes on as before.
 */
#ifndef MF_WRITER_OUTPUT_H
#define MF_WRITER_OUTPUT_H

#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "output.h"

enum { TEXT_BYTES = 1 << 20, TEXT_BUFFERS = 8 };

struct writer_output {
	struct buf line;	/* a record being built; text_end_line writes it */
	char *text;		/* the buffer being filled: one of texts */
	size_t text_len;
	/* private */
	struct output *out;
	char *texts[TEXT_BUFFERS];
	size_t lens[TEXT_BUFFERS];
	/*
	 * texts[first] .. texts[first + handed - 1] (modulo TEXT_BUFFERS) are
	 * handed to the output thread, in order; the next one is being filled.
	 * aside: the thread runs (until text_finish).
	 */
	int aside;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t first, handed;
	int finished;
	int soft;		/* a write error ends this capture, not the program */
	char *error;		/* set (under lock) once one did */
};

/*
 * Start writing to out (kept, not owned), soft or not (see above); dies
 * if the thread cannot start.
 */
void text_start(struct writer_output *t, struct output *out, int soft);
/* NULL, or (soft) the write error that ended the capture; t's, freed with it.  Any thread. */
const char *text_error(struct writer_output *t);
/* Hand what is buffered to the output thread. */
void text_flush(struct writer_output *t);
/* Write everything and stop the thread; out is then the caller's again. */
void text_finish(struct writer_output *t);
void text_release(struct writer_output *t);
/* Write s[0..n), of any length. */
void text_write(struct writer_output *t, const char *s, size_t n);
/* Write line and a newline; line is emptied. */
void text_end_line(struct writer_output *t);

/* Where the next n bytes (at most TEXT_BYTES) go; text_commit counts them. */
static inline char *text_room(struct writer_output *t, size_t n)
{
	if (t->text_len + n > TEXT_BYTES)
		text_flush(t);
	return t->text + t->text_len;
}

/* The bytes from start (text_room's) up to end are written. */
static inline void text_commit(struct writer_output *t, const char *start, const char *end)
{
	t->text_len += (size_t)(end - start);
}

#endif
