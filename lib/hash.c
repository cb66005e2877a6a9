/* hash.c - u64 -> u64 open-addressing map. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "err.h"

uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

void hash_release(struct hash *h)
{
	free(h->slots);
	h->slots = NULL;
	h->mask = 0;
	h->count = 0;
}

/*
 * Keys come from the input (ids, stack numbers), and hash_mix can be
 * inverted: a hostile file could pick ids that all land in one slot and
 * make every insertion walk all the others.  XOR-ing a secret drawn once
 * per process (the kernel's AT_RANDOM bytes) first makes that guesswork.
 * No output depends on the slot order.
 */
static uint64_t seed;

static size_t home(const struct hash *h, uint64_t key)
{
	return (size_t)hash_mix(key ^ seed) & h->mask;
}

static void draw_seed(void)
{
	const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
	if (seed || !random)
		return;
	memcpy(&seed, random, sizeof seed);
}

uint64_t *hash_get(const struct hash *h, uint64_t key)
{
	/* The reserved key would match the first empty slot it meets. */
	if (!h->slots || key == HASH_EMPTY)
		return NULL;
	for (size_t i = home(h, key);; i = (i + 1) & h->mask) {
		if (h->slots[i].key == key)
			return &h->slots[i].value;
		if (h->slots[i].key == HASH_EMPTY)
			return NULL;
	}
}

static void rehash(struct hash *h, size_t cap)
{
	if (!h->slots && !seed)
		draw_seed();
	struct hash_slot *old = h->slots;
	size_t oldcap = old ? h->mask + 1 : 0;
	h->slots = xmalloc(cap * sizeof *h->slots);
	h->mask = cap - 1;
	for (size_t i = 0; i < cap; i++)
		h->slots[i].key = HASH_EMPTY;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key == HASH_EMPTY)
			continue;
		size_t j = home(h, old[i].key);
		while (h->slots[j].key != HASH_EMPTY)
			j = (j + 1) & h->mask;
		h->slots[j] = old[i];
	}
	free(old);
}

uint64_t *hash_put(struct hash *h, uint64_t key, int *added)
{
	if (key == HASH_EMPTY)
		die("internal error: reserved hash key");
	if (!h->slots || (h->count + 1) * 4 > (h->mask + 1) * 3)
		rehash(h, h->slots ? (h->mask + 1) * 2 : 64);
	size_t i = home(h, key);
	for (; h->slots[i].key != HASH_EMPTY; i = (i + 1) & h->mask) {
		if (h->slots[i].key == key) {
			if (added)
				*added = 0;
			return &h->slots[i].value;
		}
	}
	h->slots[i].key = key;
	h->slots[i].value = 0;
	h->count++;
	if (added)
		*added = 1;
	return &h->slots[i].value;
}

int hash_remove(struct hash *h, uint64_t key, uint64_t *value)
{
	uint64_t *v = hash_get(h, key);
	if (!v)
		return 0;
	if (value)
		*value = *v;
	size_t i = (size_t)((struct hash_slot *)((char *)v - offsetof(struct hash_slot, value)) - h->slots);
	/* Backward-shift: pull later members of the probe run into the hole. */
	for (size_t j = (i + 1) & h->mask; h->slots[j].key != HASH_EMPTY; j = (j + 1) & h->mask) {
		size_t k = home(h, h->slots[j].key);
		/* Move j into i unless its home lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			h->slots[i] = h->slots[j];
			i = j;
		}
	}
	h->slots[i].key = HASH_EMPTY;
	h->count--;
	return 1;
}
