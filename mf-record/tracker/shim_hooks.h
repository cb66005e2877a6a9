/*
 * shim_hooks.h - what the files of interposed functions share: the
 * tracker's state, the real functions, and the decision every hook makes
 * first (tracking: is this call recorded, and how).
 *
 * shim.c          start and stop: the real functions found, the region
 *                 attached, the constructor
 * shim_alloc.c    the malloc family (and the bootstrap pool dlsym needs)
 * shim_map.c      mmap, munmap, mremap, mprotect; dlclose
 * shim_names.c    thread names (pthread_setname_np, prctl)
 * shim_process.c  fork handlers and --follow-fork's regions, the
 *                 environment a program execs with, spawn and exit
 *
 * tracking() and the macros below are inlined into every hook: they are
 * the hot path's first instructions (one load of the state, one of the
 * fork page, two of the thread's guard).
 */
#ifndef MF_SHIM_HOOKS_H
#define MF_SHIM_HOOKS_H

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/types.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

enum { SHIM_UNINIT, SHIM_STARTING, SHIM_ON, SHIM_OFF };
/* Process-local: a forked child sets SHIM_OFF and never tracks again. */
extern _Atomic int shim_state SHIM_HIDDEN;

/*
 * Every real function a hook calls, in the order shim_init resolves them
 * (calloc first, as dlsym itself calls it): X(name, type of a pointer to
 * it).  One list makes the pointers
 * (real_NAME, NULL until resolved; shim.c), their declarations here and
 * their resolution.
 */
#define SHIM_REAL_FUNCTIONS(X)						\
	X(calloc, void *(*)(size_t, size_t))				\
	X(malloc, void *(*)(size_t))					\
	X(free, void (*)(void *))					\
	X(realloc, void *(*)(void *, size_t))				\
	X(reallocarray, void *(*)(void *, size_t, size_t))		\
	X(posix_memalign, int (*)(void **, size_t, size_t))		\
	X(aligned_alloc, void *(*)(size_t, size_t))			\
	X(memalign, void *(*)(size_t, size_t))				\
	X(valloc, void *(*)(size_t))					\
	X(pvalloc, void *(*)(size_t))					\
	X(mmap, void *(*)(void *, size_t, int, int, int, off_t))	\
	X(mmap64, void *(*)(void *, size_t, int, int, int, off64_t))	\
	X(munmap, int (*)(void *, size_t))				\
	X(mremap, void *(*)(void *, size_t, size_t, int, ...))		\
	X(mprotect, int (*)(void *, size_t, int))			\
	X(pthread_setname_np, int (*)(pthread_t, const char *))	\
	X(prctl, int (*)(int, ...))					\
	X(dlclose, int (*)(void *))					\
	X(posix_spawn, int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *, \
			       const posix_spawnattr_t *, char *const[], char *const[])) \
	X(posix_spawnp, int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *, \
				const posix_spawnattr_t *, char *const[], char *const[])) \
	X(system, int (*)(const char *))				\
	X(popen, FILE *(*)(const char *, const char *))		\
	X(_exit, void (*)(int))						\
	X(_Exit, void (*)(int))
#define SHIM_DECLARE_REAL(name, type) extern __typeof__(type) real_##name SHIM_HIDDEN;
SHIM_REAL_FUNCTIONS(SHIM_DECLARE_REAL)

/*
 * How a call is recorded.  TRACK: normally.  UNTRACKED: tracking is off,
 * or the shim, libunwind or libc called it from inside a hook (glibc's
 * reallocarray calls realloc, libunwind maps memory).  NESTED: a signal
 * handler interrupted the guarded part of the shim (unwinding, the stack
 * cache, claiming a slot), which must not be entered again: the event is
 * recorded with a one-frame stack.  A handler that interrupts anything
 * else is tracked as usual (the ring writer allows it).
 */
enum how_tracked { UNTRACKED, TRACK, NESTED };

/* shim.c */
/*
 * Runs on the first call of any hook (a library constructor may allocate
 * before ours runs); returns at once in the thread initialising.
 */
void shim_init(void) SHIM_HIDDEN;
/* Map the region fd names and close fd; 1 when tracking (warns if not). */
int attach_region(int fd) SHIM_HIDDEN;

