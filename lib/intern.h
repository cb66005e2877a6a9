/*
 * intern.h - string interning: equal strings get the same dense id.
 *
 * Ids are 0, 1, 2, ... in order of first appearance.  The table owns copies
 * of the strings; intern_str() returns a pointer that stays valid until
 * intern_release().  Strings may contain any byte but NUL.
 */
#ifndef MF_INTERN_H
#define MF_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct intern {
	struct hash index;	/* string hash -> chain head (id + 1) */
	char **strs;
	size_t *lens;
	uint32_t *next;		/* next id with the same hash, + 1 */
	size_t count, cap;
};

#define INTERN_INIT { HASH_INIT, NULL, NULL, NULL, 0, 0 }

void intern_release(struct intern *t);
/* The id of s[0..n), added when absent. */
uint32_t intern(struct intern *t, const char *s, size_t n);
/* The id of s[0..n), or -1 when absent. */
int64_t intern_find(const struct intern *t, const char *s, size_t n);
/*
 * Every id, ordered by its string byte by byte (as LC_ALL=C sort): a new
 * array of t->count ids that the caller frees.
 */
uint32_t *intern_sorted(const struct intern *t);
static inline const char *intern_str(const struct intern *t, uint32_t id)
{
	return t->strs[id];
}
static inline size_t intern_len(const struct intern *t, uint32_t id)
{
	return t->lens[id];
}

#endif
