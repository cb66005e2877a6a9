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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "../../mf-record/proto.h"

/* The launcher's shared memory, found in our own mappings. */
static struct mf_shared_header *shared_header(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	void *found = NULL;
	while (maps && !found && fgets(line, sizeof line, maps))
		if (strstr(line, "/memfd:mf-record"))
			sscanf(line, "%p", &found);
	if (maps)
		fclose(maps);
	return found;
}

static uint64_t key(struct mf_shared_header *hdr)
{
	unsigned cpu;
	if (hdr->clock == MF_CLOCK_TSC)
		return __rdtscp(&cpu);
	return atomic_fetch_add(&hdr->counter, 1);
}

/* A thread that published a pending free and died: a slot of its own. */
static int unsettled_free(struct mf_shared_header *hdr, void *p)
{
	for (uint32_t i = 0; i < MF_SLOTS; i++) {
		struct mf_slot *s = mf_slot_at(hdr, i);
		uint32_t expect = MF_SLOT_FREE;
		if (!atomic_compare_exchange_strong(&s->state, &expect, MF_SLOT_CLAIMED))
			continue;
		uint32_t used = atomic_load(&hdr->slots_used);
		while (used < i + 1 && !atomic_compare_exchange_weak(&hdr->slots_used, &used, i + 1))
			;
		s->thread = 1;
		uint64_t head = atomic_load(&s->head);
		struct mf_event *e = (struct mf_event *)(s->ring + (head & (MF_RING_BYTES - 1)));
		*e = (struct mf_event){ .type = MF_EV_FREE, .size = sizeof *e, .aux = MF_FREE_PENDING,
					.key = key(hdr), .a = (uintptr_t)p };
		atomic_store(&s->head, head + sizeof *e);
		atomic_store(&s->state, MF_SLOT_DONE);
		return 1;
	}
	return 0;
}

int main(void)
{
	struct mf_shared_header *hdr = shared_header();
	if (!hdr || hdr->magic != MF_PROTO_MAGIC)
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
