/*
 * rec_skew.c - events whose time stamp counter keys are out of order by a
 * few ticks, as plain rdtsc can make them, written by hand in the
 * launcher's shared memory (run with MF_CLOCK=tsc).  Two slots, X and Y,
 * both of thread 1, with keys 50 ms ahead (so the launcher holds them
 * until both are written, even if this program is made to wait), and the
 * program lives 100 ms more (so they come before the end):
 *
 *   X: +10 alloc 0x10 1000    +30 free 0x10    +50 alloc 0x20 3000
 *   Y: +20 alloc 0x10 2000    +40 free 0x20    +60 free 0x10
 *
 * In key order, Y's allocation of 0x10 comes before X's free of it, and
 * Y's free of 0x20 before X's allocation of it: the launcher must write
 * X's events first each time.  Expected: a 1000, f, a 2000, a 3000, f, f,
 * with no implicit or untracked free.
 */
#include <stdatomic.h>
#include <time.h>
#include <x86intrin.h>

#include "by_hand.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time stamp counter ticks in 50 ms, measured over 2 ms. */
static uint64_t ticks_in_50ms(void)
{
	uint64_t ns0 = now_ns(), tsc0 = __rdtsc(), ns;
	while ((ns = now_ns()) < ns0 + 2000000)
		;
	return (__rdtsc() - tsc0) * 50000000 / (ns - ns0);
}

struct event { uint16_t type; uint32_t aux; uint64_t key, a, b; };

int main(void);

/* Claim a slot, publish a stack and the events (allocations from it), give it up. */
static int publish(struct mf_shared_header *hdr, const struct event *evs, int n)
{
	struct mf_slot *s = claim_slot(hdr);
	if (!s)
		return 0;
	uint64_t stack = put_stack(hdr, s, (uintptr_t)main);
	for (int k = 0; k < n; k++)
		put_event(s, &(struct mf_event){ .type = evs[k].type, .size = sizeof(struct mf_event),
						 .aux = evs[k].aux, .key = evs[k].key,
						 .a = evs[k].a, .b = evs[k].b,
						 .c = evs[k].type == MF_EV_ALLOC ? stack : 0 });
	atomic_store(&s->state, MF_SLOT_DONE);
	return 1;
}

int main(void)
{
	struct mf_shared_header *hdr = shared_header();
	if (!hdr || hdr->clock != MF_CLOCK_TSC)
		return 2;
	uint64_t k = __rdtsc() + ticks_in_50ms();
	struct event x[] = {
		{ MF_EV_ALLOC, MF_MALLOC, k + 10, 0x10, 1000 },
		{ MF_EV_FREE, 0, k + 30, 0x10, 0 },
		{ MF_EV_ALLOC, MF_MALLOC, k + 50, 0x20, 3000 },
	};
	struct event y[] = {
		{ MF_EV_ALLOC, MF_MALLOC, k + 20, 0x10, 2000 },
		{ MF_EV_FREE, 0, k + 40, 0x20, 0 },
		{ MF_EV_FREE, 0, k + 60, 0x10, 0 },
	};
	if (!publish(hdr, x, 3) || !publish(hdr, y, 3))
		return 2;
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	return 0;
}
