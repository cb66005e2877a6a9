/*
 * by_hand.h - for test programs that write into mf-record's shared memory
 * themselves, to make what the tracker makes only in rare moments (a
 * thread dying inside a hook, keys out of order).
 */
#ifndef MF_TESTS_BY_HAND_H
#define MF_TESTS_BY_HAND_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../../mf-record/proto.h"

/* The launcher's shared memory, found in our own mappings, or NULL. */
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
	struct mf_shared_header *hdr = found;
	return hdr && hdr->magic == MF_PROTO_MAGIC ? hdr : NULL;
}

/* A free slot, claimed for thread 1 as the tracker would, or NULL. */
static struct mf_slot *claim_slot(struct mf_shared_header *hdr)
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
		return s;
	}
	return NULL;
}

/* Publish e at the slot's head (records of sizeof *e, no wrapping: a test writes a few). */
static void put_event(struct mf_slot *s, const struct mf_event *e)
{
	uint64_t head = atomic_load(&s->head);
	memcpy(s->ring + (head & (MF_RING_BYTES - 1)), e, sizeof *e);
	atomic_store(&s->head, head + sizeof *e);
}

#endif
