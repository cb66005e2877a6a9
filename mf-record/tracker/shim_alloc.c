/*
 * shim_alloc.c - the interposed malloc family: one event per call into
 * the thread's ring (shim_thread.c), for the launcher (mf-record).
 *
 * Each hook calls the real function (found with dlsym(RTLD_NEXT)) and
 * records what happened: an allocation after the real call returned, a
 * free before the real free (so an address freed here and handed out
 * again in another thread appears freed first).  A per-thread guard
 * keeps the tracker from tracking itself: whatever libunwind, libc or the
 * tracker calls from inside a hook goes straight to the real functions.
 * Signal handlers that allocate are recorded too, wherever they interrupt
 * a hook (see enum how_tracked).
 *
 * This is the hot path: no lock, no system call, no formatting and no
 * allocation per event; tracking() (shim_hooks.h) and the ring writer are
 * inlined into the hooks (link-time optimisation, mf-record/build.mk).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "shim_hooks.h"

/* --- bootstrap: dlsym itself calls calloc before we know the real one --- */

static char pool[64 << 10] __attribute__((aligned(64)));
static _Atomic size_t pool_used;

/* A block of the static pool, with its size kept just before it (for realloc). */
static void *pool_alloc(size_t n, size_t align)
{
	size_t start, end;

	if (align < 16)
		align = 16;
	if (n > sizeof pool || (align & (align - 1)) || align > 4096)
		return NULL;
	size_t old = atomic_load(&pool_used);
	do {
		start = (old + 16 + align - 1) & ~(align - 1);
		end = start + n;
		if (end > sizeof pool)
			return NULL;
	} while (!atomic_compare_exchange_weak(&pool_used, &old, end));
	memcpy(pool + start - sizeof(size_t), &n, sizeof n);
	return pool + start;
}

static int in_pool(const void *p)
{
	return (const char *)p >= pool && (const char *)p < pool + sizeof pool;
}

static size_t pool_size(const void *p)
{
	size_t n;

	memcpy(&n, (const char *)p - sizeof n, sizeof n);
	return n;
}

/* --- what each call records --- */

void record_alloc(struct shim_thread *t, void *p, size_t n, enum mf_allocator how,
		  const uint64_t *entry, enum how_tracked mode)
{
	uint64_t stack;

	if (!writing(t, mode))
		return;
	stack = stack_for(t, entry, mode);
	emit(t, MF_EV_ALLOC, how, event_key(), (uintptr_t)p, n, stack);
}

/* Call is the real allocation; n the size to record. */
#define TRACK_ALLOC(call, how, n) do {					\
		struct shim_thread *t_ = &shim_self;			\
		enum how_tracked m_ = tracking(t_, CALLER());		\
		void *p_ = REAL(t_, call);				\
		if (p_ && m_ != UNTRACKED)				\
			record_alloc(t_, p_, (n), (how), ENTRY_SLOT(), m_); \
		return p_;						\
	} while (0)

EXPORT void *malloc(size_t n)
{
	RETURN_IF_UNRESOLVED(real_malloc, pool_alloc(n, 16));
	TRACK_ALLOC(real_malloc(n), MF_MALLOC, n);
}

EXPORT void *calloc(size_t count, size_t size)
{
	RETURN_IF_UNRESOLVED(real_calloc,
			     size && count > SIZE_MAX / size ? NULL : pool_alloc(count * size, 16));
	TRACK_ALLOC(real_calloc(count, size), MF_CALLOC, count * size);
}

EXPORT void free(void *p)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	if (!p || unlikely(in_pool(p)))
		return;
	how = tracking(t, CALLER());
	/* Written before the real free: p may be handed out again at once. */
	if (writing(t, how))
		emit(t, MF_EV_FREE, 0, event_key(), (uintptr_t)p, 0, 0);
	if (real_free) {
		t->in_real++;
		atomic_signal_fence(memory_order_seq_cst);
		real_free(p);
		atomic_signal_fence(memory_order_seq_cst);
		t->in_real--;
	}
}

