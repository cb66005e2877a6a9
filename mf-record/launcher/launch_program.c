/*
 * launch_program.c - check, start and watch the recorded program.
 */
#include "launch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "../proto.h"
#include "../writer/writer_clock.h"

#define SHIM_NAME "libmf-record.so"

/*
 * The fewest slots a capture starts with: fewer would drop the events of
 * most threaded programs (a thread that finds every slot taken is not
 * recorded).
 */
#define MF_MIN_SLOTS 16u

static int is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *launch_resolve(const char *name)
{
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st) != 0)
			die_errno("cannot run '%s'", name);
		if (!S_ISREG(st.st_mode))
			die("cannot run '%s': not a regular file", name);
		if (access(name, X_OK) != 0)
			die_errno("cannot run '%s'", name);
		return xstrdup(name);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	struct buf candidate = BUF_INIT;
	for (const char *dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		buf_clear(&candidate);
		if (end == dir)
			buf_adds(&candidate, ".");	/* an empty entry is the current folder */
		else
			buf_add(&candidate, dir, (size_t)(end - dir));
		buf_addc(&candidate, '/');
		buf_adds(&candidate, name);
		if (is_executable_file(buf_str(&candidate)))
			return buf_detach(&candidate);
		if (!*end)
			break;
		dir = end;
	}
	die("cannot find '%s' in PATH", name);
}

/* The interpreter of a "#!" script (its first word), or NULL. */
static char *script_interpreter(const char *head, size_t n)
{
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return NULL;
	size_t i = 2;
	while (i < n && (head[i] == ' ' || head[i] == '\t'))
		i++;
	size_t start = i;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n')
		i++;
	return i > start ? xstrndup(head + start, i - start) : NULL;
}

/* Does the 64-bit ELF image in fd ask for a dynamic loader (PT_INTERP)? */
static int has_interpreter(int fd, const Elf64_Ehdr *eh)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)(eh->e_phoff + (uint64_t)i * eh->e_phentsize);
		if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
			return 0;
		if (ph.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* The ELF machine of this launcher, which the tracker shares. */
static unsigned own_machine(void)
{
#if defined(__x86_64__)
	return EM_X86_64;
#elif defined(__aarch64__)
	return EM_AARCH64;
#elif defined(__riscv)
	return EM_RISCV;
#else
#error "the ELF machine of this architecture is not known here"
#endif
}

static void check_image(const char *path, const char *name, int depth)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("cannot run '%s'", name);
	union {
		Elf64_Ehdr eh;
		char bytes[256];
	} head;
	ssize_t n = pread(fd, &head, sizeof head, 0);
	if (n < 0)
		die_errno("cannot read '%s'", name);
	char *interp = script_interpreter(head.bytes, (size_t)n);
	if (interp && depth == 0) {
		close(fd);
		check_image(interp, name, 1);
		free(interp);
		return;
	}
	free(interp);
	if ((size_t)n < sizeof head.eh || memcmp(head.eh.e_ident, ELFMAG, SELFMAG) != 0)
		die("cannot record '%s': not an ELF program or a script", name);
	if (head.eh.e_ident[EI_CLASS] != ELFCLASS64)
		die("cannot record '%s': it is a 32-bit program; the tracker is 64-bit", name);
	if (head.eh.e_machine != own_machine())
		die("cannot record '%s': it is built for another architecture", name);
	if (!has_interpreter(fd, &head.eh))
		die("cannot record '%s': it is statically linked, so the tracker cannot be preloaded", name);
	close(fd);
}

void launch_check(const char *path, const char *name)
{
	struct stat st;
	if (stat(path, &st) != 0)
		die_errno("cannot run '%s'", name);
	if (st.st_mode & S_ISUID)
		die("cannot record '%s': it is setuid, so the dynamic loader would ignore the tracker", name);
	if (st.st_mode & S_ISGID)
		die("cannot record '%s': it is setgid, so the dynamic loader would ignore the tracker", name);
	check_image(path, name, 0);
}

char *launch_find_shim(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		die_errno("cannot find my own executable");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	static const char *const places[] = { "/" SHIM_NAME, "/../lib/mf/" SHIM_NAME };
	for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s%s", self, places[i]);
		if (access(buf_str(&path), R_OK) == 0) {
			char *real = realpath(buf_str(&path), NULL);
			buf_release(&path);
			if (!real)
				die_errno("cannot find the tracker '%s'", SHIM_NAME);
			if (strpbrk(real, ": "))
				die("the tracker's path '%s' has a space or ':', which LD_PRELOAD cannot hold", real);
			return real;
		}
		buf_release(&path);
	}
	die("cannot find the tracker '%s' in '%s' or '%s/../lib/mf'", SHIM_NAME, self, self);
}

