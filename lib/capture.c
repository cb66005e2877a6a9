/* capture.c - what a capture file's name says, and the names mf builds from it. */
#include "capture.h"

#include <string.h>

#include "buf.h"

/* Whether the first n bytes of s end with suffix. */
static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

size_t capture_unpacked(const char *name)
{
	size_t n = strlen(name);
	if (ends_with(name, n, ".gz"))
		return n - strlen(".gz");
	if (ends_with(name, n, ".zst"))
		return n - strlen(".zst");
	return n;
}

size_t capture_stem(const char *name)
{
	size_t n = capture_unpacked(name);
	return ends_with(name, n, ".mft") ? n - strlen(".mft") : n;
}

char *capture_sibling(const char *file, const char *tag)
{
	size_t stem = capture_stem(file);
	struct buf name = BUF_INIT;
	buf_add(&name, file, stem);
	buf_addc(&name, '.');
	buf_adds(&name, tag);
	buf_adds(&name, file + stem);
	return buf_detach(&name);
}
