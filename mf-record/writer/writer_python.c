/*
 * writer_python.c - code objects and their lines (see writer_python.h).
 */
#include "writer_python.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void python_release(struct writer_python *p)
{
	for (size_t i = 0; i < p->ncodes; i++) {
		free(p->codes[i].qualname);
		free(p->codes[i].filename);
		free(p->codes[i].table);
	}
	free(p->codes);
	hash_release(&p->ids);
}

/* len bytes of characters width bytes wide (latin-1, UCS-2, UCS-4), as UTF-8. */
static char *utf8_of(const unsigned char *s, uint32_t len, unsigned width)
{
	struct buf b = BUF_INIT;
	for (uint32_t i = 0; i + width <= len; i += width) {
		uint32_t c = s[i];
		if (width >= 2)
			c |= (uint32_t)s[i + 1] << 8;
		if (width == 4)
			c |= (uint32_t)s[i + 2] << 16 | (uint32_t)s[i + 3] << 24;
		if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			c = 0xfffd;	/* not a character: the replacement character */
		if (c < 0x80) {
			buf_addc(&b, (char)c);
		} else if (c < 0x800) {
			buf_addc(&b, (char)(0xc0 | c >> 6));
			buf_addc(&b, (char)(0x80 | (c & 0x3f)));
		} else if (c < 0x10000) {
			buf_addc(&b, (char)(0xe0 | c >> 12));
			buf_addc(&b, (char)(0x80 | (c >> 6 & 0x3f)));
			buf_addc(&b, (char)(0x80 | (c & 0x3f)));
		} else {
			buf_addc(&b, (char)(0xf0 | c >> 18));
			buf_addc(&b, (char)(0x80 | (c >> 12 & 0x3f)));
			buf_addc(&b, (char)(0x80 | (c >> 6 & 0x3f)));
			buf_addc(&b, (char)(0x80 | (c & 0x3f)));
		}
	}
	char *s8 = xstrdup(buf_str(&b));
	buf_release(&b);
	return s8;
}

static int good_width(unsigned w)
{
	return w == 1 || w == 2 || w == 4;
}

void python_code(struct writer_python *p, const struct mf_event *ev)
{
	uint32_t qlen = (uint32_t)ev->b, flen = (uint32_t)(ev->b >> 32);
	unsigned qwidth = ev->c & 0xff, fwidth = ev->c >> 8 & 0xff;
	uint32_t tlen = (uint32_t)(ev->c >> 32);
	if (!good_width(qwidth) || !good_width(fwidth) || qlen > MF_PY_NAME_MAX ||
	    flen > MF_PY_NAME_MAX || tlen > MF_PY_TABLE_MAX ||
	    sizeof *ev + (uint64_t)qlen + flen + tlen > ev->size)
		die("the recorded process sent a bad Python code object");
	int added;
	uint64_t *slot = hash_put(&p->ids, ev->key, &added);
	if (!added)
		die("the recorded process sent Python code object %llu twice",
		    (unsigned long long)ev->key);
	const unsigned char *data = (const unsigned char *)(ev + 1);
	p->codes = xgrow(p->codes, &p->cap_codes, p->ncodes + 1, sizeof *p->codes);
	struct py_code *c = &p->codes[p->ncodes++];
	c->qualname = utf8_of(data, qlen, qwidth);
	c->filename = utf8_of(data + qlen, flen, fwidth);
	c->first_line = (int64_t)ev->a;
	c->table_len = tlen;
	c->table = xmalloc(tlen ? tlen : 1);
	memcpy(c->table, data + qlen + flen, tlen);
	*slot = p->ncodes;
}

const struct py_code *python_code_of(const struct writer_python *p, uint64_t id)
{
	const uint64_t *index = hash_get(&p->ids, id);
	if (!index)
		die("the recorded process named Python code object %llu, never sent",
		    (unsigned long long)id);
	return &p->codes[*index - 1];
}

/* A varint of the location table: 6 bits a byte, low first, 0x40 says more. */
static uint64_t read_varint(const unsigned char *t, uint32_t len, uint32_t *i)
{
	uint64_t v = 0;
	for (unsigned shift = 0; *i < len && shift < 64; shift += 6) {
		unsigned char b = t[(*i)++];
		v |= (uint64_t)(b & 0x3f) << shift;
		if (!(b & 0x40))
			break;
	}
	return v;
}

static int64_t read_svarint(const unsigned char *t, uint32_t len, uint32_t *i)
{
	uint64_t v = read_varint(t, len, i);
	return v & 1 ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
}

/*
 * CPython 3.11's location table (Objects/locations.md in its sources):
 * entries of 1 to 8 code units of 2 bytes, each starting with a byte with
 * bit 7 set: bits 3-6 its form, bits 0-2 its length - 1.  Forms 0-9 keep
 * the line (one byte of columns follows), 10-12 add form - 10 (two
 * bytes follow), 13 adds a signed varint, 14 adds a signed varint (three
 * varints follow), 15 has no line.
 */
unsigned python_line(const struct py_code *c, int64_t offset)
{
	const unsigned char *t = c->table;
	uint32_t len = c->table_len, i = 0;
	int64_t line = c->first_line, addr = 0;
	if (offset < 0)
		return c->first_line > 0 ? (unsigned)c->first_line : 0;
	while (i < len) {
		unsigned char head = t[i++];
		unsigned form = head >> 3 & 15;
		int64_t end = addr + 2 * ((head & 7) + 1);
		int has_line = 1;
		if (form < 10) {
			i += 1;
		} else if (form < 13) {
			line += form - 10;
			i += 2;
		} else if (form == 13) {
			line += read_svarint(t, len, &i);
		} else if (form == 14) {
			line += read_svarint(t, len, &i);
			read_varint(t, len, &i);
			read_varint(t, len, &i);
			read_varint(t, len, &i);
		} else {
			has_line = 0;
		}
		if (offset < end)
			return has_line && line > 0 ? (unsigned)line : 0;
		addr = end;
		while (i < len && !(t[i] & 0x80))
			i++;	/* a cut table ends in the middle of an entry */
	}
	return 0;
}
