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
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../mf-record/proto.h"

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1	/* <sys/mman.h> gives it only with _GNU_SOURCE */
#endif

/* The launcher's shared memory (the header: the mapping at offset 0), found in our own mappings, or NULL. */
static struct mf_shared_header *shared_header(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	void *found = NULL;
	unsigned long offset;
	while (maps && !found && fgets(line, sizeof line, maps))
		if (strstr(line, "/memfd:mf-record") && sscanf(line, "%*lx-%*lx %*s %lx", &offset) == 1 &&
		    offset == 0)
			sscanf(line, "%p", &found);
	if (maps)
		fclose(maps);
	struct mf_shared_header *hdr = found;
	return hdr && hdr->magic == MF_PROTO_MAGIC ? hdr : NULL;
}

/*
 * A free slot, claimed for thread 1 as the tracker would, or NULL.  The
 * tracker maps only the slots it uses: map the whole region again from
 * the header's mapping (the raw system call: the tracker would record a
 * call of mremap).
 */
static struct mf_slot *claim_slot(struct mf_shared_header *hdr)
{
	void *region = (void *)syscall(SYS_mremap, hdr, 0, mf_shm_size(hdr->slots), MREMAP_MAYMOVE, NULL);
	if (region == MAP_FAILED)
		return NULL;
	for (uint32_t i = 0; i < hdr->slots; i++) {
		struct mf_slot *s = mf_slot_at(region, i);
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

/*
 * Publish a stack of one return address, pc, under a new id, and return
 * the id: the tracker sends a stack before the first allocation that
 * names it, and the launcher refuses an allocation whose stack it never got.
 */
static uint64_t put_stack(struct mf_shared_header *hdr, struct mf_slot *s, uint64_t pc)
{
	struct { struct mf_event e; uint64_t pc; } rec = {
		.e = { .type = MF_EV_STACK, .size = sizeof rec, .aux = 1,
		       .key = atomic_fetch_add(&hdr->next_stack, 1) },
		.pc = pc,
	};
	uint64_t head = atomic_load(&s->head);
	memcpy(s->ring + (head & (MF_RING_BYTES - 1)), &rec, sizeof rec);
	atomic_store(&s->head, head + sizeof rec);
	return rec.e.key;
}

#endif
