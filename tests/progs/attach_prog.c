/*
 * attach_prog.c - a program started without mf that mf-record -p attaches
 * to.  It sees the attaching itself: the address of malloc it reads
 * through its GOT (a GLOB_DAT relocation) changes when the tracker
 * rewrites it, and comes back when the tracker lets go.
 *
 *   attach_prog once      before_attach() allocates 3 x 1111 bytes; it
 *                         prints "ready", sleeps until attached, then
 *                         after_attach() allocates 2 x 2222 bytes and
 *                         frees one block of before; "after", exit 3
 *   attach_prog loop      "ready"; once attached, "attached", allocates and frees
 *                         333 bytes in churn() every millisecond until
 *                         the tracker lets go; then "detached", allocates
 *                         on, "still allocating", exit 0
 *   attach_prog threads   starts 4 threads, "ready"; once attached, each
 *                         thread allocates 4444 bytes in in_thread();
 *                         "after", exit 0
 *   attach_prog dlopen    "ready"; once attached, loads zlib with dlopen
 *                         and calls deflateInit_ (which allocates in
 *                         deflateInit2_) and deflateEnd; "after", exit 0
 *   attach_prog idle      "ready", then sleeps until killed
 *   attach_prog traced    forks a child that its parent traces (ptrace),
 *                         prints the child's pid, waits for it
 *   attach_prog zombie    forks a child that exits at once, prints its
 *                         pid and sleeps without reaping it
 *   attach_prog rawclone  "ready"; once attached, a child made with the raw
 *                         clone system call (no fork handler runs in it)
 *                         does 1000 x free(malloc(5555)) and _exit(0) while
 *                         the parent does 1000 x free(malloc(6666)); once
 *                         it is reaped, as once: "after", exit 3
 *   attach_prog sleep     "ready", then one nanosleep of 3 s, which the
 *                         injector interrupts: "slept 0 0" when it slept
 *                         the whole time and returned 0 (its result and
 *                         errno follow "slept"), exit 0
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

typedef void *(*malloc_fn)(size_t);
static malloc_fn volatile unbound;
static void *before[3];

/* malloc as the GOT gives it now. */
static malloc_fn current_malloc(void)
{
	malloc_fn volatile f = malloc;
	return f;
}

/* A nanosleep that the injector interrupts: it must go on untouched. */
static void nap(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	nanosleep(&ts, NULL);
}

static void wait_attached(void)
{
	while (current_malloc() == unbound)
		nap(5);
}

static void before_attach(void)
{
	for (int i = 0; i < 3; i++)
		before[i] = malloc(1111);	/* MARK: before */
}

static void after_attach(void)
{
	for (int i = 0; i < 2; i++) {
		char *p = malloc(2222);	/* MARK: after */
		memset(p, 1, 2222);
	}
	free(before[0]);
}

static void churn(void)
{
	char *p = malloc(333);	/* MARK: churn */
	memset(p, 2, 333);
	free(p);
}

static void *in_thread(void *arg)
{
	(void)arg;
	wait_attached();
	char *p = malloc(4444);	/* MARK: thread */
	memset(p, 3, 4444);
	return p;
}

/* In the raw clone's child, and the parent meanwhile, in the same rings. */
static void raw_clone(void)
{
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		for (int i = 0; i < 1000; i++)
			free(malloc(5555));
		_exit(0);
	}
	for (int i = 0; i < 1000; i++)
		free(malloc(6666));
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int long_sleep(void)
{
	struct timespec ts = { 3, 0 };
	double start = seconds();
	errno = 0;
	int r = nanosleep(&ts, NULL);
	int err = errno;
	printf("slept %d %d%s\n", r, err, seconds() - start < 2.999 ? " too short" : "");
	return 0;
}

typedef int (*init_fn)(z_stream *, int, const char *, int);
typedef int (*end_fn)(z_stream *);

static int load_zlib(void)
{
	void *z = dlopen("libz.so.1", RTLD_NOW);
	if (!z)
		return 1;
	init_fn init = (init_fn)dlsym(z, "deflateInit_");
	end_fn end = (end_fn)dlsym(z, "deflateEnd");
	z_stream s;
	memset(&s, 0, sizeof s);
	if (!init || !end || init(&s, 6, ZLIB_VERSION, (int)sizeof s) != Z_OK)
		return 1;
	end(&s);
	puts("after");
	return 0;
}

static int traced_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		for (;;)
			pause();
	}
	int status;
	waitpid(pid, &status, 0);	/* its SIGSTOP: it is traced now */
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	printf("%d\n", (int)pid);
	waitpid(pid, &status, 0);
	return 0;
}

static int zombie_child(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	printf("%d\n", (int)pid);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "once";
	unbound = current_malloc();
	setvbuf(stdout, NULL, _IONBF, 0);
	before_attach();
	if (strcmp(mode, "threads") == 0) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, in_thread, NULL);
		puts("ready");
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		puts("after");
		return 0;
	}
	if (strcmp(mode, "traced") == 0)
		return traced_child();
	if (strcmp(mode, "zombie") == 0)
		return zombie_child();
	puts("ready");
	if (strcmp(mode, "idle") == 0)
		for (;;)
			pause();
	if (strcmp(mode, "sleep") == 0)
		return long_sleep();
	wait_attached();
	if (strcmp(mode, "dlopen") == 0)
		return load_zlib();
	if (strcmp(mode, "loop") == 0) {
		puts("attached");
		while (current_malloc() != unbound) {
			churn();
			nap(1);
		}
		puts("detached");
		for (int i = 0; i < 100; i++)
			churn();
		puts("still allocating");
		return 0;
	}
	if (strcmp(mode, "rawclone") == 0)
		raw_clone();
	after_attach();
	puts("after");
	return 3;
}
