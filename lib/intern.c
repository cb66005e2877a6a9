/* intern.c - string interning over the u64 hash map. */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a, then mixed */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	h = hash_mix(h);
	return h == HASH_EMPTY ? 0 : h;
}

void intern_release(struct intern *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->lens);
	free(t->next);
	hash_release(&t->index);
	memset(t, 0, sizeof *t);
}

int64_t intern_find(const struct intern *t, const char *s, size_t n)
{
	uint64_t *head = hash_get(&t->index, hash_bytes(s, n));
	for (uint32_t id1 = head ? (uint32_t)*head : 0; id1; id1 = t->next[id1 - 1]) {
		uint32_t id = id1 - 1;
		if (t->lens[id] == n && memcmp(t->strs[id], s, n) == 0)
			return id;
	}
	return -1;
}

uint32_t intern(struct intern *t, const char *s, size_t n)
{
	int64_t found = intern_find(t, s, n);
	if (found >= 0)
		return (uint32_t)found;
	if (t->count >= UINT32_MAX - 1)
		die("too many distinct strings");
	size_t cap = t->cap;
	t->strs = xgrow(t->strs, &cap, t->count + 1, sizeof *t->strs);
	cap = t->cap;
	t->lens = xgrow(t->lens, &cap, t->count + 1, sizeof *t->lens);
	cap = t->cap;
	t->next = xgrow(t->next, &cap, t->count + 1, sizeof *t->next);
	t->cap = cap;
	uint32_t id = (uint32_t)t->count++;
	t->strs[id] = xstrndup(s, n);
	t->lens[id] = n;
	uint64_t *head = hash_put(&t->index, hash_bytes(s, n), NULL);
	t->next[id] = (uint32_t)*head;
	*head = id + 1;
	return id;
}

static const struct intern *sort_table;

static int by_text(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	size_t nx = intern_len(sort_table, x), ny = intern_len(sort_table, y);
	int c = memcmp(intern_str(sort_table, x), intern_str(sort_table, y), nx < ny ? nx : ny);
	return c ? c : (nx > ny) - (nx < ny);
}

uint32_t *intern_sorted(const struct intern *t)
{
	uint32_t *order = xmalloc(t->count * sizeof *order);
	for (size_t i = 0; i < t->count; i++)
		order[i] = (uint32_t)i;
	sort_table = t;
	qsort(order, t->count, sizeof *order, by_text);
	return order;
}
