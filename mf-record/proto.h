/*
 * proto.h - how the tracker inside the recorded process (tracker/) hands
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
 * Order across threads comes from a key every event but MF_EV_STACK
 * carries.  Where the kernel keeps CLOCK_MONOTONIC on the CPU's invariant
 * time stamp counter (hdr.clock == MF_CLOCK_TSC), the key is that counter
 * read with rdtsc: no memory shared by the threads is written (rdtsc may
 * run a little ahead of the loads before it; the launcher mends pairs of
 * events out of order by less than 20 us).  Elsewhere
 * it is the next number of one atomic counter (hdr.counter).  The key is
 * taken after a real allocation returns and before a real free runs, and
 * each event is published before the memory it names can be used by
 * another thread (an allocation before its pointer is returned, a free
 * before the real free).  So an event that made another possible was
 * published before the other's key was taken.  The launcher reads its own
 * key first and then every ring: an event keyed below that reading whose
 * cause is not in a ring yet cannot exist, so the launcher writes, in key
 * order, what is keyed below it.  realloc and mremap free before the real
 * call can fail: that free (for mremap, an unmapping of the old range) is
 * published first with MF_FREE_PENDING and settled after the call (see
 * MF_EV_SETTLE).
 *
 * Set-up: the launcher creates the memfd (mf_shm_size(hdr.slots) bytes,
 * sparse), fills in the header, and starts the program with LD_PRELOAD
 * naming the shim and MF_SHM_FD naming the descriptor.  The shim checks
 * the descriptor (a file of the right size whose header has the magic and
 * version; anything else: one warning line, and the program runs
 * untracked), maps the header, closes the descriptor, removes MF_SHM_FD,
 * MF_FOLLOW and its own entry of LD_PRELOAD from the environment (so the
 * program and the processes it starts see the user's; its own execs get
 * them back from the tracker's exec functions, tracker/shim_exec.c), and
 * sets hdr.attached.
 *
 * Why slots are mapped one by one: every mapping counts against the
 * program's address space limit (RLIMIT_AS), which a program may set low
 * for itself; the tracker must not take the room of threads it does not
 * have.  The launcher maps the whole region; the shim maps the header and
 * then each slot the first time a thread claims it, and keeps it for the
 * next.  The descriptor is closed by then, so a slot is mapped from the
 * one before it (mremap of a shared mapping with old size 0 maps the same
 * file from that address on): the header's mapping reaches one
 * MF_SLOT_ALIGN into slot 0, each slot's into the next.  Slots and the
 * header therefore start at multiples of MF_SLOT_ALIGN, a multiple of any
 * page size.
 */
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include <stdatomic.h>
#include <stdint.h>

#define MF_PROTO_MAGIC 0x6d667265u	/* "mfre" */
#define MF_PROTO_VERSION 4u
#define MF_SLOTS 8192u			/* at most; hdr.slots says how many a region has */
#define MF_RING_BYTES (1u << 20)	/* per slot; a power of two */
#define MF_SLOT_ALIGN 65536u		/* where the header and slots start: any page size divides it */
#define MF_MAX_DEPTH 128u		/* frames kept per stack */
#define MF_NAME_MAX 64u			/* thread names are at most 15 bytes on Linux */
#define MF_PATH_MAX 4096u
/* Build ids longer than this are not sent (GNU ld makes 20 bytes). */
#define MF_BUILD_ID_MAX 64u

#define MF_ENV_SHM_FD "MF_SHM_FD"
/*
 * --follow-fork: the name of the launcher's socket in the abstract
 * namespace (without its leading NUL).  Every process the program starts
 * asks it for a region of its own: see struct mf_follow_request.
 */
#define MF_ENV_FOLLOW "MF_FOLLOW"
#define MF_FOLLOW_NAME_MAX 100u
/*
 * Without --follow-fork MF_ENV_FOLLOW's value is the name after this: only
 * the recorded process's own execs ask (its new program continues its
 * capture); the processes it forks run unrecorded.
 */
#define MF_FOLLOW_EXEC_ONLY "exec:"

enum mf_clock {
	MF_CLOCK_COUNTER = 0,	/* keys are numbers from hdr.counter */
	MF_CLOCK_TSC = 1,	/* keys are time stamp counter readings (x86 rdtscp) */
};

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
	uint32_t clock;			/* enum mf_clock: what event keys are */
	uint32_t slots;			/* slots in the region, 1 to MF_SLOTS: at most so many threads are tracked at once */
	_Atomic uint32_t unrecorded;	/* processes forked or spawned from this one and not recorded (no --follow-fork) */
	_Atomic uint64_t dropped;	/* events of threads that found every slot taken: not recorded */
	int32_t launcher;		/* the launcher's pid (--follow-fork: not every process's parent) */
	_Atomic uint32_t exit_code;	/* 0x100 | STATUS once the process called exit (--follow-fork), else 0 */
	_Atomic uint64_t counter;	/* MF_CLOCK_COUNTER: the next key; starts at 1; alone on its cache line */
	char pad1[56];
	/* Apart from counter's line, which every event of the counter clock writes. */
	_Atomic uint32_t cloned;	/* processes made from this one by a raw clone: no option records them */
	char pad2[60];
};
_Static_assert(sizeof(struct mf_shared_header) == 192, "header is three cache lines");

