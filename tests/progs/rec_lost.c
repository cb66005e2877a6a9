/*
 * rec_lost.c - events the recorder can only count as lost, made by hand
 * in the launcher's shared memory:
 * - three keys taken from the shared counter and never written (a thread
 *   dying inside a hook, with MF_CLOCK=counter; no effect with tsc);
 * - a pending free never settled (a thread dying inside realloc): a slot
 *   claimed here, one MF_EV_FREE | MF_FREE_PENDING published, the slot
 *   given up.
 * Around them: malloc(100), malloc(200), both freed.  The recording must
 * keep both allocations and count 4 lost events (counter) or 1 (tsc).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "by_hand.h"

static uint64_t key(struct mf_shared_header *hdr)
{
	unsigned cpu;
	if (hdr->clock == MF_CLOCK_TSC)
		return __rdtscp(&cpu);
	return atomic_fetch_add(&hdr->counter, 1);
}

/* A thread that published a pending free and died. */
static int unsettled_free(struct mf_shared_header *hdr, void *p)
{
	struct mf_slot *s = claim_slot(hdr);
	if (!s)
		return 0;
	put_event(s, &(struct mf_event){ .type = MF_EV_FREE, .size = sizeof(struct mf_event),
					 .aux = MF_FREE_PENDING, .key = key(hdr), .a = (uintptr_t)p });
	atomic_store(&s->state, MF_SLOT_DONE);
	return 1;
}

int main(void)
{
	struct mf_shared_header *hdr = shared_header();
	if (!hdr)
		return 2;
	char *a = malloc(100);
	atomic_fetch_add(&hdr->counter, 3);
	if (!unsettled_free(hdr, a))
		return 2;
	char *b = malloc(200);
	free(a);
	free(b);
	return 0;
}
