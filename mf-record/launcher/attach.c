/*
 * attach.c - the ptrace injector: calls functions in a running process
 * (attach.h says what and why this way).
 */
#include "attach.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <stdnoreturn.h>
#include <unistd.h>

#include "attach_target.h"
#include "buf.h"
#include "err.h"
#include "../writer/writer_clock.h"

#if !defined(__x86_64__)
#error "the injector knows only x86-64's registers"
#endif

/* call *%rax; int3 */
static const unsigned char stub[3] = { 0xff, 0xd0, 0xcc };

/* What may stop the interrupted thread from running injected code: tries of a millisecond. */
#define SAFE_STOP_TRIES 2000
/* A call that has not returned after this long is stuck (a lock the thread cannot get). */
#define CALL_TIMEOUT_MS 10000

/* A process being injected into: seized, stopped, its state saved. */
struct victim {
	pid_t pid;
	int mem;			/* /proc/PID/mem, to write where the program cannot */
	uint64_t entry;			/* the program's entry point: the stub goes there */
	unsigned char saved_code[sizeof stub];
	struct user_regs_struct saved;	/* the registers at the interruption */
	int pending_signal;		/* a SIGTRAP of the program's own: delivered at the end */
	struct target_maps maps;
	int listen_fd, shm_fd;		/* the region's handover: see hand_over */
};

/*
 * The tracker gets the region's descriptor over a Unix socket (SCM_RIGHTS)
 * with an abstract name, not by opening /proc/LAUNCHER/fd/N: a process may
 * not open the descriptors of a launcher run by root (sudo, the usual way
 * where ptrace_scope is 1).  The launcher answers while it waits for the
 * injected call, and only the process it attaches to (SO_PEERCRED).
 */
static void open_handover(struct victim *v, int shm_fd, char *name, size_t size)
{
	uint64_t nonce = 0;
	int rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rnd < 0 || read(rnd, &nonce, sizeof nonce) != (ssize_t)sizeof nonce)
		nonce = (uint64_t)monotonic_ns() ^ ((uint64_t)getpid() << 32);
	if (rnd >= 0)
		close(rnd);
	snprintf(name, size, "mf-record.%d.%016llx", (int)getpid(), (unsigned long long)nonce);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));	/* sun_path[0] = 0: abstract */
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	v->shm_fd = shm_fd;
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->listen_fd < 0 || bind(v->listen_fd, (struct sockaddr *)&a, len) != 0 ||
	    listen(v->listen_fd, 4) != 0)
		die_errno("cannot attach to process %d: cannot open a socket", (int)v->pid);
}

/* Send the region to a connection from the process attached to; others get nothing. */
static void hand_over(struct victim *v)
{
	if (v->listen_fd < 0)
		return;
	int c = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred who;
	socklen_t wl = sizeof who;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &who, &wl) == 0 && who.pid == v->pid) {
		char byte = 0;
		struct iovec iov = { &byte, 1 };
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} ctl;
		memset(&ctl, 0, sizeof ctl);
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.space, .msg_controllen = sizeof ctl.space };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &v->shm_fd, sizeof(int));
		ssize_t ignored = sendmsg(c, &m, MSG_NOSIGNAL);
		(void)ignored;
	}
	close(c);
}

/*
 * Set while attach_stop runs: a process that ends meanwhile needs no
 * stopping, and the recording ends as "gone" rather than in an error.
 */
static jmp_buf *stopping;

static noreturn void ended_meanwhile(pid_t pid, const char *why)
{
	if (stopping)
		longjmp(*stopping, 1);
	attach_refuse(pid, why);
}

static uint64_t elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - since->tv_sec) * 1000 + (uint64_t)(now.tv_nsec / 1000000) -
	       (uint64_t)(since->tv_nsec / 1000000);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/*
 * Wait for the next stop of the seized thread, serving the region's
 * handover meanwhile.  Returns its status; a signal other than SIGTRAP is
 * delivered at once (as if no tracer were there) and the wait goes on.
 * Dies if the process ended (see ended_meanwhile); -1 after timeout_ms.
 */
static int next_stop(struct victim *v, uint64_t timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int status;
		pid_t got = waitpid(v->pid, &status, __WALL | WNOHANG);
		if (got < 0 && errno != EINTR)
			ended_meanwhile(v->pid, "it exited while mf-record was attaching");
		if (got == v->pid) {
			if (WIFEXITED(status) || WIFSIGNALED(status))
				ended_meanwhile(v->pid, "it exited while mf-record was attaching");
			if (!WIFSTOPPED(status))
				continue;
			int sig = WSTOPSIG(status), event = status >> 16;
			if (event == 0 && sig != SIGTRAP) {
				/* The program's signal: delivered now, its handler runs and returns here. */
				ptrace(PTRACE_CONT, v->pid, 0, (void *)(long)sig);
				continue;
			}
			return status;
		}
		if (elapsed_ms(&start) > timeout_ms)
			return -1;
		hand_over(v);
		struct timespec tick = { 0, 200000 };
		nanosleep(&tick, NULL);
	}
}

