/*
 * writer_rings.h - read the shim's per-thread rings and hand their events
 * to the writer in global order.
 *
 * Draining copies every published record out of the shared memory at once
 * (so a thread never waits on a full ring while the writer is busy) and
 * gives the ring's space back.  Stacks and modules go to the writer as
 * they arrive; every other event waits in its thread's queue until every
 * event that could come before it has been copied (its key is below the
 * launcher's key read before a drain, proto.h).  A pending free waits for
 * the thread to settle it, unless told the process is gone, when it is
 * dropped and counted as lost.
 *
 * The order is decided here alone: the writer never calls back.  When it
 * answers that an event must wait (writer.h, writer_event), the rings do
 * what comes first (drain while it symbolizes the event's stack, or write
 * another thread's event that must precede it) and hand the event again.
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
 * Hand at most budget queued events to the writer, in key order.  With
 * process_gone, every event is final: hand over all of them, dropping
 * pending frees never settled (counted as lost).  Returns how many it
 * handed over.
 */
size_t rings_process(struct rings *r, size_t budget, int process_gone);
/*
 * --follow-fork: hand the writer every event keyed below key (a fork's
 * moment, read in the parent: proto.h), draining as needed, and nothing
 * after it that is not yet written, so that the writer's live blocks are
 * the parent's at the fork.  Gives up after a while on events that cannot
 * be written yet (a realloc in flight in another thread).
 */
void rings_process_before(struct rings *r, uint64_t key);
/* Whether events wait in the queues. */
int rings_pending(const struct rings *r);
/*
 * Events lost: frees never settled, and (MF_CLOCK_COUNTER, where keys are
 * consecutive) keys taken but never written.
 */
uint64_t rings_lost(const struct rings *r);
/* Whether the shim ever attached. */
int rings_attached(const struct rings *r);

#endif
