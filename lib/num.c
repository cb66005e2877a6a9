/* num.c - strict number parsing. */
#include "num.h"

#include <string.h>

#include "err.h"

int parse_u64n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -1;
	/* Up to 19 digits cannot overflow: the common case skips the check. */
	int check = n > 19;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (check && v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	return parse_u64n(s, strlen(s), out);
}

int parse_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned c = (unsigned char)*s, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (v >> 60)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

uint64_t option_u64(const char *usage, const char *opt, const char *arg,
		    uint64_t min, uint64_t max)
{
	uint64_t v;
	if (!arg || parse_u64(arg, &v) || v < min || v > max)
		usage_error(usage, "%s takes a whole number from %llu to %llu, not '%s'",
			    opt, (unsigned long long)min, (unsigned long long)max,
			    arg ? arg : "");
	return v;
}
