/*
 * writer_rings.h - read the shim's per-thread rings and hand their events
 * to the writer in global order.
 *
 * Draining copies every published record out of the shared memory at once
 * (so a thread never waits on a full ring while the writer is busy) and
 * gives the ring's space back.  Stacks and modules go to the writer as
 * they arrive; every other event waits in its thread's queue until its
 * sequence number is the next one.  A missing number is an event still
 * being written: processing waits for it, unless told the process is gone,
 * when it is skipped and counted as lost.
 */
#ifndef MF_WRITER_RINGS_H
#define MF_WRITER_RINGS_H

#include <stddef.h>
#include <stdint.h>

#include "writer.h"

struct rings;

struct rings *rings_new(void *shm, struct writer *w);
void rings_free(struct rings *r);

/* Copy out what every slot published; free finished slots. Returns records copied. */
size_t rings_drain(struct rings *r);
/*
 * Hand at most budget queued events to the writer, in sequence order.
 * With process_gone, skip missing numbers (counted as lost).  Returns how
 * many it handed over.
 */
size_t rings_process(struct rings *r, size_t budget, int process_gone);
/* Whether events wait in the queues. */
int rings_pending(const struct rings *r);
/* Events lost: numbers skipped, and numbers taken but never written. */
uint64_t rings_lost(const struct rings *r);
/* Whether the shim ever attached. */
int rings_attached(const struct rings *r);

#endif
