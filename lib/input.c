/*
 * input.c - a line reader over plain, gzip or zstd input, with line numbers.
 *
 * Two layers.  The source (struct input_source) makes the input's bytes:
 * zlib's gzread reads the file, inflating gzip and passing anything else
 * through unchanged; when what it passes through starts with a zstd magic
 * number, libzstd decompresses it.  The line reader above cuts those bytes
 * into lines, in place when a line lies within one chunk.
 *
 * A compressed source moves into a thread of its own once it has made
 * THREAD_AFTER bytes (small inputs, the tests' and the fuzzers', never
 * pay for a thread): from then on it fills SLOTS chunks of SLOT_BYTES
 * ahead of the line reader, which takes them in order and hands each back
 * when it moves to the next.  A source error is kept, with the text made
 * before it, so that the line reader meets it where the text stops.
 */
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_createDStream_advanced: zstd_alloc */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "err.h"

enum {
	CHUNK = 1 << 16,	/* a chunk of text before the thread starts */
	PACKED = 1 << 17,	/* zstd input read at a time (ZSTD_DStreamInSize) */
	SLOTS = 4,
	SLOT_BYTES = (int)(INPUT_AHEAD / SLOTS),
	THREAD_AFTER = 4 << 20,
};

/* The fuzzing harnesses build with INPUT_SINGLE_THREAD (tests/fuzz/build.mk says why). */
#ifdef INPUT_SINGLE_THREAD
static const int use_thread = 0;
#else
static const int use_thread = 1;
#endif

enum source_status { SOURCE_DATA, SOURCE_END, SOURCE_ERROR };

struct slot {
	char *data;
	size_t len;
	enum source_status status;
	int has_nul;		/* data holds a NUL byte (looked for by the thread) */
};

struct input_source {
	gzFile gz;		/* the file: gzip inflated, anything else as it is */
	int sniffed;		/* the first bytes were read and the format chosen */
	int compressed;		/* gzip or zstd: decompressing is worth a thread */
	ZSTD_DStream *zstd;	/* the data is zstd */
	int frame_open;		/* a zstd frame is begun and not finished */
	/* bytes read from gz not yet used: zstd input, or (read while
	 * choosing the format) text not yet given out */
	ZSTD_inBuffer packed;
	char *packed_buf;
	int file_ended;		/* gz has no more bytes */
	int failed;		/* error holds what went wrong; only errors follow */
	char error[256];
	char *chunk;		/* the line reader's chunk before the thread */
	size_t made;		/* text made before the thread */
	/* the thread, once started */
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct slot slots[SLOTS];
	size_t first, nfilled;	/* slots[first] is the oldest filled one */
	int holding;		/* the line reader reads slots[first] */
	int stop;
};

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

/* Keep the message; from now on the source makes only this error. */
__attribute__((format(printf, 2, 3)))
static enum source_status fail(struct input_source *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof s->error, fmt, ap);
	va_end(ap);
	s->failed = 1;
	return SOURCE_ERROR;
}

/*
 * zstd's memory through malloc and free called from here: the fuzzing
 * harnesses (tests/fuzz/track.c) wrap those of mf's own objects, and so
 * free what an input error left behind.
 */
static void *zstd_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return malloc(size);
}

static void zstd_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
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
	/* gzdopen reads anything not gzip unchanged: plain text, and zstd for libzstd. */
	gzFile gz = gzdopen(fd, "rb");
	if (!gz)
		die("cannot open '%s': out of memory", in->name);
	gzbuffer(gz, PACKED);
	struct input_source *s = xcalloc(1, sizeof *s);
	s->gz = gz;
	s->packed_buf = xmalloc(PACKED);
	s->chunk = xmalloc(CHUNK);
	in->src = s;
}

/* Up to cap bytes of the file (inflated if gzip) into dst. */
static enum source_status read_file(struct input_source *s, char *dst, size_t cap, size_t *n)
{
	int got = gzread(s->gz, dst, (unsigned)cap);
	if (got < 0 || (got == 0 && !gzeof(s->gz)))
		return fail(s, "cannot read: %s", gz_message(s->gz));
	if (got == 0) {
		/* zlib reports a gzip stream cut short only through gzerror. */
		int err;
		gzerror(s->gz, &err);
		if (err != Z_OK && err != Z_STREAM_END)
			return fail(s, "truncated or corrupt gzip input: %s", gz_message(s->gz));
		s->file_ended = 1;
		return SOURCE_END;
	}
	*n = (size_t)got;
	return SOURCE_DATA;
}

