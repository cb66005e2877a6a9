/*
 * shim_signal - a SIGALRM handler does free(malloc(8882)) every 1 ms
 * while main does free(malloc(8883)) 30000 times from recursion depths
 * 70..129 (stacks too deep for the shim's shortcut are unwound every
 * time, so signals also land while the shim is unwinding).  The number of
 * handler calls goes to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t calls;

static void handler(int sig)
{
	(void)sig;
	free(malloc(8882));
	calls++;
}

static void dive(int n)
{
	if (n > 0) {
		dive(n - 1);
		return;
	}
	free(malloc(8883));
}

int main(void)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGALRM, &sa, NULL);
	/*
	 * The first malloc sets up glibc's heap: a signal landing there whose
	 * handler mallocs breaks glibc itself, tracker or not.  So allocate
	 * once before the timer.
	 */
	free(malloc(1));
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 30000; i++)
		dive(70 + i % 60);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	fprintf(stderr, "%d\n", (int)calls);
	return 0;
}
