/*
 * shim_map.c - the interposed mapping functions (mmap, mmap64, munmap,
 * mremap, mprotect) and dlclose, which unmaps a library whose addresses
 * another may take.  What each sends is said below; the launcher keeps
 * which parts of a mapping are memory (writer_regions.c).
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_hooks.h"

/*
 * --- mappings: only anonymous ones are allocations, and only while
 * accessible.  A PROT_NONE mapping reserves address space (MF_EV_RESERVE);
 * mprotect commits parts of it and gives them back (MF_MPROTECT,
 * MF_EV_DECOMMIT); the launcher keeps which parts are memory.
 *
 * A mapping call made while a real allocation function runs in this
 * thread (in_real: jemalloc maps its chunks inside malloc, unmaps them
 * inside free) is the allocator's own: the blocks it serves are counted,
 * so it is not sent.  A signal handler's mapping made while it interrupts
 * an allocation function is taken for the allocator's too.
 */

static int allocator_own(const struct shim_thread *t)
{
	return t->in_real != 0;
}

static void *track_mmap(void *p, size_t len, int prot, int flags, const void *caller,
			const uint64_t *entry)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	if (p == MAP_FAILED || !(flags & MAP_ANONYMOUS) || allocator_own(t))
		return p;
	how = tracking(t, caller);
	if (how == UNTRACKED || unwinder_code(caller))
		return p;
	if (prot != PROT_NONE)
		record_alloc(t, p, len, MF_MMAP, entry, how);
	else if (writing(t, how))	/* no stack: nothing is allocated */
		emit(t, MF_EV_RESERVE, 0, event_key(), (uintptr_t)p, len, 0);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	RETURN_IF_UNRESOLVED(real_mmap, (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off));
	return track_mmap(REAL(&shim_self, real_mmap(addr, len, prot, flags, fd, off)), len, prot,
			  flags, CALLER(), ENTRY_SLOT());
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	RETURN_IF_UNRESOLVED(real_mmap64,
			     (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off));
	return track_mmap(REAL(&shim_self, real_mmap64(addr, len, prot, flags, fd, off)), len,
			  prot, flags, CALLER(), ENTRY_SLOT());
}

EXPORT int munmap(void *addr, size_t len)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	RETURN_IF_UNRESOLVED(real_munmap, syscall(SYS_munmap, addr, len));
	how = tracking(t, CALLER());
	/* libunwind unmaps its own caches at thread exit, outside the guard. */
	if (!allocator_own(t) && !unwinder_code(CALLER()) && writing(t, how))
		emit(t, MF_EV_MUNMAP, 0, event_key(), (uintptr_t)addr, len, 0);
	return REAL(t, real_munmap(addr, len));
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;
	void *want = NULL, *q;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	RETURN_IF_UNRESOLVED(real_mremap,
			     (void *)syscall(SYS_mremap, old, old_len, new_len, flags, want));
	how = tracking(t, CALLER());
	if (allocator_own(t) || !writing(t, how))
		return REAL(t, real_mremap(old, old_len, new_len, flags, want));
	/*
	 * The old range is unmapped, not freed: it may be part of a larger
	 * mapping, whose other parts stay.  old_len 0 (a second mapping of
	 * shared memory) unmaps nothing.  c = 1: the new range takes over
	 * which of its parts are accessible.
	 */
	if (old_len)
		emit(t, MF_EV_MUNMAP, MF_FREE_PENDING, event_key(), (uintptr_t)old, old_len, 1);
	q = REAL(t, real_mremap(old, old_len, new_len, flags, want));
	if (q == MAP_FAILED) {
		if (old_len)
			emit(t, MF_EV_SETTLE, 0, event_key(), (uintptr_t)old, 0, 0);
	} else {
		uint64_t stack = stack_for(t, ENTRY_SLOT(), how);	/* before the key, as in realloc */

		emit(t, MF_EV_ALLOC, MF_MREMAP | (old_len ? MF_ALLOC_SETTLES : 0), event_key(),
		     (uintptr_t)q, new_len, stack);
	}
	return q;
}

/*
 * Sent after the call, on success: making pages accessible commits them
 * (an allocation of the reserved parts, with this stack); PROT_NONE
 * decommits them.  Most calls touch no tracked mapping (code made
 * read-only, a JIT flipping write and execute): the launcher ignores them.
 */
EXPORT int mprotect(void *addr, size_t len, int prot)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;
	int r;

	RETURN_IF_UNRESOLVED(real_mprotect, syscall(SYS_mprotect, addr, len, prot));
	how = tracking(t, CALLER());
	r = REAL(t, real_mprotect(addr, len, prot));
	if (r != 0 || allocator_own(t) || unwinder_code(CALLER()) || !writing(t, how))
		return r;
	if (prot == PROT_NONE)
		emit(t, MF_EV_DECOMMIT, 0, event_key(), (uintptr_t)addr, len, 0);
	else
		emit(t, MF_EV_ALLOC, MF_MPROTECT, event_key(), (uintptr_t)addr, len,
		     stack_for(t, ENTRY_SLOT(), how));
	return r;
}

/* --- unloading libraries --- */

/*
 * A library unloaded leaves its addresses free for another one, whose
 * code may even have the same return addresses: stacks cached and modules
 * already sent must be forgotten (modules_unloaded).  Only dlclose calls
 * made through the dynamic symbol are seen (glibc's own unloading of its
 * gconv and NSS modules is not).
 */
EXPORT int dlclose(void *handle)
{
	int r;

	RETURN_IF_UNRESOLVED(real_dlclose, -1);
	r = real_dlclose(handle);
	if (atomic_load(&shim_state) == SHIM_ON)
		modules_unloaded();
	return r;
}
