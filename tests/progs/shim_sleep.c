/*
 * shim_sleep - allocations separated by sleeps, for time stamps: 1000
 * bytes, then 20 ms later 2000, 30 ms after that 3000; between them
 * bursts of 10000 pairs of 7 bytes (events close together, whose times
 * the shim may reuse).
 */
#include <stdlib.h>
#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	nanosleep(&ts, NULL);
}

int main(void)
{
	free(malloc(1000));
	for (int i = 0; i < 10000; i++)
		free(malloc(7));
	sleep_ms(20);
	free(malloc(2000));
	for (int i = 0; i < 10000; i++)
		free(malloc(7));
	sleep_ms(30);
	free(malloc(3000));
	return 0;
}