/* A pool block cannot grow in place: move it to the real heap. */
static void *pool_realloc(void *p, size_t n)
{
	void *q;

	if (n == 0)
		return NULL;
	q = malloc(n);
	if (q)
		memcpy(q, p, pool_size(p) < n ? pool_size(p) : n);
	return q;
}

/*
 * realloc(p, n) is a free of p and an allocation of n bytes.  The free is
 * published before the real call (p may be handed out again in another
 * thread as soon as it returns) as pending, and settled after it: the
 * call may fail and keep p.
 */
static void pending_free(struct shim_thread *t, void *p)
{
	emit(t, MF_EV_FREE, MF_FREE_PENDING, event_key(), (uintptr_t)p, 0, 0);
}

static void *tracked_realloc(struct shim_thread *t, void *p, size_t n, void *q,
			     enum mf_allocator how, const uint64_t *entry, enum how_tracked mode)
{
	if (!q)		/* failed, or realloc(p, 0) freed p */
		emit(t, MF_EV_SETTLE, n == 0, event_key(), (uintptr_t)p, 0, 0);
	else {
		/* The stack first: it may send a module, which must be keyed before its use. */
		uint64_t stack = stack_for(t, entry, mode);

		emit(t, MF_EV_ALLOC, how | MF_ALLOC_SETTLES, event_key(), (uintptr_t)q, n, stack);
	}
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	if (unlikely(in_pool(p)))
		return pool_realloc(p, n);
	if (!p)
		TRACK_ALLOC(real_realloc(NULL, n), MF_REALLOC, n);
	how = tracking(t, CALLER());
	if (!writing(t, how))
		return REAL(t, real_realloc(p, n));
	pending_free(t, p);
	return tracked_realloc(t, p, n, REAL(t, real_realloc(p, n)), MF_REALLOC, ENTRY_SLOT(), how);
}

EXPORT void *reallocarray(void *p, size_t count, size_t size)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	if (unlikely(in_pool(p))) {
		if (size && count > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return pool_realloc(p, count * size);
	}
	/* An overflowing size fails without touching p: nothing to record. */
	if (!p || (size && count > SIZE_MAX / size))
		TRACK_ALLOC(real_reallocarray(p, count, size), MF_REALLOCARRAY, count * size);
	how = tracking(t, CALLER());
	if (!writing(t, how))
		return REAL(t, real_reallocarray(p, count, size));
	pending_free(t, p);
	return tracked_realloc(t, p, count * size, REAL(t, real_reallocarray(p, count, size)),
			       MF_REALLOCARRAY, ENTRY_SLOT(), how);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;
	int err;

	RETURN_IF_UNRESOLVED(real_posix_memalign, (*out = pool_alloc(n, align)) ? 0 : ENOMEM);
	how = tracking(t, CALLER());
	err = REAL(t, real_posix_memalign(out, align, n));
	if (err == 0 && how != UNTRACKED)
		record_alloc(t, *out, n, MF_POSIX_MEMALIGN, ENTRY_SLOT(), how);
	return err;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	RETURN_IF_UNRESOLVED(real_aligned_alloc, pool_alloc(n, align));
	TRACK_ALLOC(real_aligned_alloc(align, n), MF_ALIGNED_ALLOC, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
	RETURN_IF_UNRESOLVED(real_memalign, pool_alloc(n, align));
	TRACK_ALLOC(real_memalign(align, n), MF_MEMALIGN, n);
}

EXPORT void *valloc(size_t n)
{
	RETURN_IF_UNRESOLVED(real_valloc, pool_alloc(n, 4096));
	TRACK_ALLOC(real_valloc(n), MF_VALLOC, n);
}

EXPORT void *pvalloc(size_t n)
{
	RETURN_IF_UNRESOLVED(real_pvalloc, pool_alloc(n, 4096));
	TRACK_ALLOC(real_pvalloc(n), MF_PVALLOC, n);
}
