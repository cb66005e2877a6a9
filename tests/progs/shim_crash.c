/*
 * shim_crash HOW - allocates 12345 bytes (never freed), then ends badly:
 * abort, segv, _exit (status 7), or thread-exit (exit(9) from a thread
 * while main is blocked).  The allocation must be in the recording.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile kept;

static void *quit(void *arg)
{
	(void)arg;
	kept = malloc(54321);
	exit(9);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	pthread_t t;

	kept = malloc(12345);
	if (strcmp(how, "abort") == 0)
		abort();
	if (strcmp(how, "segv") == 0)
		raise(SIGSEGV);
	if (strcmp(how, "_exit") == 0)
		_exit(7);
	if (strcmp(how, "thread-exit") == 0) {
		pthread_create(&t, NULL, quit, NULL);
		pause();
	}
	return 0;
}
