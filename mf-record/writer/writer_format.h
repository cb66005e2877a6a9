/*
 * writer_format.h - numbers to text, by hand: the records written per
 * event (a, f, t) and the other records made of a letter and numbers.
 *
 * Everything here is static inline: it runs for every event the recorded
 * program makes, from the file that handles the event.
 *
 *	format_numbers(t, EV_MEMORY, (uint64_t[]){ ms, heap, rss }, 3);
 *	FORMAT(t, EV_STACK, id, parent, frame);	// the same, counted for you
 */
#ifndef MF_WRITER_FORMAT_H
#define MF_WRITER_FORMAT_H

#include <stdint.h>
#include <string.h>

#include "../proto.h"
#include "syntax.h"
#include "writer_output.h"

/* How many decimal digits v has. */
static inline unsigned format_digits(uint64_t v)
{
	unsigned n = 1;
	for (uint64_t bound = 10; n < 20 && v >= bound; bound *= 10)
		n++;
	return n;
}

/* v in decimal at p (at most 20 bytes); returns the end.  Two digits per division. */
static inline char *format_u64(char *p, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	/* The length first, so the digits go straight to their place. */
	unsigned n = format_digits(v);
	char *q = p + n;
	while (v >= 100) {
		q -= 2;
		memcpy(q, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, pairs + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/* Write the record "TYPE V1 V2 ...\n". */
static inline void format_numbers(struct writer_output *t, char type, const uint64_t *v, size_t n)
{
	char *line = text_room(t, 2 + 21 * n), *p = line;
	*p++ = type;
	for (size_t i = 0; i < n; i++) {
		*p++ = ' ';
		p = format_u64(p, v[i]);
	}
	*p++ = '\n';
	text_commit(t, line, p);
}

#define FORMAT(t, type, ...) \
	format_numbers(t, type, (const uint64_t[]){ __VA_ARGS__ }, \
		       sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* "a THREAD NODE SIZE[ ALLOCATOR]", without the general loop. */
static inline void format_alloc(struct writer_output *t, uint32_t thread, uint32_t node,
				uint64_t size, unsigned allocator)
{
	static const char *const names[MF_ALLOCATOR_COUNT] = {
		[MF_MALLOC] = "", [MF_CALLOC] = " calloc", [MF_REALLOC] = " realloc",
		[MF_REALLOCARRAY] = " reallocarray", [MF_POSIX_MEMALIGN] = " posix_memalign",
		[MF_ALIGNED_ALLOC] = " aligned_alloc", [MF_MEMALIGN] = " memalign",
		[MF_VALLOC] = " valloc", [MF_PVALLOC] = " pvalloc", [MF_MMAP] = " mmap",
		[MF_MREMAP] = " mremap", [MF_MPROTECT] = " mprotect",
	};
	char *line = text_room(t, 4 + 3 * 21 + 16), *p = line;
	*p++ = EV_ALLOC;
	*p++ = ' ';
	p = format_u64(p, thread);
	*p++ = ' ';
	p = format_u64(p, node);
	*p++ = ' ';
	p = format_u64(p, size);
	if (allocator != MF_MALLOC) {
		size_t n = strlen(names[allocator]);
		memcpy(p, names[allocator], n);
		p += n;
	}
	*p++ = '\n';
	text_commit(t, line, p);
}

/*
 * "f THREAD BACK", the allocation BACK before the latest, or "f THREAD
 * +N" / "-N", the allocation N after or before the one the last f freed
 * (*last_freed, which becomes number), whichever is shorter: blocks are
 * mostly freed soon after they were made (small BACK), or in the order
 * they were made, or its reverse (small N, as when a program tears down a
 * large structure).
 */
static inline void format_free(struct writer_output *t, uint32_t thread, uint64_t number,
			       uint64_t latest, uint64_t *last_freed)
{
	char *line = text_room(t, 4 + 2 * 21), *p = line;
	uint64_t back = latest - number;
	*p++ = EV_FREE;
	*p++ = ' ';
	p = format_u64(p, thread);
	*p++ = ' ';
	if (back < 100) {
		p = format_u64(p, back);
	} else {
		int forward = number > *last_freed;
		uint64_t n = forward ? number - *last_freed : *last_freed - number;
		if (format_digits(n) + 1 < format_digits(back)) {
			*p++ = forward ? '+' : '-';
			p = format_u64(p, n);
		} else {
			p = format_u64(p, back);
		}
	}
	*p++ = '\n';
	text_commit(t, line, p);
	*last_freed = number;
}

#endif