/* A zstd frame (28 b5 2f fd) or a skippable frame (5? 2a 4d 18), as zstd -d reads them. */
static int zstd_magic(const unsigned char *p, size_t n)
{
	if (n < 4)
		return 0;
	return (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) ||
	       ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18);
}

/* Read the first bytes and choose: gzip (zlib inflates), zstd, or text as it is. */
static enum source_status sniff(struct input_source *s)
{
	size_t n = 0;
	s->sniffed = 1;
	enum source_status st = read_file(s, s->packed_buf, PACKED, &n);
	if (st == SOURCE_ERROR)
		return st;
	s->packed = (ZSTD_inBuffer){ s->packed_buf, n, 0 };
	s->compressed = !gzdirect(s->gz);
	if (gzdirect(s->gz) && zstd_magic((const unsigned char *)s->packed_buf, n)) {
		ZSTD_customMem mem = { zstd_alloc, zstd_free, NULL };
		s->zstd = ZSTD_createDStream_advanced(mem);
		if (!s->zstd)
			die("out of memory");
		s->compressed = 1;
	}
	return SOURCE_DATA;
}

static const char *zstd_message(size_t code)
{
	/* libzstd's names are capitalised; mf's messages are not. */
	static _Thread_local char msg[128];
	snprintf(msg, sizeof msg, "%s", ZSTD_getErrorName(code));
	if (msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z'))
		msg[0] = (char)(msg[0] - 'A' + 'a');
	return msg;
}

/*
 * Up to cap bytes of text decompressed from zstd.  A frame still open when
 * the file ends (nothing more coming out of it) is a file cut short.
 */
static enum source_status read_zstd(struct input_source *s, char *dst, size_t cap, size_t *n)
{
	ZSTD_outBuffer out = { dst, cap, 0 };
	while (out.pos < out.size) {
		if (s->packed.pos == s->packed.size && !s->file_ended) {
			size_t got = 0;
			enum source_status st = read_file(s, s->packed_buf, PACKED, &got);
			if (st == SOURCE_ERROR)
				break;
			s->packed = (ZSTD_inBuffer){ s->packed_buf, got, 0 };
		}
		int starved = s->packed.pos == s->packed.size;	/* and the file ended */
		if (starved && !s->frame_open)
			break;
		size_t before = out.pos;
		size_t r = ZSTD_decompressStream(s->zstd, &out, &s->packed);
		if (ZSTD_isError(r)) {
			fail(s, "truncated or corrupt zstd input: %s", zstd_message(r));
			break;
		}
		s->frame_open = r != 0;
		if (starved && s->frame_open && out.pos == before) {
			fail(s, "truncated or corrupt zstd input: unexpected end of file");
			break;
		}
	}
	*n = out.pos;
	/* Text made before an error comes first; the error with the next call. */
	if (out.pos)
		return SOURCE_DATA;
	return s->failed ? SOURCE_ERROR : SOURCE_END;
}

/* Up to cap bytes of text into dst (at least one unless it returns END or ERROR). */
static enum source_status produce(struct input_source *s, char *dst, size_t cap, size_t *n)
{
	if (s->failed)
		return SOURCE_ERROR;
	if (!s->sniffed && sniff(s) == SOURCE_ERROR)
		return SOURCE_ERROR;
	if (s->zstd)
		return read_zstd(s, dst, cap, n);
	if (s->packed.pos < s->packed.size) {
		size_t take = s->packed.size - s->packed.pos;
		take = take < cap ? take : cap;
		memcpy(dst, (const char *)s->packed.src + s->packed.pos, take);
		s->packed.pos += take;
		*n = take;
		return SOURCE_DATA;
	}
	if (s->file_ended)
		return SOURCE_END;
	return read_file(s, dst, cap, n);
}

/* Fill dst with up to cap bytes: fewer only at the end or before an error. */
static enum source_status fill(struct input_source *s, char *dst, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		size_t n = 0;
		enum source_status st = produce(s, dst + *len, cap - *len, &n);
		if (st != SOURCE_DATA)
			return *len ? SOURCE_DATA : st;
		*len += n;
	}
	return SOURCE_DATA;
}

