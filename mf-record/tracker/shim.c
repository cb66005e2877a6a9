/*
 * shim.c - the preloaded tracker (bin/libmf-record.so): interposes the
 * allocation functions of the recorded program and writes one event per
 * call into shared memory for the launcher (mf-record).  See proto.h for
 * the protocol and shim.h for the other parts.
 *
 * Each hook calls the real function (found with dlsym(RTLD_NEXT)) and
 * records what happened: an allocation after the real call returned, a
 * free before the real free (so an address freed here and handed out
 * again in another thread appears freed first).  A per-thread guard
 * keeps the tracker from tracking itself: whatever libunwind, libc or the
 * tracker calls from inside a hook goes straight to the real functions.
 * Signal handlers that allocate are recorded too, wherever they interrupt
 * a hook (see enum how_tracked).
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

struct mf_shared_header *shim_hdr;
int shim_clock_tsc;

enum { SHIM_UNINIT, SHIM_STARTING, SHIM_ON, SHIM_OFF };
/* Process-local: a forked child sets SHIM_OFF and never tracks again. */
static _Atomic int shim_state;

/*
 * 1 in the process that attached, 0 in every process forked from it: a
 * private page the kernel empties in the child of any fork
 * (MADV_WIPEONFORK), the raw clone system call included, which runs no
 * fork handlers.  Such a child shares the rings with its parent (they are
 * shared memory) and holds a copy of its thread's slot: it must notice
 * before it writes.  Reading the page is one load per event, where
 * getpid() would be a system call.  Without MADV_WIPEONFORK (Linux before
 * 4.14) it points at a word that stays 1, and only fork handlers protect.
 */
static _Atomic uint32_t always_own = 1;
_Atomic uint32_t *shim_own = &always_own;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off64_t);
static int (*real_munmap)(void *, size_t);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static int (*real_mprotect)(void *, size_t, int);
static int (*real_pthread_setname_np)(pthread_t, const char *);
static int (*real_prctl)(int, ...);
static int (*real_dlclose)(void *);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			      const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			       const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_system)(const char *);
static FILE *(*real_popen)(const char *, const char *);
static void (*real__exit)(int);
static void (*real__Exit)(int);

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

/*
 * Where the real functions are: the next module after the preloaded
 * tracker, or, for a tracker loaded into a running process (shim_attach.c),
 * the first module that defines them, the one the program's calls are bound to.
 */
static void *real_scope = RTLD_NEXT;
#define RESOLVE(name) (real_##name = (__typeof__(real_##name))dlsym(real_scope, #name))

static void resolve_real_functions(void)
{
	RESOLVE(calloc);
	RESOLVE(malloc);
	RESOLVE(free);
	RESOLVE(realloc);
	RESOLVE(reallocarray);
	RESOLVE(posix_memalign);
	RESOLVE(aligned_alloc);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	RESOLVE(mmap);
	RESOLVE(mmap64);
	RESOLVE(munmap);
	RESOLVE(mremap);
	RESOLVE(mprotect);
	RESOLVE(pthread_setname_np);
	RESOLVE(prctl);
	RESOLVE(dlclose);
	RESOLVE(posix_spawn);
	RESOLVE(posix_spawnp);
	RESOLVE(system);
	RESOLVE(popen);
	RESOLVE(_exit);
	RESOLVE(_Exit);
}

/* --- attaching to the launcher's shared memory --- */

