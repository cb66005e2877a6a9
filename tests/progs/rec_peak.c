/*
 * rec_peak.c - a peak that is not at the end: three functions hold memory
 * in different amounts, the peak comes when all three hold theirs, then
 * most is freed and something smaller stays (leaks), from two threads.
 */
#include <pthread.h>
#include <stdlib.h>

static void *small(void) { return malloc(100); }
static void *medium(void) { return malloc(1000); }
static void *large(void) { return malloc(10000); }

static void *helper(void *arg)
{
	(void)arg;
	void *keep = medium();
	void *drop = large();
	free(drop);
	return keep;
}

int main(void)
{
	void *s[10], *m[5], *l[3];
	for (int i = 0; i < 10; i++)
		s[i] = small();
	for (int i = 0; i < 5; i++)
		m[i] = medium();
	for (int i = 0; i < 3; i++)
		l[i] = large();
	/* The peak: 10 * 100 + 5 * 1000 + 3 * 10000 = 36000 bytes. */
	for (int i = 0; i < 3; i++)
		free(l[i]);
	for (int i = 0; i < 5; i += 2)
		free(m[i]);
	pthread_t t;
	void *kept;
	pthread_create(&t, NULL, helper, NULL);
	pthread_join(t, &kept);
	free(s[0]);
	return 0;
}
