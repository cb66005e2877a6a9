/*
 * shim_process.c - the tracker and the processes the program makes:
 * fork handlers (a forked child stops writing its parent's rings), the
 * regions --follow-fork asks the launcher for (a forked child's, an
 * exec'd program's), the environment a program execs with, and the
 * hooks that see a process start without fork (posix_spawn, system,
 * popen) or end without exit (_exit, _Exit).
 */
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim_hooks.h"

/* --- --follow-fork: a region for every process (proto.h, struct mf_follow_request) --- */

/* The launcher's socket name (MF_ENV_FOLLOW), empty when not following. */
static char follow_name[MF_FOLLOW_NAME_MAX + 1];
/* MF_ENV_FOLLOW's value, for the program this process execs (shim_exec.c). */
static char follow_value[sizeof MF_FOLLOW_EXEC_ONLY + MF_FOLLOW_NAME_MAX];
/* Without --follow-fork: only this process's execs are followed, not its forks. */
static int follow_exec_only;
/* Our connection to it, open while we live, so it sees us end; -1 before. */
static int follow_conn = -1;
/* Read in the parent just before a fork: what the child asks with. */
static uint64_t fork_key;
static pid_t fork_parent;

/* --follow-fork: forks are followed (execs are whenever follow_named()). */
int following(void)
{
	return follow_name[0] != '\0' && !follow_exec_only;
}

int follow_named(void)
{
	return follow_name[0] != '\0';
}

/* Keep MF_ENV_FOLLOW's value, if it is a name the launcher could have made. */
void remember_follow(void)
{
	const char *value = getenv(MF_ENV_FOLLOW);
	const char *name = value;
	size_t n;

	if (!value)
		return;
	follow_exec_only = strncmp(value, MF_FOLLOW_EXEC_ONLY, strlen(MF_FOLLOW_EXEC_ONLY)) == 0;
	if (follow_exec_only)
		name += strlen(MF_FOLLOW_EXEC_ONLY);
	n = strlen(name);
	if (n > 0 && n <= MF_FOLLOW_NAME_MAX) {
		memcpy(follow_name, name, n + 1);
		memcpy(follow_value, value, (size_t)(name - value) + n + 1);
	}
}

const char *shim_exec_follow(void)
{
	return atomic_load(&shim_state) == SHIM_ON && follow_name[0] ? follow_value : NULL;
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
int follow_request(uint32_t kind, pid_t parent, uint64_t key)
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
void fork_prepare(void)
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
void fork_child(void)
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
	else
		follow_name[0] = '\0';	/* its execs are not recorded either */
}

/*
 * The child of a fork that ran no fork handlers (see shim_own): it
 * stops tracking before it writes anything.  The rings stay mapped: they
 * are its parent's, and the parent goes on writing them.  It is counted
 * apart from forked children, with --follow-fork or without: that option
 * cannot follow it (no handler asks for its region).
 */
enum how_tracked forked_apart(struct shim_thread *t)
{
	if (atomic_exchange(&shim_state, SHIM_OFF) == SHIM_ON)
		atomic_fetch_add(&shim_hdr->cloned, 1);
	t->slot = NULL;
	return UNTRACKED;
}

/* --- the environment a program execs with --- */

/* The file this library was loaded from, as the dynamic loader names it. */
const char *own_path(void)
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
size_t drop_own_entries(char *value, const char *self)
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

void forget_environment(void)
{
	char *value = getenv("LD_PRELOAD");

	drop_variable(MF_ENV_SHM_FD);
	if (following())
		return;	/* what it starts is recorded too: it needs the tracker */
	/* Only its own execs are: shim_exec.c passes the tracker on to them. */
	drop_variable(MF_ENV_FOLLOW);
	if (value && drop_own_entries(value, own_path()) == 0)
		drop_variable("LD_PRELOAD");
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

void note_exit_handler(int status, void *unused)
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