/* The launcher's address space now, from /proc/self/statm; 0 if unknown. */
static uint64_t own_address_space(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * How many slots the region gets: MF_SLOTS, or fewer under an address
 * space limit (ulimit -v): the launcher maps the whole region, in at most
 * a quarter of the room the limit leaves; the rest is for its own work
 * (symbolizing reads debug information: tens of megabytes for libc alone).
 * Dies when not even MF_MIN_SLOTS fit.
 */
static uint32_t slots_that_fit(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
		return MF_SLOTS;
	uint64_t used = own_address_space();
	uint64_t room = lim.rlim_cur > used ? (lim.rlim_cur - used) / 4 : 0;
	uint64_t slots = room > MF_SLOT_ALIGN ? (room - MF_SLOT_ALIGN) / sizeof(struct mf_slot) : 0;
	if (slots < MF_MIN_SLOTS)
		die("cannot record: the address space limit (ulimit -v %llu) leaves too little room for the event rings (%llu MB) and the recorder's own work",
		    (unsigned long long)(lim.rlim_cur / 1024),
		    (unsigned long long)(mf_shm_size(MF_MIN_SLOTS) >> 20));
	return slots < MF_SLOTS ? (uint32_t)slots : MF_SLOTS;
}

void *launch_shared_memory(int *fd, uint64_t start_ns, enum mf_clock clock)
{
	uint32_t slots = slots_that_fit();
	uint64_t size = mf_shm_size(slots);
	*fd = memfd_create("mf-record", MFD_CLOEXEC);
	if (*fd < 0)
		die_errno("cannot create the shared memory for the events");
	if (ftruncate(*fd, (off_t)size) != 0)
		die_errno("cannot size the shared memory for the events (%llu MB)",
			  (unsigned long long)(size >> 20));
	void *shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, *fd, 0);
	if (shm == MAP_FAILED)
		die_errno("cannot map the shared memory for the events (%llu MB)",
			  (unsigned long long)(size >> 20));
	struct mf_shared_header *hdr = shm;
	hdr->magic = MF_PROTO_MAGIC;
	hdr->version = MF_PROTO_VERSION;
	hdr->start_ns = start_ns;
	atomic_store(&hdr->next_stack, 1);
	atomic_store(&hdr->next_thread, 1);
	hdr->clock = clock;
	hdr->slots = slots;
	hdr->launcher = getpid();
	atomic_store(&hdr->counter, 1);
	return shm;
}

/* ---- the child ---- */

static void report_exec_failure(int pipe_fd)
{
	int err = errno;
	ssize_t ignored = write(pipe_fd, &err, sizeof err);
	(void)ignored;
	_exit(127);
}

static void set_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	struct buf value = BUF_INIT;
	buf_adds(&value, shim);
	if (old && *old) {
		buf_addc(&value, ':');
		buf_adds(&value, old);
	}
	setenv("LD_PRELOAD", buf_str(&value), 1);
	buf_release(&value);
}

static noreturn void exec_child(const char *path, char *const *argv, const char *shim,
				int shm_fd, int stdout_to_stderr, int pipe_fd)
{
	char fd_text[16];
	snprintf(fd_text, sizeof fd_text, "%d", shm_fd);
	set_preload(shim);
	setenv(MF_ENV_SHM_FD, fd_text, 1);
	/* CPython's small-object allocator would hide most objects from malloc. */
	setenv("PYTHONMALLOC", "malloc", 0);
	if (fcntl(shm_fd, F_SETFD, 0) != 0)
		report_exec_failure(pipe_fd);
	if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		report_exec_failure(pipe_fd);
	execv(path, argv);
	report_exec_failure(pipe_fd);
	_exit(127);
}

/* ---- the launcher's signals ---- */

/* The signals the launcher handles, and what they were before. */
static const int watched[] = { SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGHUP, SIGCHLD };
static struct sigaction given[sizeof watched / sizeof *watched];

static volatile pid_t child_pid;
static volatile sig_atomic_t child_gone;
static uint64_t child_end_ns;

static void pass_on(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* The end time, taken when it happens: the launcher may be busy writing. */
static void note_child_end(int sig)
{
	(void)sig;
	if (!child_gone) {
		child_end_ns = monotonic_ns();
		child_gone = 1;
	}
}

/*
 * SIGINT and SIGQUIT from the terminal reach the program too: ignore them
 * and finish the stream when it ends.  SIGTERM and SIGHUP are passed on.
 * A closed output pipe is a write error with a message, not a silent death.
 */
static void watch_signals(void)
{
	for (size_t i = 0; i < sizeof watched / sizeof *watched; i++) {
		struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_RESTART };
		if (watched[i] == SIGTERM || watched[i] == SIGHUP)
			sa.sa_handler = pass_on;
		if (watched[i] == SIGCHLD) {
			sa.sa_handler = note_child_end;
			sa.sa_flags |= SA_NOCLDSTOP;
		}
		sigaction(watched[i], &sa, &given[i]);
	}
}

/* In the child: the signal dispositions and mask the launcher was given. */
static void restore_signals(const sigset_t *mask)
{
	for (size_t i = 0; i < sizeof watched / sizeof *watched; i++)
		sigaction(watched[i], &given[i], NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

pid_t launch_start(const char *path, char *const *argv, const char *shim,
		   int shm_fd, int stdout_to_stderr)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		die_errno("cannot create a pipe");
	fflush(NULL);
	/*
	 * Handlers before fork, so there is no moment when ^C kills only us;
	 * SIGTERM and SIGHUP held until the child's pid is known, so they
	 * reach it even when they come early.
	 */
	sigset_t passed, old;
	sigemptyset(&passed);
	sigaddset(&passed, SIGTERM);
	sigaddset(&passed, SIGHUP);
	sigprocmask(SIG_BLOCK, &passed, &old);
	watch_signals();
	pid_t pid = fork();
	if (pid < 0)
		die_errno("cannot fork");
	if (pid == 0) {
		close(fds[0]);
		restore_signals(&old);
		exec_child(path, argv, shim, shm_fd, stdout_to_stderr, fds[1]);
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	int err;
	ssize_t n;
	while ((n = read(fds[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (n == (ssize_t)sizeof err) {
		waitpid(pid, NULL, 0);
		errno = err;
		die_errno("cannot run '%s'", argv[0]);
	}
	return pid;
}

int launch_ended(pid_t pid, int *status, uint64_t *end_ns)
{
	pid_t got;
	while ((got = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (got < 0)
		die_errno("cannot wait for the recorded process");
	if (got != pid)
		return 0;
	*end_ns = child_gone ? child_end_ns : monotonic_ns();
	return 1;
}
