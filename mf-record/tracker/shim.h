/*
 * shim.h - the parts of the preloaded tracker (libmf-record.so) and how
 * they talk to each other.  Nothing here is exported from the library.
 *
 * shim.c         start and stop: the real functions, the region attached
 * shim_alloc.c   the malloc family's hooks (and the bootstrap pool)
 * shim_map.c     the mapping hooks (mmap, munmap, mremap, mprotect), dlclose
 * shim_names.c   the thread-name hooks (pthread_setname_np, prctl)
 * shim_process.c fork handlers, --follow-fork's regions, exec's
 *                environment, spawn and exit
 *                (what these hook files share: shim_hooks.h)
 * shim_thread.c  per-thread slots and the ring writer
 * shim_stack.c   unwinding, the per-thread stack cache, module records
 * shim_python.c  the Python frames of a thread running CPython
 * shim_attach.c  loaded into a running process (mf-record -p): late
 *                start, GOT entries rewritten to reach the hooks
 * shim_exec.c    the exec family: the program a recorded process execs
 *                gets the tracker, and continues the capture
 *
 * Rules for everything reachable from a hook: no stdio, no locale, no
 * malloc (memory comes from mmap), no lock shared by all threads on the
 * path of a repeated allocation, no system call per event.
 */
#ifndef MF_SHIM_H
#define MF_SHIM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../proto.h"

#define SHIM_HIDDEN __attribute__((visibility("hidden")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct stack_cache;

/* Everything a thread keeps for itself; lives in initial-exec TLS. */
struct shim_thread {
	int guard;			/* > 0 while the shim unwinds or claims: no tracking */
	int in_real;			/* > 0 inside a real allocation function */
	uint32_t number;		/* mf's thread number, 0 before the first claim */
	uint32_t announced;		/* its MF_EV_THREAD was sent (with its first slot) */
	uint32_t slotless;		/* events dropped since it last found every slot taken */
	struct mf_slot *slot;		/* NULL when the thread holds no slot */
	uint64_t head;			/* end of the bytes reserved in the ring */
	uint64_t tail;			/* last tail seen from the launcher */
	uint32_t writing;		/* records reserved and not yet written */
	struct stack_cache *cache;	/* stack ids this thread already sent */
	uint64_t clock_tsc;		/* the time stamp counter at ... */
	uint64_t clock_ns;		/* ... the last real clock reading */
};

extern __thread struct shim_thread shim_self
	__attribute__((tls_model("initial-exec"))) SHIM_HIDDEN;

/* The shared region, set once by shim_init. */
extern struct mf_shared_header *shim_hdr SHIM_HIDDEN;
/* The real mmap/munmap, for memory the shim needs for itself. */
void *shim_mmap(size_t len) SHIM_HIDDEN;
void shim_munmap(void *p, size_t len) SHIM_HIDDEN;
/*
 * shim_exec.c, the exec family: the value of MF_ENV_FOLLOW for the
 * program this process execs, or NULL when it is not recorded (this
 * process is not, or the launcher follows no exec: mf-record -p).
 */
const char *shim_exec_follow(void) SHIM_HIDDEN;
/* The file this library was loaded from, as the dynamic loader names it; NULL if unknown. */
const char *own_path(void) SHIM_HIDDEN;
/*
 * Take this library's entries (self) out of the LD_PRELOAD value, in
 * place, keeping the others and their separators; returns the new length.
 */
size_t drop_own_entries(char *value, const char *self) SHIM_HIDDEN;
/* Stop tracking for good (the launcher went away). */
void shim_give_up(void) SHIM_HIDDEN;
/*
 * Start tracking in a running process (mf-record -p, shim_attach.c): fd is
 * the launcher's region, launcher its process.  0; -1 when the tracker ran
 * before in this process; -2 when fd is not a region it can map.
 */
int shim_start_late(int fd, pid_t launcher) SHIM_HIDDEN;
/*
 * Whether this is the process that attached, not a child forked from it
 * without fork handlers (shim.c, shim_process.c).  One load.
 */
extern _Atomic uint32_t *shim_own SHIM_HIDDEN;
static inline int shim_own_process(void)
{
	return atomic_load_explicit(shim_own, memory_order_relaxed) != 0;
}

/* shim_thread.c */
/* Called once by shim_init. */
void thread_init(void) SHIM_HIDDEN;
/* The launcher is process pid, not the parent (mf-record -p): call after thread_init. */
void thread_launcher_is(pid_t pid) SHIM_HIDDEN;
/*
 * The calling thread's slot, claimed on first use.  NULL when tracking
 * stopped, or when every slot is taken: then the event is counted in
 * hdr.dropped (do not write it).
 */
struct mf_slot *thread_claim_slot(struct shim_thread *t) SHIM_HIDDEN;
static inline struct mf_slot *thread_slot(struct shim_thread *t)
{
	if (likely(t->slot != NULL))
		return t->slot;
	return thread_claim_slot(t);
}
/* In a forked child: unmap every slot this process mapped. */
void thread_unmap_slots(void) SHIM_HIDDEN;
/*
 * In a forked child given a region of its own (--follow-fork), after
 * thread_unmap_slots: the forking thread t starts again as the first
 * thread of a new process (a new number, announced again, its stack
 * cache forgotten) and the slot lock is new (another thread of the parent
 * may have held it at the fork).
 */
void thread_follow(struct shim_thread *t) SHIM_HIDDEN;
/* Give the slot back at thread exit (pthread key destructor). */
void thread_detach(struct shim_thread *t) SHIM_HIDDEN;
/*
 * Writing a record: ring_reserve, fill it in, ring_publish.  A signal
 * handler may interrupt a writer and write records of its own: each
 * reservation is one instruction, and only the outermost writer
 * publishes, so the launcher never sees a half-written record and head
 * never goes back.
 */
