/*
 * fault_end - three kept allocations of 4243 bytes, then the end the
 * argument names: "segv" (a write through NULL), "abort", "_exit" (status
 * 7), or "thread-exit" (a second thread allocates 4244 bytes and calls
 * exit(9) while main waits for it forever).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kept allocations go here, so the compiler cannot drop them. */
static void *volatile kept;

static void *exit_from_thread(void *arg)
{
	(void)arg;
	kept = malloc(4244);
	exit(9);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	for (int i = 0; i < 3; i++)
		kept = malloc(4243);
	if (strcmp(mode, "segv") == 0)
		*(volatile int *)0 = 1;
	else if (strcmp(mode, "abort") == 0)
		abort();
	else if (strcmp(mode, "_exit") == 0)
		_exit(7);
	else if (strcmp(mode, "thread-exit") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_from_thread, NULL);
		for (;;)
			pause();
	}
	return 0;
}
