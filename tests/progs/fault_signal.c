/*
 * fault_signal - signal handlers that allocate.  "raise": a SIGUSR1
 * handler does free(malloc(8881)), raised 10000 times.  "timer": a SIGALRM
 * handler does the same with 8882 bytes every 100 us while main does
 * free(malloc(8883)) 200000 times, so signals land inside the tracker;
 * the number of handler calls is printed to standard error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/*
	 * The first malloc of a thread sets up glibc's tcache under the arena
	 * lock: a signal landing there whose handler mallocs deadlocks in
	 * glibc itself, tracker or not.  So allocate once before the timer.
	 */
	free(malloc(1));
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 200000; i++)
		free(malloc(8883));
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	fprintf(stderr, "%d\n", (int)calls);
	return 0;
}
