/*
 * temp_busy SECONDS THREADS - a busy multi-threaded allocation loop, to
 * measure the size of temporal reports.  Each thread keeps 64 blocks live
 * and keeps replacing a random one with a block of a random size, made
 * from one of 32 call sites; half the sites reach the allocator through a
 * recursion of a random depth up to 4, so there are some hundreds of
 * distinct stacks per thread.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

enum { SLOTS = 64, SITES = 32 };

static double seconds;

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *nest(int depth, size_t size)
{
	if (depth == 0)
		return malloc(size);
	return nest(depth - 1, size);
}

#define SITE(n) static void *site##n(int depth, size_t size) \
	{ return (n) % 2 ? nest(depth, size) : malloc(size); }
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7)
SITE(8) SITE(9) SITE(10) SITE(11) SITE(12) SITE(13) SITE(14) SITE(15)
SITE(16) SITE(17) SITE(18) SITE(19) SITE(20) SITE(21) SITE(22) SITE(23)
SITE(24) SITE(25) SITE(26) SITE(27) SITE(28) SITE(29) SITE(30) SITE(31)

static void *(*const sites[SITES])(int, size_t) = {
	site0, site1, site2, site3, site4, site5, site6, site7,
	site8, site9, site10, site11, site12, site13, site14, site15,
	site16, site17, site18, site19, site20, site21, site22, site23,
	site24, site25, site26, site27, site28, site29, site30, site31,
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9e3779b97f4a7c15u + 1;
	void *slot[SLOTS] = { 0 };
	double end = now() + seconds;
	while (now() < end) {
		for (int i = 0; i < 1000; i++) {
			uint64_t r = next_random(&seed);
			int k = (int)(r % SLOTS);
			free(slot[k]);
			slot[k] = sites[(r >> 8) % SITES]((int)((r >> 16) % 5), 16 + (r >> 24) % 4096);
		}
	}
	for (int k = 0; k < SLOTS; k++)
		free(slot[k]);
	return NULL;
}

int main(int argc, char **argv)
{
	seconds = argc > 1 ? atof(argv[1]) : 1;
	int n = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t t[64];
	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
