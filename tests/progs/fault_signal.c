/*
 * fault_signal - signal handlers that allocate.  "raise": a SIGUSR1
 * handler does free(malloc(8881)), raised 10000 times.  "timer": a SIGALRM
 * handler does the same with 8882 bytes every 100 us while main maps and
 * unmaps 8883 bytes 200000 times, so signals land inside the tracker's
 * hooks; the number of handler calls is printed to standard error.
 *
 * Main maps rather than mallocs: a handler's malloc that interrupts a
 * malloc is undefined behaviour in glibc itself (it hangs on the arena
 * lock or fails an assertion in sysmalloc, tracked or not), while mmap is
 * a system call, safe to interrupt, and tracked by the same hooks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

static volatile sig_atomic_t calls;
static size_t handler_size;

static void allocate(int sig)
{
	(void)sig;
	free(malloc(handler_size));
	calls++;
}

int main(int argc, char **argv)
{
	int timer = argc > 1 && strcmp(argv[1], "timer") == 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = allocate;
	handler_size = timer ? 8882 : 8881;
	sigaction(timer ? SIGALRM : SIGUSR1, &sa, NULL);
	if (!timer) {
		for (int i = 0; i < 10000; i++)
			raise(SIGUSR1);
		return calls != 10000;
	}
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 200000; i++) {
		void *p = mmap(NULL, 8883, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		munmap(p, 8883);
	}
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	fprintf(stderr, "%d\n", (int)calls);
	return 0;
}
