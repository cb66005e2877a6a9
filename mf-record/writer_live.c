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

void live_grow(struct live *t)
{
	size_t oldcap = t->slots ? t->mask + 1 : 0;
	size_t cap = oldcap ? oldcap * 2 : 1024;
	struct live_block *old = t->slots;
	if (cap > SIZE_MAX / 2 / sizeof *t->slots)
		die("out of memory");
	t->slots = new_slots(cap);
	t->mask = cap - 1;
	t->shift = 64;
	for (size_t c = cap; c > 1; c >>= 1)
		t->shift--;
	for (size_t i = 0; i < cap; i++)
		t->slots[i].addr = LIVE_EMPTY;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].addr == LIVE_EMPTY)
			continue;
		size_t j = live_home(t, old[i].addr);
		while (t->slots[j].addr != LIVE_EMPTY)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	free(old);
}

void live_release(struct live *t)
{
	free(t->slots);
	*t = (struct live){ 0 };
}

int live_remove(struct live *t, uint64_t addr, struct live_block *old)
{
	if (!t->slots || addr == LIVE_EMPTY)
		return 0;
	size_t i = live_home(t, addr);
	for (; t->slots[i].addr != addr; i = (i + 1) & t->mask)
		if (t->slots[i].addr == LIVE_EMPTY)
			return 0;
	*old = t->slots[i];
	/* Backward shift: pull later members of the probe run into the hole. */
	for (size_t j = (i + 1) & t->mask; t->slots[j].addr != LIVE_EMPTY; j = (j + 1) & t->mask) {
		size_t k = live_home(t, t->slots[j].addr);
		/* Move j into i unless its home lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].addr = LIVE_EMPTY;
	t->count--;
	return 1;
}
