/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * struct buf b = BUF_INIT;  ...  buf_release(&b);
 * The buffer owns its data; buf_detach() hands the data to the caller.
 */
#ifndef MF_BUF_H
#define MF_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_release(struct buf *b);		/* free data, back to BUF_INIT */
void buf_clear(struct buf *b);			/* len = 0, keep the memory */
void buf_grow(struct buf *b, size_t extra);	/* room for extra more bytes */
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addu64(struct buf *b, unsigned long long v);	/* decimal */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *buf_detach(struct buf *b);		/* caller frees; b is reset */
/* The data, or "" when nothing was ever added. */
static inline const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

#endif