/* Room for size bytes (a multiple of 8), waiting for the launcher if
 * needed; NULL when tracking stopped (then do not publish). */
struct mf_event *ring_reserve(struct shim_thread *t, uint32_t size) SHIM_HIDDEN;
static inline void ring_publish(struct shim_thread *t)
{
	for (;;) {
		uint64_t head = t->head;

		if (t->writing == 1)
			atomic_store_explicit(&t->slot->head, head, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
		t->writing--;
		atomic_signal_fence(memory_order_seq_cst);
		/* Reserved meanwhile by a handler that saw us writing: publish it too. */
		if (t->writing != 0 || t->head == head)
			return;
		t->writing++;
		atomic_signal_fence(memory_order_seq_cst);
	}
}
/* Keys are time stamp counter readings (MF_CLOCK_TSC); set once at attach. */
extern int shim_clock_tsc SHIM_HIDDEN;
/*
 * The order key of an event (proto.h).  Plain rdtsc, not rdtscp: waiting
 * for every earlier instruction costs more than the rest of the event on
 * some machines.  So the CPU may read the counter a little before the
 * loads ahead of it have finished (a fraction of a microsecond); the
 * launcher mends such pairs (writer_rings.c, bring_forward).  It reads the
 * counter before any later store is visible (stores leave in order), so
 * before the event is published.
 */
static inline uint64_t event_key(void)
{
#if defined(__x86_64__)
	if (likely(shim_clock_tsc)) {
		uint32_t lo, hi;

		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
		return (uint64_t)hi << 32 | lo;
	}
#endif
	return atomic_fetch_add_explicit(&shim_hdr->counter, 1, memory_order_relaxed);
}
/* CLOCK_MONOTONIC, at most half a millisecond old (MF_CLOCK_COUNTER only). */
uint64_t now_ns(struct shim_thread *t) SHIM_HIDDEN;
/* One fixed-size event: ALLOC, FREE, MUNMAP, SETTLE. */
void emit(struct shim_thread *t, uint16_t type, uint32_t aux, uint64_t key,
	  uint64_t a, uint64_t b, uint64_t c) SHIM_HIDDEN;
/* THREAD (thread == 0: the calling thread) or RENAME (of thread). */
void emit_name(struct shim_thread *t, uint16_t type, uint64_t thread,
	       const char *name) SHIM_HIDDEN;

/* shim_attach.c */
/* Whether the tracker was loaded into a running process, not preloaded. */
int shim_loaded_late(void) SHIM_HIDDEN;

/* shim_stack.c */
void stack_init(void) SHIM_HIDDEN;
struct dl_phdr_info;
/*
 * The loaded segment of module info (a dl_iterate_phdr callback's) that
 * holds addr: 1 and [*start, *end), or 0.
 */
int segment_of(const struct dl_phdr_info *info, uintptr_t addr, uintptr_t *start,
	       uintptr_t *end) SHIM_HIDDEN;
/* The extent of a module's loaded segments, relative to its bias: *lo and the end; 0 if none. */
uint64_t module_extent(const struct dl_phdr_info *info, uint64_t *lo) SHIM_HIDDEN;
/* Is pc in libunwind (whose own thread-exit clean-up calls munmap)? */
int unwinder_code(const void *pc) SHIM_HIDDEN;
/*
 * The id of the calling code's stack (the shim's own frames dropped),
 * sending MF_EV_STACK (and new modules) first if this thread has not yet.
 * entry is where the hook's return address is stored (its caller's stack
 * pointer), the key of the cache of stack shapes.
 */
uint64_t stack_id(struct shim_thread *t, const uint64_t *entry) SHIM_HIDDEN;
/* A new one-frame stack (pc, callers unknown) for an event made while the
 * stack cache is busy (a signal handler interrupted the shim). */
uint64_t stack_of_one(struct shim_thread *t, uint64_t pc) SHIM_HIDDEN;
/* Is pc in code the shim itself runs (the shim, libunwind, liblzma, libc)? */
int internal_code(const void *pc) SHIM_HIDDEN;
void stack_cache_free(struct shim_thread *t) SHIM_HIDDEN;
/* Send MF_EV_MODULE for every loaded module not sent yet, if any was loaded since. */
void modules_check(struct shim_thread *t) SHIM_HIDDEN;
/*
 * After a dlclose: forget the modules no longer loaded (sent again if
 * loaded again) and, in every thread at its next stack, the stacks cached.
 */
void modules_unloaded(void) SHIM_HIDDEN;
/* Remember the path of the main program (call once at init). */
void modules_init(void) SHIM_HIDDEN;
/* A forked child with a region of its own: send every module again. */
void modules_forget(void) SHIM_HIDDEN;

/* shim_python.c */
struct py_cache;
/* Is the process CPython, and one we understand (else one warning)?  Once, at init. */
void python_init(void) SHIM_HIDDEN;
/*
 * The id of native stack id native with the calling thread's Python
 * frames woven in: native itself when the thread runs no Python code;
 * else a stack id sent as MF_EV_PYSTACK (and its new code objects as
 * MF_EV_PYCODE) the first time.  *cache is the thread's, made on first use.
 * Call inside the guard.
 */
uint64_t python_stack_id(struct shim_thread *t, struct py_cache **cache, uint64_t native) SHIM_HIDDEN;
void python_cache_free(struct py_cache *c) SHIM_HIDDEN;

#endif
