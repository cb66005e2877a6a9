/*
 * workload_attach - bench/workload_threads.c's work, timed from the moment
 * the tracker is in: for bench/attach.sh, which compares the program
 * recorded from its start (mf-record PROGRAM) with the program attached to
 * (mf-record -p).  It prints "ready" and waits until its GOT entry of
 * malloc points elsewhere (the tracker attached; preloaded, it does from
 * the start, so "--now" skips the wait for a native run), then prints
 * "attached MS" (CLOCK_REALTIME, ms since the epoch), runs the workload
 * and prints "work MS" (its duration).
 *
 * Usage: workload_attach [--now] [THREADS [ROUNDS]]
 */
#define main workload_main
#include "workload_threads.c"
#undef main

#include <time.h>

typedef void *(*malloc_fn)(size_t);

static double now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* malloc as the GOT says now: a call of its own, so the load is not hoisted out of a loop. */
__attribute__((noipa)) static malloc_fn current_malloc(void)
{
	return malloc;
}

int main(int argc, char **argv)
{
	int now = argc > 1 && strcmp(argv[1], "--now") == 0;
	malloc_fn unbound = current_malloc();
	struct timespec tick = { 0, 1000000 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (!now && current_malloc() == unbound)
		nanosleep(&tick, NULL);
	printf("attached %.0f\n", now_ms(CLOCK_REALTIME));
	double start = now_ms(CLOCK_MONOTONIC);
	argv[now] = argv[0];
	int r = workload_main(argc - now, argv + now);
	printf("work %.0f\n", now_ms(CLOCK_MONOTONIC) - start);
	return r;
}
