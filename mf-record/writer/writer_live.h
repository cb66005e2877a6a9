/*
 * writer_live.h - the blocks of the malloc family, by address: what a free
 * needs to become `f THREAD BACK` (the allocation's number) and to keep
 * the heap total (its size), and which addresses were freed and not
 * handed out again, so that a second free of one counts as a double free
 * rather than as the free of a block never tracked.
 *
 * One lookup per allocation and one per free, so this is a table of its
 * own rather than lib/hash.h: the number and size sit in the slot (no
 * second array to reach), and the home slot is a Fibonacci hash of the
 * address, one multiplication.  lib/hash.h mixes a secret into its keys
 * because its keys come from files; these come from the recorded program's
 * allocator, which hands out addresses rather than choosing them.  Linear
 * probing, at most half full, so probes stay short while the program
 * churns.  A free keeps the address in its slot, marked freed (number
 * LIVE_FREED): the allocator hands the same addresses out again, so the
 * table holds about as many addresses as it would live blocks.  Should
 * freed addresses outnumber the live blocks past LIVE_FORGET, the table
 * forgets them when it would grow (a double free of one of those then
 * counts as untracked): the table's size stays bound to the live blocks.
 *
 *	struct live_block *b = live_slot(&t, addr);	// addr's slot, or where it goes
 *	if (b->addr != addr || b->number == LIVE_FREED) { live_claim(&t, b, addr); ... }
 *	b->number = ...; b->size = ...;
 *	live_free(&t, addr, &old);			// LIVE_WAS_LIVE, _FREED or _UNKNOWN
 */
#ifndef MF_WRITER_LIVE_H
#define MF_WRITER_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define LIVE_EMPTY UINT64_MAX	/* a slot's addr when unused; never a block's */
#define LIVE_FREED UINT64_MAX	/* a slot's number when its block was freed */
#define LIVE_FORGET (1u << 20)	/* freed addresses kept at least */

struct live_block {
	uint64_t addr, number, size;
};

struct live {
	struct live_block *slots;
	size_t mask;		/* capacity - 1; capacity is a power of two */
	size_t count;		/* slots used: live blocks and freed addresses */
	size_t freed;		/* of them, freed addresses */
	unsigned shift;		/* 64 - log2(capacity) */
};

/* Grow the table (or make it) so that one more block fits. */
void live_grow(struct live *t);
/* Die: the address is the reserved LIVE_EMPTY (lib/hash.h's message). */
noreturn void live_reserved(void);
void live_release(struct live *t);

static inline size_t live_home(const struct live *t, uint64_t addr)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> t->shift);
}

/*
 * The slot holding addr, or else the empty slot where it would go (valid
 * until the next change to the table; fill it with live_claim).
 * Dies on the reserved address LIVE_EMPTY.
 */
static inline struct live_block *live_slot(struct live *t, uint64_t addr)
{
	if (addr == LIVE_EMPTY)
		live_reserved();
	if (!t->slots || (t->count + 1) * 2 > t->mask + 1)
		live_grow(t);
	size_t i = live_home(t, addr);
	while (t->slots[i].addr != addr && t->slots[i].addr != LIVE_EMPTY)
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

/* Make slot b, from live_slot, empty or addr's freed one, hold addr's new block. */
static inline void live_claim(struct live *t, struct live_block *b, uint64_t addr)
{
	if (b->addr == addr) {
		t->freed--;
		return;
	}
	b->addr = addr;
	t->count++;
}

enum live_was { LIVE_WAS_UNKNOWN, LIVE_WAS_LIVE, LIVE_WAS_FREED };
/*
 * Free the block at addr: returns LIVE_WAS_LIVE with its slot's contents
 * in *old, LIVE_WAS_FREED if addr was freed and not handed out since, or
 * LIVE_WAS_UNKNOWN.
 */
enum live_was live_free(struct live *t, uint64_t addr, struct live_block *old);

#endif
