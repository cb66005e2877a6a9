/*
 * writer_clock.h - the launcher's clocks: CLOCK_MONOTONIC and
 * CLOCK_REALTIME, the recorded process's RSS, and the keys that order
 * events (proto.h): which clock gives them, the launcher's own reading of
 * it, and turning time stamp counter keys into CLOCK_MONOTONIC times.
 *
 * The time stamp counter is used when reading it orders events as
 * CLOCK_MONOTONIC would: x86-64 with rdtscp and an invariant counter, and
 * the kernel itself keeping CLOCK_MONOTONIC on it (its clocksource is
 * "tsc", which the kernel only keeps when the counters of all CPUs agree).
 * Elsewhere events take numbers from a shared atomic counter, which costs
 * more when threads allocate at once.  MF_CLOCK=counter or MF_CLOCK=tsc in
 * the environment chooses; tsc is refused where it cannot order events.
 */
#ifndef MF_WRITER_CLOCK_H
#define MF_WRITER_CLOCK_H

#include <stdint.h>
#include <sys/types.h>

#include "../proto.h"

/* CLOCK_MONOTONIC and CLOCK_REALTIME now, in ns and ms. */
uint64_t monotonic_ns(void);
uint64_t realtime_ms(void);

/* The resident set size of pid in bytes, or 0 when it cannot be read. */
uint64_t process_rss(pid_t pid);

/* The clock for this machine and environment; dies on a bad MF_CLOCK. */
enum mf_clock clock_choose(void);

/*
 * The launcher's key now: every event keyed below it has had its key
 * taken.  Read before the rings, and ordered before those reads.
 */
uint64_t clock_key_now(const struct mf_shared_header *hdr);

/* Time stamp counter readings to CLOCK_MONOTONIC nanoseconds. */
struct clock_rate {
	uint64_t tsc0, ns0;	/* the first reading of both ... */
	uint64_t tsc, ns;	/* ... and the latest */
	double ns_per_tick;	/* measured between the two */
};
/* Measure the rate over about a millisecond. */
void clock_rate_start(struct clock_rate *c);
/*
 * Read both clocks again (at most once a millisecond, so it is cheap to
 * call often).  Returns whether the rate was measured again (then it is
 * above 0).
 */
int clock_rate_update(struct clock_rate *c, uint64_t now_ns);
uint64_t clock_rate_ns(const struct clock_rate *c, uint64_t tsc);

#endif
