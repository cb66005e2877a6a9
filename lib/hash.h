/*
 * hash.h - an open-addressing hash map from 64-bit keys to 64-bit values.
 *
 * Linear probing with backward-shift deletion, so removals leave no
 * tombstones and a map that churns (the live allocations of a long
 * recording) keeps its probe lengths short.  The key HASH_EMPTY
 * (UINT64_MAX) is reserved.  The map owns its table; hash_release() frees
 * it.  Lookups return a pointer into the table that stays valid until the
 * next insertion or removal.
 */
#ifndef MF_HASH_H
#define MF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_EMPTY UINT64_MAX

struct hash_slot {
	uint64_t key;
	uint64_t value;
};

struct hash {
	struct hash_slot *slots;
	size_t mask;	/* capacity - 1; capacity is a power of two */
	size_t count;
};

#define HASH_INIT { NULL, 0, 0 }

void hash_release(struct hash *h);
/* The value of key, or NULL (always NULL for the reserved HASH_EMPTY). */
uint64_t *hash_get(const struct hash *h, uint64_t key);
/*
 * The value slot of key, inserted with value 0 when absent; *added (if not
 * NULL) says whether it was absent.
 */
uint64_t *hash_put(struct hash *h, uint64_t key, int *added);
/* Remove key; returns 1 if it was there (its value in *value if not NULL). */
int hash_remove(struct hash *h, uint64_t key, uint64_t *value);
/* Mix 64 bits well (splitmix64's finalizer); handy for combining keys. */
uint64_t hash_mix(uint64_t x);

/* Iterate: for (size_t i = 0; i <= h.mask && h.slots; i++) if (h.slots[i].key != HASH_EMPTY) */

#endif