/* The thread: fills the free slots in order, until the end, an error or a stop. */
static void *decompress_ahead(void *arg)
{
	struct input_source *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->nfilled == SLOTS && !s->stop)
			pthread_cond_wait(&s->changed, &s->lock);
		if (s->stop)
			break;
		struct slot *slot = &s->slots[(s->first + s->nfilled) % SLOTS];
		pthread_mutex_unlock(&s->lock);
		slot->status = fill(s, slot->data, SLOT_BYTES, &slot->len);
		/* Here, where the text is still in this core's cache, rather
		 * than in the line reader's thread, the busier of the two. */
		slot->has_nul = memchr(slot->data, '\0', slot->len) != NULL;
		pthread_mutex_lock(&s->lock);
		s->nfilled++;
		pthread_cond_broadcast(&s->changed);
		if (slot->status != SOURCE_DATA)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Move the source into its thread; without one (it cannot start), stay here. */
static void start_thread(struct input_source *s)
{
	for (int i = 0; i < SLOTS; i++)
		s->slots[i].data = xmalloc(SLOT_BYTES);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	s->threaded = pthread_create(&s->thread, NULL, decompress_ahead, s) == 0;
	if (s->threaded)
		return;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	for (int i = 0; i < SLOTS; i++)
		free(s->slots[i].data);
}

/*
 * Hand back the slot read so far and take the next one, waiting for it:
 * its text, and whether that holds a NUL byte.
 */
static enum source_status take_slot(struct input_source *s, char **data, size_t *len,
				    int *has_nul)
{
	pthread_mutex_lock(&s->lock);
	if (s->holding) {
		s->first = (s->first + 1) % SLOTS;
		s->nfilled--;
		s->holding = 0;
		pthread_cond_broadcast(&s->changed);
	}
	while (s->nfilled == 0)
		pthread_cond_wait(&s->changed, &s->lock);
	s->holding = 1;
	struct slot *slot = &s->slots[s->first];
	pthread_mutex_unlock(&s->lock);
	*data = slot->data;
	*len = slot->len;
	*has_nul = slot->has_nul;
	return slot->status;
}

/* The next chunk of text into in->buf; 0 at the end.  Dies on a source error. */
static int refill(struct input *in)
{
	struct input_source *s = in->src;
	size_t n = 0;
	enum source_status st;
	int has_nul = 0;
	if (in->eof)
		return 0;
	if (use_thread && !s->threaded && s->compressed && s->made >= THREAD_AFTER)
		start_thread(s);
	if (s->threaded) {
		st = take_slot(s, &in->buf, &n, &has_nul);
	} else {
		st = fill(s, s->chunk, CHUNK, &n);
		in->buf = s->chunk;
		s->made += n;
		/* One scan per chunk instead of one per line: lines are checked only if it has one. */
		has_nul = memchr(in->buf, '\0', n) != NULL;
	}
	if (st == SOURCE_ERROR)
		die("%s:%lu: %s", in->name, in->lineno + 1, s->error);
	if (st == SOURCE_END) {
		in->eof = 1;
		return 0;
	}
	in->bufpos = 0;
	in->buflen = n;
	in->chunk_has_nul = has_nul;
	return 1;
}

/*
 * The first '\n' of [p, end), or NULL.  Most lines of a capture are about
 * ten bytes, too short for memchr's setup to pay: the first 32 bytes are
 * scanned eight at a time here (a zero byte of w ^ "\n\n..." is a newline;
 * the lowest one found is exact), the rest by memchr.
 */
static inline char *find_newline(char *p, char *end)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	for (int i = 0; i < 4 && end - p >= 8; i++, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= ones * '\n';
		uint64_t zero = (w - ones) & ~w & highs;
		if (zero)
			return p + (__builtin_ctzll(zero) >> 3);
	}
#endif
	return memchr(p, '\n', (size_t)(end - p));
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
		char *nl = find_newline(start, in->buf + in->buflen);
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

static void stop_thread(struct input_source *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	for (int i = 0; i < SLOTS; i++)
		free(s->slots[i].data);
}

void input_close(struct input *in)
{
	struct input_source *s = in->src;
	if (s) {
		if (s->threaded)
			stop_thread(s);
		gzclose(s->gz);
		ZSTD_freeDStream(s->zstd);
		free(s->packed_buf);
		free(s->chunk);
		free(s);
	}
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