static void get_regs(struct victim *v, struct user_regs_struct *r)
{
	if (ptrace(PTRACE_GETREGS, v->pid, 0, r) != 0)
		die_errno("cannot attach to process %d: cannot read its registers", (int)v->pid);
}

static void set_regs(struct victim *v, const struct user_regs_struct *r)
{
	if (ptrace(PTRACE_SETREGS, v->pid, 0, r) != 0)
		die_errno("cannot attach to process %d: cannot set its registers", (int)v->pid);
}

static void write_mem(struct victim *v, uint64_t at, const void *p, size_t n)
{
	if (pwrite(v->mem, p, n, (off_t)at) != (ssize_t)n)
		die_errno("cannot attach to process %d: cannot write its memory", (int)v->pid);
}

static void read_mem(struct victim *v, uint64_t at, void *p, size_t n)
{
	if (pread(v->mem, p, n, (off_t)at) != (ssize_t)n)
		die_errno("cannot attach to process %d: cannot read its memory", (int)v->pid);
}

static uint64_t entry_point(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ESRCH))
		ended_meanwhile(pid, "it is exiting");
	if (fd < 0)
		die_errno("cannot attach to process %d: cannot read %s", (int)pid, path);
	Elf64_auxv_t a;
	uint64_t entry = 0;
	while (read(fd, &a, sizeof a) == (ssize_t)sizeof a && a.a_type != AT_NULL)
		if (a.a_type == AT_ENTRY)
			entry = a.a_un.a_val;
	close(fd);
	if (!entry)
		attach_refuse(pid, "its entry point is not known");
	return entry;
}

static void seize(struct victim *v)
{
	if (ptrace(PTRACE_SEIZE, v->pid, 0, 0) != 0) {
		if (errno == EPERM)
			attach_not_permitted(v->pid);
		if (errno == ESRCH)
			attach_refuse(v->pid, attach_exiting(v->pid) ? "it is exiting" : "no such process");
		die_errno("cannot attach to process %d", (int)v->pid);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)v->pid);
	v->mem = open(path, O_RDWR | O_CLOEXEC);
	if (v->mem < 0)
		die_errno("cannot attach to process %d: cannot open %s", (int)v->pid, path);
}

/* Let the process go on, as it was, with the signal that came meanwhile. */
static void let_go(struct victim *v)
{
	ptrace(PTRACE_DETACH, v->pid, 0, (void *)(long)v->pending_signal);
	close(v->mem);
	v->mem = -1;
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	v->listen_fd = -1;
	attach_free_maps(&v->maps);
}

/*
 * Interrupt the main thread where injected code can run: in a system call
 * (orig_rax is its number), or outside libc and the loader.  Elsewhere it
 * may hold malloc's or the loader's lock: let it run a millisecond and try
 * again.
 */
static void stop_safely(struct victim *v)
{
	for (int tries = 0;; tries++) {
		if (ptrace(PTRACE_INTERRUPT, v->pid, 0, 0) != 0)
			ended_meanwhile(v->pid, "it is exiting");
		if (next_stop(v, CALL_TIMEOUT_MS) < 0)
			ended_meanwhile(v->pid, "its main thread does not stop (it may be exiting)");
		get_regs(v, &v->saved);
		if ((long long)v->saved.orig_rax >= 0 || !attach_in_runtime(&v->maps, v->saved.rip))
			return;
		if (tries == SAFE_STOP_TRIES) {
			let_go(v);
			attach_refuse(v->pid, "its main thread never stopped outside libc");
		}
		ptrace(PTRACE_CONT, v->pid, 0, 0);
		sleep_ms(1);
	}
}

static void begin(struct victim *v, pid_t pid)
{
	memset(v, 0, sizeof *v);
	v->pid = pid;
	v->listen_fd = -1;
	seize(v);
	attach_read_maps(pid, &v->maps);
	v->entry = entry_point(pid);
	stop_safely(v);
	read_mem(v, v->entry, v->saved_code, sizeof stub);
	write_mem(v, v->entry, stub, sizeof stub);
}

/* Put the code and registers back and let go. */
static void end(struct victim *v)
{
	write_mem(v, v->entry, v->saved_code, sizeof stub);
	set_regs(v, &v->saved);
	let_go(v);
}

/*
 * Call fn(a, b) in the stopped thread, on its stack below the red zone,
 * with strings at sp.  Returns the result (rax).  The thread's system
 * call, if it was in one, is not restarted now (orig_rax -1): that waits
 * for the saved registers.
 */
