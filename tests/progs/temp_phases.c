/*
 * temp_phases - two phases for the temporal report: phase one holds 8 MB
 * in one function for 200 ms and frees it, phase two holds 4 MB in another
 * for 200 ms and frees it; then 1000 bytes leak.  So the peak is phase
 * one, a window after it shows phase two, and the leaks are only the last.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *kept;

static void hold(size_t bytes)
{
	char *p = malloc(bytes);
	memset(p, 1, bytes);	/* touch it, so RSS shows it too */
	usleep(200 * 1000);
	free(p);
}

static void phase_one(void)
{
	hold(8 << 20);
}

static void phase_two(void)
{
	hold(4 << 20);
}

static void leak_some(void)
{
	kept = malloc(1000);
}

int main(void)
{
	phase_one();
	usleep(50 * 1000);
	phase_two();
	leak_some();
	return kept ? 0 : 1;
}