void *shim_mmap(size_t len)
{
	void *p = real_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void shim_munmap(void *p, size_t len)
{
	real_munmap(p, len);
}

void shim_give_up(void)
{
	atomic_store(&shim_state, SHIM_OFF);
}

/* --- --follow-fork: a region for every process (proto.h, struct mf_follow_request) --- */

/* The launcher's socket name (MF_ENV_FOLLOW), empty when not following. */
static char follow_name[MF_FOLLOW_NAME_MAX + 1];
/* Our connection to it, open while we live, so it sees us end; -1 before. */
static int follow_conn = -1;
/* Read in the parent just before a fork: what the child asks with. */
static uint64_t fork_key;
static pid_t fork_parent;

static int following(void)
{
	return follow_name[0] != '\0';
}

/* Keep MF_ENV_FOLLOW's value, if it is a name the launcher could have made. */
static void remember_follow(void)
{
	const char *name = getenv(MF_ENV_FOLLOW);
	size_t n = name ? strlen(name) : 0;

	if (n > 0 && n <= MF_FOLLOW_NAME_MAX)
		memcpy(follow_name, name, n + 1);
}

/* Send the request on s and receive the region's descriptor; -1 if none came. */
static int exchange(int s, const struct mf_follow_request *req)
{
	char byte;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.space, .msg_controllen = sizeof control.space };
	struct cmsghdr *c;
	int fd;

	if (send(s, req, sizeof *req, MSG_NOSIGNAL) != (ssize_t)sizeof *req)
		return -1;
	while (recvmsg(s, &msg, MSG_CMSG_CLOEXEC) < 0)
		if (errno != EINTR)
			return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/*
 * Ask the launcher for a region of our own; its descriptor, or -1 (the
 * launcher is gone: we run untracked).  No allocation: this runs in fork
 * handlers and before the program's own initialisation.  getpid through
 * syscall: a library the user preloads may interpose getpid.
 */
static int follow_request(uint32_t kind, pid_t parent, uint64_t key)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t n = strlen(follow_name);
	struct mf_follow_request req = { .kind = kind, .pid = (int32_t)syscall(SYS_getpid),
					 .parent = parent, .fork_key = key };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int fd;

	if (follow_conn >= 0)
		close(follow_conn);	/* the parent's, inherited */
	follow_conn = -1;
	if (s < 0)
		return -1;
	memcpy(addr.sun_path + 1, follow_name, n);	/* abstract: sun_path[0] is NUL */
	if (connect(s, (struct sockaddr *)&addr,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
	    (fd = exchange(s, &req)) < 0) {
		close(s);
		return -1;
	}
	follow_conn = s;
	return fd;
}

/* Before a fork, in the parent: where its events stand (no key is taken). */
static void fork_prepare(void)
{
	if (atomic_load(&shim_state) != SHIM_ON || !shim_hdr)
		return;
	fork_parent = (pid_t)syscall(SYS_getpid);
#if defined(__x86_64__)
	if (shim_clock_tsc) {
		uint32_t lo, hi;

		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
		fork_key = (uint64_t)hi << 32 | lo;
		return;
	}
#endif
	fork_key = atomic_load(&shim_hdr->counter);
}

static int attach_region(int fd);
static void note_exit_handler(int status, void *unused);

/*
 * --follow-fork, in a forked child whose parent's region is unmapped: a
 * region of its own, where the forking thread is thread 1 again and every
 * module is sent again.  Stays untracked if the launcher cannot give one.
 */
static void follow_fork(void)
{
	struct shim_thread *t = &shim_self;
	int fd = follow_request(MF_FOLLOW_FORK, fork_parent, fork_key);

	if (fd < 0 || !attach_region(fd))
		return;
	thread_follow(t);
	modules_forget();
	atomic_store(shim_own, 1);	/* the kernel emptied the page in this child */
	atomic_store(&shim_state, SHIM_ON);
	t->guard++;
	if (thread_slot(t))
		modules_check(t);
	t->guard--;
}

/*
 * A forked child is not the recorded process: it stops writing its
 * parent's rings.  The forking thread forgets its slot, so its exit hook
 * (pthread_exit in the child) touches nothing that was unmapped.  With
 * --follow-fork it is recorded on its own (follow_fork); otherwise it is
 * counted, for the launcher's note on processes not recorded.
 */
static void fork_child(void)
{
	int was_on = atomic_load(&shim_state) == SHIM_ON;

	atomic_store(&shim_state, SHIM_OFF);
	shim_self.slot = NULL;
	shim_self.cache = following() ? shim_self.cache : NULL;
	thread_unmap_slots();
	if (shim_hdr) {
		if (was_on && !following())
			atomic_fetch_add(&shim_hdr->unrecorded, 1);
		real_munmap(shim_hdr, 2 * MF_SLOT_ALIGN);
	}
	shim_hdr = NULL;
	if (was_on && following())
		follow_fork();
}

/* The page behind shim_own; keeps the static word if the kernel cannot wipe it. */
static void mark_own_process(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	_Atomic uint32_t *p = shim_mmap(page);

	if (!p)
		return;
	if (madvise(p, page, MADV_WIPEONFORK) != 0) {
		shim_munmap(p, page);
		return;
	}
	atomic_store(p, 1);
	shim_own = p;
}

/* The descriptor in MF_SHM_FD, or -1 (digits only: no strtol, no locale). */
static int shm_fd_from_env(void)
{
	const char *s = getenv(MF_ENV_SHM_FD);
	int fd = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || fd > 100000000)
			return -1;
		fd = fd * 10 + (*s - '0');
	}
	return fd;
}