/* shim_process.c */
/*
 * The child of a fork that ran no fork handlers (see shim_own): it
 * stops tracking before it writes anything.  The rings stay mapped: they
 * are its parent's, and the parent goes on writing them.
 */
enum how_tracked forked_apart(struct shim_thread *t) SHIM_HIDDEN;
/* Whether --follow-fork is on: MF_ENV_FOLLOW named the launcher's socket, not for execs only. */
int following(void) SHIM_HIDDEN;
/* Whether MF_ENV_FOLLOW named the launcher's socket: this process's execs are followed. */
int follow_named(void) SHIM_HIDDEN;
/* Keep MF_ENV_FOLLOW's value, if it is a name the launcher could have made. */
void remember_follow(void) SHIM_HIDDEN;
/*
 * Ask the launcher for a region of our own (kind: MF_FOLLOW_FORK or
 * MF_FOLLOW_EXEC); its descriptor, or -1 (the launcher is gone).
 */
int follow_request(uint32_t kind, pid_t parent, uint64_t key) SHIM_HIDDEN;
/* The fork handlers, registered when tracking starts. */
void fork_prepare(void) SHIM_HIDDEN;
void fork_child(void) SHIM_HIDDEN;
/* The on_exit handler registered at attach: the exit status for the header. */
void note_exit_handler(int status, void *unused) SHIM_HIDDEN;
/* Take MF_SHM_FD (and, not following, this library's LD_PRELOAD entry) out of environ. */
void forget_environment(void) SHIM_HIDDEN;

/* shim_alloc.c */
/* MF_EV_ALLOC for block p of n bytes, with the stack above entry (a mapping's too). */
void record_alloc(struct shim_thread *t, void *p, size_t n, enum mf_allocator how,
		  const uint64_t *entry, enum how_tracked mode) SHIM_HIDDEN;

/* Initialises on the very first call.  caller: the hook's return address. */
static inline enum how_tracked tracking(struct shim_thread *t, const void *caller)
{
	int state = atomic_load_explicit(&shim_state, memory_order_relaxed);

	if (likely(state == SHIM_ON)) {
		if (unlikely(!shim_own_process()))
			return forked_apart(t);
		if (likely(t->guard == 0 && t->in_real == 0))
			return TRACK;
		if (internal_code(caller))
			return UNTRACKED;
		if (t->guard == 0)
			return TRACK;
		return t->slot ? NESTED : UNTRACKED;
	}
	if (state == SHIM_UNINIT || state == SHIM_STARTING) {
		shim_init();
		if (atomic_load(&shim_state) == SHIM_ON && t->guard == 0)
			return TRACK;
	}
	return UNTRACKED;
}

/*
 * Before the real functions are known: the first call of any hook finds
 * them (tracking() runs shim_init), but the calls of the thread finding
 * them (dlsym's calloc) still find real NULL, and return value instead
 * (a block of the bootstrap pool, or the system call itself).
 */
#define RETURN_IF_UNRESOLVED(real, value) do {				\
		if (unlikely(!(real))) {				\
			tracking(&shim_self, NULL);			\
			if (!(real))					\
				return (value);				\
		}							\
	} while (0)

#define CALLER() __builtin_return_address(0)
/* The real function's result; what it calls through our hooks is its own business. */
#define REAL(t, call) ({						\
		(t)->in_real++;						\
		atomic_signal_fence(memory_order_seq_cst);		\
		__typeof__(call) r_ = (call);				\
		atomic_signal_fence(memory_order_seq_cst);		\
		(t)->in_real--;						\
		r_;							\
	})
/*
 * Where the hook's return address is stored, for the stack cache: the
 * frame address makes GCC keep a frame pointer in the hook, so the slot is
 * right above it.
 */
#define ENTRY_SLOT() ((const uint64_t *)__builtin_frame_address(0) + 1)

/* Does this thread write events?  Claims its slot on its first event. */
static inline int writing(struct shim_thread *t, enum how_tracked how)
{
	return how == NESTED || (how == TRACK && thread_slot(t));
}

/* The stack of the event: one frame when a handler interrupted the unwinder. */
static inline uint64_t stack_for(struct shim_thread *t, const uint64_t *entry, enum how_tracked how)
{
	return how == NESTED ? stack_of_one(t, *entry) : stack_id(t, entry);
}

#endif
