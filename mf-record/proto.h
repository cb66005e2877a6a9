/*
 * proto.h - how the tracker inside the recorded process (shim.c) hands
 * events to the launcher (mf-record.c): binary records in per-thread rings
 * in one shared memory file.
 *
 * Why this shape: the hot path must take no lock shared by all threads,
 * format nothing and make no system call.  Each thread owns a slot: a
 * single-producer single-consumer ring that only it writes and only the
 * launcher reads.  The memory is a memfd the launcher created, so events a
 * thread has published survive the process crashing, calling _exit or
 * being killed: the launcher reads them after the process is gone.
 *
 * Order across threads comes from one atomic counter (hdr.seq): every
 * event except MF_EV_STACK takes the next number, and the launcher writes
 * events in that order.  A free takes its number before the real free runs
 * and an allocation after the real allocation returns, so an address
 * handed out again by another thread is always freed first in the stream.
 * A number taken but never written (a thread killed inside a hook) shows as
 * a gap; the launcher skips it when the process is gone and counts it lost.
 *
 * Set-up: the launcher creates the memfd (MF_SHM_SIZE bytes, sparse),
 * fills in the header, and starts the program with LD_PRELOAD naming the
 * shim and MF_SHM_FD naming the descriptor.  The shim maps it, closes the
 * descriptor, removes both variables from the environment (so programs it
 * execs are not tracked), and sets hdr.attached.
 */
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include <stdatomic.h>
#include <stdint.h>

#define MF_PROTO_MAGIC 0x6d667265u	/* "mfre" */
#define MF_PROTO_VERSION 1u
#define MF_SLOTS 1024u			/* threads alive at once */
#define MF_RING_BYTES (1u << 20)	/* per slot; a power of two */
#define MF_MAX_DEPTH 128u		/* frames kept per stack */
#define MF_NAME_MAX 64u			/* thread names are at most 15 bytes on Linux */
#define MF_PATH_MAX 4096u

#define MF_ENV_SHM_FD "MF_SHM_FD"

enum mf_slot_state {
	MF_SLOT_FREE = 0,	/* the launcher may hand it out */
	MF_SLOT_CLAIMED = 1,	/* a thread owns it and writes events */
	MF_SLOT_DONE = 2,	/* the thread exited; the launcher drains, then frees */
};

struct mf_shared_header {
	uint32_t magic, version;
	uint64_t start_ns;		/* CLOCK_MONOTONIC when the launcher started */
	_Atomic uint64_t next_stack;	/* next stack id; starts at 1 */
	_Atomic uint32_t next_thread;	/* next thread number; the main thread gets 1 */
	_Atomic uint32_t attached;	/* set to 1 by the shim once it is tracking */
	_Atomic uint32_t slots_used;	/* high-water mark of claimed slots */
	uint32_t reserved;
	char pad0[64 - 40];
	_Atomic uint64_t seq;		/* next event number; starts at 1; alone on its cache line */
	char pad1[56];
};
_Static_assert(sizeof(struct mf_shared_header) == 128, "header is two cache lines");

struct mf_slot {
	_Atomic uint32_t state;		/* enum mf_slot_state */
	uint32_t thread;		/* the owning thread's number; written before the first record is published */
	char pad0[56];
	_Atomic uint64_t head;		/* bytes published by the thread */
	char pad1[56];
	_Atomic uint64_t tail;		/* bytes consumed by the launcher */
	char pad2[56];
	unsigned char ring[MF_RING_BYTES];
};
_Static_assert(sizeof(struct mf_slot) == 192 + MF_RING_BYTES, "slot layout");

#define MF_SHM_SIZE (sizeof(struct mf_shared_header) + (uint64_t)MF_SLOTS * sizeof(struct mf_slot))

static inline struct mf_slot *mf_slot_at(void *shm, uint32_t i)
{
	return (struct mf_slot *)((char *)shm + sizeof(struct mf_shared_header)) + i;
}

enum mf_event_type {
	MF_EV_NOP = 1,		/* a number reserved and not used (failed realloc) */
	MF_EV_ALLOC,		/* a = address, b = size, c = stack id; aux = enum mf_allocator */
	MF_EV_FREE,		/* a = address */
	MF_EV_MUNMAP,		/* a = address, b = length */
	MF_EV_STACK,		/* no seq: seq field = stack id; aux = depth | MF_STACK_TRUNCATED; then depth u64 return addresses, innermost first */
	MF_EV_MODULE,		/* a = load bias, b = start, c = end; aux = path length; then the path, NUL-padded to 8 */
	MF_EV_THREAD,		/* this slot's thread started or renamed itself: a = tid, b = pthread_self(); aux = name length; then the name */
	MF_EV_RENAME,		/* another thread was renamed: b = its pthread_t; aux = name length; then the name */
};

#define MF_STACK_TRUNCATED 0x80000000u

enum mf_allocator {
	MF_MALLOC = 0, MF_CALLOC, MF_REALLOC, MF_REALLOCARRAY, MF_POSIX_MEMALIGN,
	MF_ALIGNED_ALLOC, MF_MEMALIGN, MF_VALLOC, MF_PVALLOC, MF_MMAP, MF_MREMAP,
	MF_ALLOCATOR_COUNT
};

/*
 * Every record starts with this struct; variable parts (return addresses,
 * a path, a name) follow it.  size is the whole record's length, a
 * multiple of 8.  A record never wraps around the end of the ring: a producer
 * that would cross it writes a MF_EV_NOP-typed padding record with seq 0
 * up to the end and starts again at offset 0; the launcher skips records
 * with seq 0 of type MF_EV_NOP.
 *
 * (Shim side, added while writing shim_thread.c:) a record is also
 * preceded by padding when it would leave fewer than sizeof(struct
 * mf_event) bytes before the end, so every record, padding included,
 * starts at least a whole header before the end of the ring.  time_ns
 * may be up to 0.5 ms old (a thread reuses its last clock reading while
 * the time stamp counter says less has passed), so times can go back a
 * little between threads in seq order: clamp, do not trust them to be
 * sorted.  MF_EV_MODULE's start and end are absolute addresses (bias
 * included).  A thread that allocates after its exit hook ran claims a
 * new slot with the same number (slot->thread) and sends no new
 * MF_EV_THREAD.
 */
struct mf_event {
	uint16_t type;
	uint16_t size;
	uint32_t aux;
	uint64_t seq;
	uint64_t time_ns;	/* CLOCK_MONOTONIC, at least millisecond-accurate */
	uint64_t a, b, c;
};

#endif
