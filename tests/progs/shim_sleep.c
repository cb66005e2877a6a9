/*
 * shim_sleep [--gaps] - allocations separated by sleeps, for time stamps:
 * 1000 bytes, then 20 ms later 2000, 30 ms after that 3000; between them
 * bursts of 10000 pairs of 7 bytes (events close together, whose times
 * the shim may reuse).
 *
 * --gaps: also print "gaps US1 US2": the microseconds of CLOCK_MONOTONIC
 * (the clock the recorder's times come from) from just before the
 * allocation of 1000 bytes to just after that of 2000, and from just before
 * that of 2000 to just after that of 3000.  No gap between two allocations
 * can be longer, however long the machine kept the program waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	nanosleep(&ts, NULL);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	long long before1 = now_us();
	free(malloc(1000));
	for (int i = 0; i < 10000; i++)
		free(malloc(7));
	sleep_ms(20);
	long long before2 = now_us();
	free(malloc(2000));
	long long after2 = now_us();
	for (int i = 0; i < 10000; i++)
		free(malloc(7));
	sleep_ms(30);
	free(malloc(3000));
	long long after3 = now_us();
	if (argc > 1 && strcmp(argv[1], "--gaps") == 0)
		printf("gaps %lld %lld\n", after2 - before1, after3 - before2);
	return 0;
}
