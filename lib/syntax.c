/* syntax.c - escaping and unescaping of mf's text formats (syntax.h). */
#include "syntax.h"

static const char hex_digits[] = "0123456789abcdef";

static void add_hex_escape(struct buf *b, unsigned char c)
{
	char e[4] = { '\\', 'x', hex_digits[c >> 4], hex_digits[c & 15] };
	buf_add(b, e, 4);
}

void syntax_escape(struct buf *b, const char *s, int word)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (word && *p == ' '))
			add_hex_escape(b, *p);
		else
			buf_addc(b, (char)*p);
	}
}

void syntax_escape_frame(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\' || c == ';')
			add_hex_escape(b, c);
		else
			buf_addc(b, (char)c);
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte \xHH at s[0..4) stands for, or -1 when it is not an escape we decode. */
static int escaped_byte(const char *s)
{
	if (s[0] != '\\' || s[1] != 'x')
		return -1;
	int hi = hex_value(s[2]), lo = hex_value(s[3]);
	if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
		return -1;
	return hi << 4 | lo;
}

void syntax_unescape(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	for (size_t i = 0; i < n; i++) {
		int c = i + 3 < n ? escaped_byte(s + i) : -1;
		if (c >= 0) {
			buf_addc(b, (char)c);
			i += 3;
		} else {
			buf_addc(b, s[i]);
		}
	}
}

char *syntax_unescape_str(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	syntax_unescape(&b, s, n);
	buf_add(&b, "", 0);	/* terminated even when nothing was added */
	return buf_detach(&b);
}

static int is_event_header(const char *line, size_t len)
{
	return len > 0 && line[0] == EV_HEADER && (len == 1 || (line[1] == ' ' && line[2] != '('));
}

static int looks_folded(const char *line, size_t len)
{
	if (len > 0 && line[0] == SYNTAX_COMMENT)
		return 1;
	size_t digits = 0;
	while (digits < len && line[len - 1 - digits] >= '0' && line[len - 1 - digits] <= '9')
		digits++;
	return digits > 0 && digits < len && line[len - 1 - digits] == ' ';
}

enum syntax_format syntax_guess(const char *line, size_t len)
{
	if (is_event_header(line, len))
		return SYNTAX_EVENTS;
	if (looks_folded(line, len))
		return SYNTAX_FOLDED;
	return SYNTAX_UNKNOWN;
}