static uint64_t call(struct victim *v, uint64_t fn, uint64_t a, uint64_t b, uint64_t sp)
{
	struct user_regs_struct r = v->saved;
	r.rip = v->entry;
	r.rax = fn;
	r.rdi = a;
	r.rsi = b;
	r.rsp = sp;
	r.orig_rax = (unsigned long long)-1;
	r.eflags &= ~0x400ull;	/* the direction flag: clear at a call, says the ABI */
	set_regs(v, &r);
	if (ptrace(PTRACE_CONT, v->pid, 0, 0) != 0)
		ended_meanwhile(v->pid, "it exited while mf-record was attaching");
	for (;;) {
		int status = next_stop(v, CALL_TIMEOUT_MS);
		if (status < 0) {
			/* Stuck inside the call: nothing can be put back safely. */
			die("cannot attach to process %d: a call injected into it did not return in %d s; it is left stopped",
			    (int)v->pid, CALL_TIMEOUT_MS / 1000);
		}
		get_regs(v, &r);
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0 && r.rip == v->entry + sizeof stub)
			return r.rax;
		if ((status >> 16) == PTRACE_EVENT_STOP) {	/* a stop of its own: go on */
			ptrace(PTRACE_CONT, v->pid, 0, 0);
			continue;
		}
		/* A SIGTRAP of the program's own: not ours to keep. */
		v->pending_signal = SIGTRAP;
		ptrace(PTRACE_CONT, v->pid, 0, 0);
	}
}

/* Copy the strings below the thread's stack (past the red zone); *sp is where calls may push. */
static uint64_t put_strings(struct victim *v, const struct buf *strings, uint64_t *sp)
{
	uint64_t at = (v->saved.rsp - 1024 - strings->len) & ~(uint64_t)15;
	write_mem(v, at, strings->data, strings->len);
	*sp = at - 256;
	return at;
}

static uint64_t need_function(struct victim *v, const char *name)
{
	uint64_t at = attach_find_function(v->pid, &v->maps, name);
	if (!at) {
		let_go(v);
		attach_refuse(v->pid, "its libc has no dlopen (is it a glibc program?)");
	}
	return at;
}

uint64_t attach_start(pid_t pid, const char *shim, int shm_fd)
{
	struct victim v;
	char name[64];
	begin(&v, pid);
	open_handover(&v, shm_fd, name, sizeof name);
	uint64_t dlopen_at = need_function(&v, "dlopen");
	uint64_t dlsym_at = need_function(&v, "dlsym");

	struct buf s = BUF_INIT;
	buf_adds(&s, shim);
	buf_addc(&s, '\0');
	size_t name_at = s.len;
	buf_adds(&s, "mf_attach_start");
	buf_addc(&s, '\0');
	size_t stop_name_at = s.len;
	buf_adds(&s, "mf_attach_stop");
	buf_addc(&s, '\0');
	size_t spec_at = s.len;
	buf_printf(&s, "%d %s", (int)getpid(), name);
	buf_addc(&s, '\0');
	uint64_t sp, base = put_strings(&v, &s, &sp);
	buf_release(&s);

	uint64_t handle = call(&v, dlopen_at, base, RTLD_NOW, sp);
	uint64_t start = handle ? call(&v, dlsym_at, handle, base + name_at, sp) : 0;
	uint64_t stop = handle ? call(&v, dlsym_at, handle, base + stop_name_at, sp) : 0;
	int result = start && stop ? (int)call(&v, start, base + spec_at, 0, sp) : -1;
	end(&v);
	if (!handle)
		attach_refuse(pid, "it could not load the tracker (dlopen failed)");
	if (!start || !stop)
		attach_refuse(pid, "the library it loaded is not mf's tracker");
	switch (result) {
	case 0: return stop;
	case 1: attach_refuse(pid, "mf-record was attached to it before, or it was started under mf-record: "
			     "the tracker does not start twice in one process");
	case 2: attach_refuse(pid, "the tracker in it cannot open mf-record's shared memory");
	default: attach_refuse(pid, "the tracker in it cannot find its own functions");
	}
}

/* One try at calling mf_attach_stop: 0 done, 1 busy (try again); longjmps when the process ended. */
static int try_stop(struct victim *v, pid_t pid, uint64_t stop)
{
	memset(v, 0, sizeof *v);
	v->pid = pid;
	v->listen_fd = -1;
	v->mem = -1;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0)
		ended_meanwhile(pid, "it is exiting");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	v->mem = open(path, O_RDWR | O_CLOEXEC);
	if (v->mem < 0 || attach_exiting(pid))
		ended_meanwhile(pid, "it is exiting");
	attach_read_maps(pid, &v->maps);
	v->entry = entry_point(pid);
	stop_safely(v);
	read_mem(v, v->entry, v->saved_code, sizeof stub);
	write_mem(v, v->entry, stub, sizeof stub);
	uint64_t busy = call(v, stop, 0, 0, (v->saved.rsp - 1024) & ~(uint64_t)15);
	end(v);
	return (int)busy != 0;
}

int attach_stop(pid_t pid, uint64_t stop)
{
	jmp_buf gone;
	static struct victim v;	/* static: it outlives a longjmp unchanged */
	stopping = &gone;
	if (setjmp(gone)) {
		stopping = NULL;
		if (v.mem >= 0)
			close(v.mem);
		attach_free_maps(&v.maps);
		return 0;
	}
	for (int tries = 0; tries < 100 && !attach_exiting(pid); tries++) {
		if (!try_stop(&v, pid, stop)) {
			stopping = NULL;
			return 1;
		}
		sleep_ms(10);	/* another thread is rewriting: try again */
	}
	stopping = NULL;
	return !attach_exiting(pid);
}
