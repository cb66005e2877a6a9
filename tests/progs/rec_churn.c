/*
 * rec_churn.c [N [THREADS]] - N allocations and N frees per thread
 * (default 1000000, 1 thread), keeping up to 64 blocks live: a load for
 * the launcher's throughput (bench/launcher.sh).
 */
#include <pthread.h>
#include <stdlib.h>

static long iterations = 1000000;

static void *churn(void *arg)
{
	void *live[64] = { 0 };
	unsigned seed = (unsigned)(long)arg;
	for (long i = 0; i < iterations; i++) {
		unsigned k = (seed = seed * 1103515245u + 12345u) >> 16 & 63;
		free(live[k]);
		live[k] = malloc(16 + (seed >> 8) % 256);
	}
	for (int k = 0; k < 64; k++)
		free(live[k]);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iterations = atol(argv[1]);
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t t[256];
	if (threads < 1 || threads > 256)
		return 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, churn, (void *)(long)(i + 1));
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