/* One line on standard error, without stdio (it may not be set up yet). */
static void warn(const char *line)
{
	ssize_t ignored = write(STDERR_FILENO, line, strlen(line));

	(void)ignored;
}

/*
 * Whether fd is the launcher's region: a file of the size its header
 * says, with the magic and version.  Checked before mapping, since
 * touching a mapping past the end of a file is a SIGBUS.
 */
static int is_region(int fd)
{
	struct mf_shared_header h;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof h)
		return 0;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		return 0;
	return h.magic == MF_PROTO_MAGIC && h.version == MF_PROTO_VERSION &&
	       h.slots >= 1 && h.slots <= MF_SLOTS && (uint64_t)st.st_size == mf_shm_size(h.slots);
}

/*
 * Map the header of the shared region (and the start of slot 0, which
 * slot 0 is mapped from: proto.h) and close its descriptor, so a program
 * that closes every descriptor, or dup2s over this one, is unharmed.  A
 * descriptor that is not the launcher's region is left alone, with a
 * warning.  Returns 1 when tracking.
 */
static int attach_region(int fd)
{
	void *m;

	if (!is_region(fd)) {
		warn("libmf-record.so: MF_SHM_FD does not name mf-record's shared memory; "
		     "the program runs untracked\n");
		return 0;
	}
	m = real_mmap(NULL, 2 * MF_SLOT_ALIGN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (m == MAP_FAILED) {
		warn("libmf-record.so: cannot map mf-record's shared memory; the program runs untracked\n");
		return 0;
	}
	close(fd);
	shim_hdr = m;
#if defined(__x86_64__)
	shim_clock_tsc = shim_hdr->clock == MF_CLOCK_TSC;
#endif
	atomic_store(&shim_hdr->attached, 1);
	return 1;
}

/* Tracking starts: this process's threads, stacks and modules. */
static void start_tracking(void)
{
	mark_own_process();
	thread_init();
	stack_init();
	modules_init();
	pthread_atfork(fork_prepare, NULL, fork_child);
}

/*
 * The region: MF_SHM_FD's for the program mf-record started, or with
 * --follow-fork one asked of the launcher by a program a recorded process
 * exec'd (MF_SHM_FD was taken out of its environment).
 */
static int attach(void)
{
	const char *env = getenv(MF_ENV_SHM_FD);
	int fd;

	remember_follow();
	/*
	 * Following, MF_SHM_FD may be stale: a shell that keeps its own copy
	 * of the environment (bash) passes it on to what it runs, where it
	 * names no region.  Then this is an exec'd program: ask.
	 */
	if (env && *env && following() && (fd = shm_fd_from_env()) >= 0 && !is_region(fd))
		env = NULL;
	if (env && *env) {
		fd = shm_fd_from_env();
		if (fd < 0) {
			warn("libmf-record.so: MF_SHM_FD does not name mf-record's shared memory; "
			     "the program runs untracked\n");
			return 0;
		}
	} else if (following()) {
		fd = follow_request(MF_FOLLOW_EXEC, getppid(), 0);
		if (fd < 0)
			return 0;	/* the launcher is gone */
	} else {
		return 0;
	}
	if (!attach_region(fd))
		return 0;
	start_tracking();
	on_exit(note_exit_handler, NULL);
	return 1;
}

/*
 * Runs on the first call of any hook (a library constructor may allocate
 * before ours runs).  Other threads arriving meanwhile wait; the thread
 * initialising has its guard set, so its own calls (dlsym's calloc) go to
 * the pool or the real functions.
 */
static void shim_init(void)
{
	struct shim_thread *t = &shim_self;
	int expect = SHIM_UNINIT;

	if (!atomic_compare_exchange_strong(&shim_state, &expect, SHIM_STARTING)) {
		while (t->guard == 0 && atomic_load(&shim_state) == SHIM_STARTING)
			sched_yield();
		return;
	}
	t->guard++;
	resolve_real_functions();
	expect = attach() ? SHIM_ON : SHIM_OFF;
	t->guard--;
	atomic_store(&shim_state, expect);
}

/*
 * Started by mf-record -p (shim_attach.c): the region comes from the
 * launcher, which is not this process's parent.
 */
int shim_start_late(int fd, pid_t launcher)
{
	struct shim_thread *t = &shim_self;
	int expect = SHIM_UNINIT, ok;

	if (!atomic_compare_exchange_strong(&shim_state, &expect, SHIM_STARTING))
		return -1;
	t->guard++;
	real_scope = RTLD_DEFAULT;
	resolve_real_functions();
	ok = attach_region(fd);
	if (ok) {
		start_tracking();
		thread_launcher_is(launcher);
	}
	t->guard--;
	atomic_store(&shim_state, ok ? SHIM_ON : SHIM_OFF);
	if (!ok)
		return -2;
	/* The injected call runs in the main thread: it is thread 1, as when preloaded. */
	t->guard++;
	if (thread_slot(t))
		modules_check(t);
	t->guard--;
	return 0;
}

/* The file this library was loaded from, as the dynamic loader names it. */
static const char *own_path(void)
{
	Dl_info info;

	if (!dladdr((void *)own_path, &info) || !info.dli_fname)
		return NULL;
	return info.dli_fname;
}

/* Is the LD_PRELOAD entry [s, s + n) this library? */
static int is_own_entry(const char *s, size_t n, const char *self)
{
	return self && strlen(self) == n && memcmp(s, self, n) == 0;
}

/*
 * Take this library's entries out of the LD_PRELOAD string value, in
 * place (the value only shrinks, and no allocation may run here: the
 * program's allocations are being tracked).  The other entries keep their
 * order and the separator before them (':' or ' ', as ld.so reads them).
 * Returns the new length.
 */
static size_t drop_own_entries(char *value, const char *self)
{
	size_t out = 0, i = 0, len = strlen(value);

	while (i < len) {
		size_t start = i;

		while (i < len && value[i] != ':' && value[i] != ' ')
			i++;
		if (i > start && !is_own_entry(value + start, i - start, self)) {
			if (out > 0)
				value[out++] = value[start - 1];	/* the separator the user wrote */
			memmove(value + out, value + start, i - start);
			out += i - start;
		}
		i++;	/* the separator */
	}
	value[out] = '\0';
	return out;
}

/*
 * Remove the variables that start tracking, so programs we exec run
 * untracked: MF_SHM_FD, and this library from LD_PRELOAD; the libraries
 * the user preloaded stay, in their order (an LD_PRELOAD left empty is
 * removed).
 */
extern char **environ;

/*
 * Take name out of environ itself rather than with unsetenv: a program may
 * define its own unsetenv (bash does, over its own variables, which it has
 * not read from environ yet when this runs).  No allocation.
 */
static void drop_variable(const char *name)
{
	size_t n = strlen(name);
	char **to = environ;

	if (!environ)
		return;
	for (char **from = environ; *from; from++)
		if (strncmp(*from, name, n) != 0 || (*from)[n] != '=')
			*to++ = *from;
	*to = NULL;
}

static void forget_environment(void)
{
	char *value = getenv("LD_PRELOAD");

	drop_variable(MF_ENV_SHM_FD);
	if (following())
		return;	/* what it execs is recorded too: it needs the tracker */
	if (value && drop_own_entries(value, own_path()) == 0)
		drop_variable("LD_PRELOAD");
}

__attribute__((constructor)) static void shim_start(void)
{
	struct shim_thread *t = &shim_self;

	if (shim_loaded_late())	/* by mf-record -p: shim_attach.c starts it */
		return;
	if (atomic_load(&shim_state) == SHIM_UNINIT)
		shim_init();
	forget_environment();
	if (atomic_load(&shim_state) != SHIM_ON)
		return;
	/* The main thread is thread 1; every module is known from the start. */
	t->guard++;
	if (thread_slot(t))
		modules_check(t);
	t->guard--;
}

/* --- what each call records --- */

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

/*
 * The child of a fork that ran no fork handlers (see shim_own): it
 * stops tracking before it writes anything.  The rings stay mapped: they
 * are its parent's, and the parent goes on writing them.  It is counted
 * with --follow-fork too, which cannot follow it (no handler asks for
 * its region).
 */
static enum how_tracked forked_apart(struct shim_thread *t)
{
	if (atomic_exchange(&shim_state, SHIM_OFF) == SHIM_ON)
		atomic_fetch_add(&shim_hdr->unrecorded, 1);
	t->slot = NULL;
	return UNTRACKED;
}

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

static uint64_t stack_for(struct shim_thread *t, const uint64_t *entry, enum how_tracked how)
{
	return how == NESTED ? stack_of_one(t, *entry) : stack_id(t, entry);
}

static void record_alloc(struct shim_thread *t, void *p, size_t n, enum mf_allocator how,
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
	if (unlikely(!real_malloc)) {
		tracking(&shim_self, NULL);
		if (!real_malloc)
			return pool_alloc(n, 16);
	}
	TRACK_ALLOC(real_malloc(n), MF_MALLOC, n);
}

EXPORT void *calloc(size_t count, size_t size)
{
	if (unlikely(!real_calloc)) {
		tracking(&shim_self, NULL);
		if (!real_calloc)
			return size && count > SIZE_MAX / size ? NULL : pool_alloc(count * size, 16);
	}
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

	if (unlikely(!real_posix_memalign)) {
		tracking(t, NULL);
		if (!real_posix_memalign)
			return (*out = pool_alloc(n, align)) ? 0 : ENOMEM;
	}
	how = tracking(t, CALLER());
	err = REAL(t, real_posix_memalign(out, align, n));
	if (err == 0 && how != UNTRACKED)
		record_alloc(t, *out, n, MF_POSIX_MEMALIGN, ENTRY_SLOT(), how);
	return err;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (unlikely(!real_aligned_alloc)) {
		tracking(&shim_self, NULL);
		if (!real_aligned_alloc)
			return pool_alloc(n, align);
	}
	TRACK_ALLOC(real_aligned_alloc(align, n), MF_ALIGNED_ALLOC, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
	if (unlikely(!real_memalign)) {
		tracking(&shim_self, NULL);
		if (!real_memalign)
			return pool_alloc(n, align);
	}
	TRACK_ALLOC(real_memalign(align, n), MF_MEMALIGN, n);
}

EXPORT void *valloc(size_t n)
{
	if (unlikely(!real_valloc)) {
		tracking(&shim_self, NULL);
		if (!real_valloc)
			return pool_alloc(n, 4096);
	}
	TRACK_ALLOC(real_valloc(n), MF_VALLOC, n);
}

EXPORT void *pvalloc(size_t n)
{
	if (unlikely(!real_pvalloc)) {
		tracking(&shim_self, NULL);
		if (!real_pvalloc)
			return pool_alloc(n, 4096);
	}
	TRACK_ALLOC(real_pvalloc(n), MF_PVALLOC, n);
}

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
	if (unlikely(!real_mmap))
		tracking(&shim_self, NULL);
	if (unlikely(!real_mmap))
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	return track_mmap(REAL(&shim_self, real_mmap(addr, len, prot, flags, fd, off)), len, prot,
			  flags, CALLER(), ENTRY_SLOT());
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	if (unlikely(!real_mmap64))
		tracking(&shim_self, NULL);
	if (unlikely(!real_mmap64))
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	return track_mmap(REAL(&shim_self, real_mmap64(addr, len, prot, flags, fd, off)), len,
			  prot, flags, CALLER(), ENTRY_SLOT());
}

EXPORT int munmap(void *addr, size_t len)
{
	struct shim_thread *t = &shim_self;
	enum how_tracked how;

	if (unlikely(!real_munmap))
		tracking(t, NULL);
	if (unlikely(!real_munmap))
		return syscall(SYS_munmap, addr, len);
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
	if (unlikely(!real_mremap))
		tracking(t, NULL);
	if (unlikely(!real_mremap))
		return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, want);
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

	if (unlikely(!real_mprotect))
		tracking(t, NULL);
	if (unlikely(!real_mprotect))
		return syscall(SYS_mprotect, addr, len, prot);
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

	if (unlikely(!real_dlclose)) {
		tracking(&shim_self, NULL);
		if (!real_dlclose)
			return -1;
	}
	r = real_dlclose(handle);
	if (atomic_load(&shim_state) == SHIM_ON)
		modules_unloaded();
	return r;
}

