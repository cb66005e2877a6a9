/*
 * fault_threads - 64 threads start together (a barrier) and each makes 500
 * allocations of 10000 + its index bytes, freeing all but the last: 32000
 * allocations and 31936 frees racing into the recorder at once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum { THREADS = 64, ALLOCS = 500 };

static pthread_barrier_t start;

static void *work(void *arg)
{
	size_t size = 10000 + (size_t)(uintptr_t)arg;
	void *p = NULL;
	pthread_barrier_wait(&start);
	for (int i = 0; i < ALLOCS; i++) {
		free(p);
		p = malloc(size);
	}
	return p;
}

int main(void)
{
	pthread_t t[THREADS];
	pthread_barrier_init(&start, NULL, THREADS);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
