/*
 * shim.c - the preloaded tracker (bin/libmf-record.so) starts and stops
 * here: it finds the real functions, attaches to the launcher's shared
 * memory and starts the other parts.  See proto.h for the protocol,
 * shim.h for the other parts and shim_hooks.h for the files of
 * interposed functions.
 *
 * Preloaded, the tracker starts at the first call of any hook or in its
 * constructor, whichever comes first (shim_init); loaded into a running
 * process (mf-record -p), when the injector calls shim_start_late
 * (shim_attach.c).  A forked child stops (shim_process.c), and so does a
 * tracker whose launcher went away (shim_give_up).
 */
#include <dlfcn.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim_hooks.h"

struct mf_shared_header *shim_hdr;
int shim_clock_tsc;

/* Process-local: a forked child sets SHIM_OFF and never tracks again. */
_Atomic int shim_state;

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

#define SHIM_DEFINE_REAL(name, type) __typeof__(type) real_##name;
SHIM_REAL_FUNCTIONS(SHIM_DEFINE_REAL)

/*
 * Where the real functions are: the next module after the preloaded
 * tracker, or, for a tracker loaded into a running process (shim_attach.c),
 * the first module that defines them, the one the program's calls are bound to.
 */
static void *real_scope = RTLD_NEXT;
#define RESOLVE(name, type) real_##name = (type)dlsym(real_scope, #name);

static void resolve_real_functions(void)
{
	SHIM_REAL_FUNCTIONS(RESOLVE)
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
int attach_region(int fd)
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
	if (env && *env && follow_named() && (fd = shm_fd_from_env()) >= 0 && !is_region(fd))
		env = NULL;
	if (env && *env) {
		fd = shm_fd_from_env();
		if (fd < 0) {
			warn("libmf-record.so: MF_SHM_FD does not name mf-record's shared memory; "
			     "the program runs untracked\n");
			return 0;
		}
	} else if (follow_named()) {
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
void shim_init(void)
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

/*
 * The constructor: the tracker may have started already (a library's
 * constructor allocated first); programs this one execs run without
 * MF_SHM_FD (shim_process.c).
 */
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
