/*
 * fault_manythreads - 2000 threads alive at once, more than a small
 * server's pool: each makes 5 allocations of 6661 bytes, waits on one
 * barrier that all 2000 (and main) must reach, then frees them.  A
 * recorder that makes a thread wait for another to exit hangs here.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 2000
#define EACH 5

static pthread_barrier_t all_here;

static void *work(void *arg)
{
	void *kept[EACH];

	(void)arg;
	for (int i = 0; i < EACH; i++)
		kept[i] = malloc(6661);
	pthread_barrier_wait(&all_here);
	for (int i = 0; i < EACH; i++)
		free(kept[i]);
	return NULL;
}

int main(void)
{
	static pthread_t th[THREADS];
	pthread_attr_t small;

	/* Small stacks: 2000 threads of 8 MB would be 16 GB of address space. */
	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, 64 << 10);
	pthread_barrier_init(&all_here, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], &small, work, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	pthread_barrier_wait(&all_here);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