struct mf_slot {
	_Atomic uint32_t state;		/* enum mf_slot_state */
	uint32_t thread;		/* the owning thread's number; written before the first record is published */
	char pad0[56];
	_Atomic uint64_t head;		/* bytes published by the thread */
	char pad1[56];
	_Atomic uint64_t tail;		/* bytes consumed by the launcher */
	_Atomic uint32_t waiting;	/* 1: the thread sleeps on it (futex) until tail moves */
	char pad2[52];
	char pad3[MF_SLOT_ALIGN - 192];	/* never touched: no memory behind it */
	unsigned char ring[MF_RING_BYTES];
};
_Static_assert(sizeof(struct mf_slot) == MF_SLOT_ALIGN + MF_RING_BYTES, "slot layout");

/* The size of a region of slots slots; the header takes the first MF_SLOT_ALIGN bytes. */
static inline uint64_t mf_shm_size(uint32_t slots)
{
	return MF_SLOT_ALIGN + (uint64_t)slots * sizeof(struct mf_slot);
}

/* Slot i of the launcher's mapping of the whole region (the shim maps slots apart). */
static inline struct mf_slot *mf_slot_at(void *shm, uint32_t i)
{
	return (struct mf_slot *)((char *)shm + MF_SLOT_ALIGN) + i;
}

/*
 * A recorded process's new program after execve (in the tracker's
 * initialisation) and, with --follow-fork, a process forked from a
 * recorded one (in the tracker's fork handler, before fork returns in the
 * child) connect to
 * the launcher's socket (SOCK_SEQPACKET, MF_ENV_FOLLOW), send this
 * request, and receive one byte with the descriptor of a new region
 * (SCM_RIGHTS), set up as for the first process.  The connection stays
 * open while the process lives (it is close-on-exec).  fork_key is the
 * parent's key read just before the fork: the child starts knowing the
 * blocks its parent had live there.
 */
enum mf_follow_kind { MF_FOLLOW_FORK = 1, MF_FOLLOW_EXEC = 2 };
struct mf_follow_request {
	uint32_t kind;		/* enum mf_follow_kind */
	int32_t pid;		/* the requesting process */
	int32_t parent;		/* FORK: the process it was forked from; EXEC: getppid() */
	uint32_t pad;
	uint64_t fork_key;	/* FORK: see above; EXEC: 0 */
};

enum mf_event_type {
	MF_EV_NOP = 1,		/* padding to the end of the ring (key 0) */
	MF_EV_ALLOC,		/* a = address, b = size, c = stack id; aux = enum mf_allocator, | MF_ALLOC_SETTLES */
	MF_EV_FREE,		/* a = address; aux = 0 or MF_FREE_PENDING */
	MF_EV_MUNMAP,		/* a = address, b = length; aux = 0 or MF_FREE_PENDING and c = 1 (mremap's old range) */
	MF_EV_STACK,		/* no key: the key field holds the stack id; aux = depth | MF_STACK_TRUNCATED; then depth u64 return addresses, innermost first */
	MF_EV_MODULE,		/* a = load bias, b = start, c = end; aux = path length | build id length << 16; then the path, NUL-padded to 8, then the build id (GNU note), NUL-padded to 8 */
	MF_EV_THREAD,		/* this slot's thread started or renamed itself: a = tid, b = pthread_self(); aux = name length; then the name */
	MF_EV_RENAME,		/* another thread was renamed: b = its pthread_t; aux = name length; then the name */
	MF_EV_SETTLE,		/* the pending free before it: aux = 1 it happened, 0 it did not (the call failed) */
	MF_EV_RESERVE,		/* an anonymous PROT_NONE mmap: a = address, b = length; address space, not memory */
	MF_EV_DECOMMIT,		/* mprotect(PROT_NONE): a = address, b = length; what was memory there is not */
	MF_EV_PYCODE,		/* no key: the key field holds a code id; a Python code object, below */
	MF_EV_PYSTACK,		/* no key: the key field holds the stack id; a native stack with Python frames, below */
};

