/*
 * fault_corrupt - writes into its own event ring what no tracker would: an
 * allocation of 5 bytes naming a stack id never sent (what a second
 * process writing the same ring leaves behind).  It finds the rings among
 * its mappings (the memfd named "mf-record"), writes the record at the
 * main thread's head, publishes it, and ends at once with _exit(0): the
 * tracker's own idea of the head is stale now.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#else
#define __rdtsc() 0	/* MF_CLOCK_TSC is x86-64 only */
#endif

#include "../../mf-record/proto.h"

/* The start of this process's mapping of the rings that is len bytes long. */
static char *ring_mapping(unsigned long len)
{
	char line[512];
	unsigned long start, end;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "memfd:mf-record") && sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    end - start == len)
			return (char *)start;
	exit(2);
}

int main(void)
{
	free(malloc(1));	/* the main thread holds slot 0 */
	struct mf_shared_header *h = (void *)ring_mapping(2 * MF_SLOT_ALIGN);
	struct mf_slot *s = (void *)ring_mapping(sizeof(struct mf_slot) + MF_SLOT_ALIGN);
	uint64_t head = atomic_load(&s->head);
	if ((head & (MF_RING_BYTES - 1)) + 2 * sizeof(struct mf_event) > MF_RING_BYTES)
		return 3;
	struct mf_event *e = (struct mf_event *)(s->ring + (head & (MF_RING_BYTES - 1)));
	memset(e, 0, sizeof *e);
	e->type = MF_EV_ALLOC;
	e->size = sizeof *e;
	e->key = h->clock == MF_CLOCK_TSC ? __rdtsc() : atomic_fetch_add(&h->counter, 1);
	e->a = 0x10000;
	e->b = 5;
	e->c = atomic_load(&h->next_stack) + 1000;	/* beyond any id sent */
	atomic_store(&s->head, head + sizeof *e);
	_exit(0);
}
