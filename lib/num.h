/*
 * num.h - strict number parsing.
 *
 * Every number an mf program reads goes through here: decimal digits only
 * (no sign, no space, no "0x" unless the function says hex), the whole
 * string consumed, and overflow reported rather than wrapped.
 */
#ifndef MF_NUM_H
#define MF_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Parse s[0..n) as decimal. Returns 0 and sets *out, or -1. */
int parse_u64n(const char *s, size_t n, uint64_t *out);
/* Parse NUL-terminated s as decimal. Returns 0 and sets *out, or -1. */
int parse_u64(const char *s, uint64_t *out);
/* Parse NUL-terminated s as hexadecimal (no 0x). Returns 0 or -1. */
int parse_hex64(const char *s, uint64_t *out);
/*
 * Parse the argument of option opt (e.g. "--interval") as a decimal in
 * [min, max]; on failure print a usage error naming the option and exit 2.
 */
uint64_t option_u64(const char *usage, const char *opt, const char *arg,
		    uint64_t min, uint64_t max);

#endif