/* --- thread names --- */

EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
	struct shim_thread *t = &shim_self;
	int r;

	if (unlikely(!real_pthread_setname_np)) {
		tracking(t, NULL);
		if (!real_pthread_setname_np)
			return ENOSYS;
	}
	r = real_pthread_setname_np(thread, name);
	if (r == 0 && tracking(t, CALLER()) == TRACK) {
		int self = pthread_equal(thread, pthread_self());
		int first = t->number == 0;	/* claiming sends the new name */

		if (thread_slot(t) && !(first && self)) {
			if (self)
				emit_name(t, MF_EV_THREAD, 0, name);
			else
				emit_name(t, MF_EV_RENAME, (uint64_t)thread, name);
		}
	}
	return r;
}

EXPORT int prctl(int option, ...)
{
	struct shim_thread *t = &shim_self;
	unsigned long arg[4];
	va_list ap;
	int r;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		arg[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (unlikely(!real_prctl))
		tracking(t, NULL);
	if (unlikely(!real_prctl))
		return syscall(SYS_prctl, option, arg[0], arg[1], arg[2], arg[3]);
	r = real_prctl(option, arg[0], arg[1], arg[2], arg[3]);
	if (r == 0 && option == PR_SET_NAME && tracking(t, CALLER()) == TRACK) {
		char name[16] = "";

		/* Read it back: the kernel cuts names to 15 bytes. */
		syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
		name[15] = '\0';
		if (t->number == 0)	/* claiming sends the new name */
			thread_slot(t);
		else if (thread_slot(t))
			emit_name(t, MF_EV_THREAD, 0, name);
	}
	return r;
}

/*
 * --- how the process ends (--follow-fork) ---
 *
 * The launcher learns how a process it started ends from waitpid; a
 * process another one started is reaped by that one.  So the tracker
 * writes the exit status into the header itself: exit (main's return
 * included) runs the on_exit handler registered at attach, and _exit and
 * _Exit, which run none, are hooked.  A signal's death goes unseen: the
 * launcher then says it does not know.
 */
static void note_exit(int status)
{
	if (shim_hdr && following() && atomic_load(&shim_state) == SHIM_ON && shim_own_process())
		atomic_store(&shim_hdr->exit_code, 0x100u | (uint32_t)(status & 0xff));
}

static void note_exit_handler(int status, void *unused)
{
	(void)unused;
	note_exit(status);
}

/* These hooks may run before any other (a constructor exits or spawns): resolve then. */
static void resolve_early(void)
{
	if (atomic_load(&shim_state) == SHIM_UNINIT)
		shim_init();
}

EXPORT void _exit(int status)
{
	resolve_early();
	note_exit(status);
	real__exit(status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	resolve_early();
	note_exit(status);
	real__Exit(status);
	__builtin_unreachable();
}

/*
 * --- processes started without fork (not recorded without --follow-fork) ---
 *
 * posix_spawn, and system and popen (which glibc builds on it), start a
 * process with clone(CLONE_VM | CLONE_VFORK): no fork handler runs, so
 * these count it for the launcher's note.  With --follow-fork nothing is
 * needed: the program the process execs asks for its own region.
 */
static void note_spawned(void)
{
	if (shim_hdr && !following() && atomic_load(&shim_state) == SHIM_ON && shim_own_process())
		atomic_fetch_add(&shim_hdr->unrecorded, 1);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int err;

	resolve_early();
	err = real_posix_spawn(pid, path, actions, attr, argv, envp);
	if (err == 0)
		note_spawned();
	return err;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int err;

	resolve_early();
	err = real_posix_spawnp(pid, file, actions, attr, argv, envp);
	if (err == 0)
		note_spawned();
	return err;
}

EXPORT int system(const char *command)
{
	int status;

	resolve_early();
	status = real_system(command);
	if (command && status != -1)
		note_spawned();
	return status;
}

EXPORT FILE *popen(const char *command, const char *type)
{
	FILE *f;

	resolve_early();
	f = real_popen(command, type);
	if (f)
		note_spawned();
	return f;
}
