/* writer_live.c - the live blocks by address (see writer_live.h). */
#include "writer_live.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "err.h"

void live_reserved(void)
{
	die("internal error: reserved hash key");
}

/*
 * A table of many megabytes is read at random, once per event: on small
 * pages nearly every lookup also misses the TLB, so a big table asks for
 * huge pages (2 MiB aligned; only a hint).
 */
static struct live_block *new_slots(size_t cap)
{
	enum { HUGE_PAGE = 2 << 20 };
	size_t bytes = cap * sizeof(struct live_block);
	if (bytes < 2 * HUGE_PAGE)
		return xmalloc(bytes);
	void *p;
	if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
		die("out of memory");
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/*
 * The capacity for the next block: twice the old, or the old again when
 * the freed addresses are forgotten (so many that the live blocks are
 * fewer than a quarter of the slots).
 */
static size_t next_capacity(const struct live *t, int *forget)
{
	size_t oldcap = t->slots ? t->mask + 1 : 0;
	*forget = t->freed >= LIVE_FORGET && t->freed > t->count - t->freed;
	if (*forget)
		return oldcap;
	if (oldcap > SIZE_MAX / 4 / sizeof *t->slots)
		die("out of memory");
	return oldcap ? oldcap * 2 : 1024;
}

void live_grow(struct live *t)
{
	size_t oldcap = t->slots ? t->mask + 1 : 0;
	int forget;
	size_t cap = next_capacity(t, &forget);
	struct live_block *old = t->slots;
	t->slots = new_slots(cap);
	t->mask = cap - 1;
	t->shift = 64;
	for (size_t c = cap; c > 1; c >>= 1)
		t->shift--;
	for (size_t i = 0; i < cap; i++)
		t->slots[i].addr = LIVE_EMPTY;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].addr == LIVE_EMPTY || (forget && old[i].number == LIVE_FREED))
			continue;
		size_t j = live_home(t, old[i].addr);
		while (t->slots[j].addr != LIVE_EMPTY)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	if (forget) {
		t->count -= t->freed;
		t->freed = 0;
	}
	free(old);
}

void live_release(struct live *t)
{
	free(t->slots);
	*t = (struct live){ 0 };
}

enum live_was live_free(struct live *t, uint64_t addr, struct live_block *old)
{
	if (!t->slots || addr == LIVE_EMPTY)
		return LIVE_WAS_UNKNOWN;
	size_t i = live_home(t, addr);
	for (; t->slots[i].addr != addr; i = (i + 1) & t->mask)
		if (t->slots[i].addr == LIVE_EMPTY)
			return LIVE_WAS_UNKNOWN;
	if (t->slots[i].number == LIVE_FREED)
		return LIVE_WAS_FREED;
	*old = t->slots[i];
	/* Kept, marked: probes go on past it, and a second free is known. */
	t->slots[i].number = LIVE_FREED;
	t->freed++;
	return LIVE_WAS_LIVE;
}