/*
 * Mappings are memory only while accessible.  An accessible anonymous
 * mmap is an MF_EV_ALLOC (MF_MMAP); a PROT_NONE one an MF_EV_RESERVE.  An
 * mprotect making pages accessible is an MF_EV_ALLOC with MF_MPROTECT:
 * it allocates only the parts a reservation held (pages already
 * accessible stay as they were; pages never reserved, such as files or
 * the stack, are not memory mf counts).  mprotect(PROT_NONE) is an
 * MF_EV_DECOMMIT.  An mremap's new range (its MF_EV_ALLOC, MF_MREMAP) is
 * accessible where the old range (its MF_EV_MUNMAP with c = 1) was.
 * Mapping calls made inside a real allocation function (an allocator's
 * own chunks) are not sent.
 */

/*
 * Python frames (tracker/shim_python.c).  A stack of a thread running
 * CPython is a native stack (MF_EV_STACK, id a) and the Python frames of
 * the thread, sent as MF_EV_PYSTACK: aux = count | MF_STACK_TRUNCATED
 * (the chain was cut: only the innermost are kept), then count pairs of
 * u64, innermost first: the code id, | MF_PY_ENTRY when the frame is the
 * outermost one of an evaluation loop (the native frame of
 * _PyEval_EvalFrameDefault it belongs to), and the byte offset of the
 * instruction being executed from the start of the code (signed: before
 * the first instruction it is negative).  Its id is a stack id like any
 * other, taken from hdr.next_stack, and so are code ids.
 *
 * MF_EV_PYCODE describes a code object, copied while the frame running it
 * kept it alive: a = its first line (signed), b = the byte lengths of its
 * qualified name | of its file name << 32, c = their character widths (1,
 * 2 or 4 bytes: latin-1, UCS-2, UCS-4) | width of the file name << 8 |
 * the byte length of its line table << 32; then the three, NUL-padded to
 * 8.  The line table is CPython's (3.11 to 3.13) location table, perhaps
 * cut at MF_PY_TABLE_MAX bytes.
 */
#define MF_PY_ENTRY (1ull << 63)
#define MF_PY_NAME_MAX 4096u		/* bytes of a name or file name kept */
#define MF_PY_TABLE_MAX 16384u		/* bytes of a line table kept */

/*
 * A free (or, for mremap, an unmapping) published before a realloc or
 * mremap that may fail: it only happened once settled, by the thread's next MF_EV_SETTLE or ALLOC with
 * MF_ALLOC_SETTLES (a signal handler's own pending frees and settles may
 * come in between, nested).
 */
#define MF_FREE_PENDING 1u
/* This allocation is the new block of a realloc or mremap: its pending free happened. */
#define MF_ALLOC_SETTLES 0x100u

#define MF_STACK_TRUNCATED 0x80000000u

enum mf_allocator {
	MF_MALLOC = 0, MF_CALLOC, MF_REALLOC, MF_REALLOCARRAY, MF_POSIX_MEMALIGN,
	MF_ALIGNED_ALLOC, MF_MEMALIGN, MF_VALLOC, MF_PVALLOC, MF_MMAP, MF_MREMAP, MF_MPROTECT,
	MF_ALLOCATOR_COUNT
};

/*
 * Every record starts with this struct; variable parts (return addresses,
 * a path, a name) follow it.  size is the whole record's length, a
 * multiple of 8.  A record never wraps around the end of the ring: a producer
 * that would cross it writes a MF_EV_NOP-typed padding record with key 0
 * up to the end and starts again at offset 0; the launcher skips records
 * of type MF_EV_NOP.
 *
 * (Shim side, added while writing shim_thread.c:) a record is also
 * preceded by padding when it would leave fewer than sizeof(struct
 * mf_event) bytes before the end, so every record, padding included,
 * starts at least a whole header before the end of the ring.  With
 * MF_CLOCK_TSC time_ns is 0: the launcher turns keys into times.  With
 * MF_CLOCK_COUNTER it may be up to 0.5 ms old (a thread reuses its last
 * clock reading while the time stamp counter says less has passed), so
 * times can go back a little between threads in key order: clamp, do not
 * trust them to be sorted.  MF_EV_MODULE's start and end are absolute addresses (bias
 * included).  A thread that allocates after its exit hook ran claims a
 * new slot with the same number (slot->thread) and sends no new
 * MF_EV_THREAD.
 */
struct mf_event {
	uint16_t type;
	uint16_t size;
	uint32_t aux;
	uint64_t key;		/* the order key; MF_EV_STACK: the stack id */
	uint64_t time_ns;	/* MF_CLOCK_COUNTER: CLOCK_MONOTONIC, at least millisecond-accurate */
	uint64_t a, b, c;
};

#endif
