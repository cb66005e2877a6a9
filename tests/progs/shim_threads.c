/*
 * shim_threads - 64 threads allocate at once: each does 1000 malloc/free
 * pairs of 1000 + its index bytes.  Thread 0 names itself with
 * pthread_setname_np ("worker-0"), thread 1 with prctl ("worker-1"), and
 * main renames thread 2 ("renamed-2").  A pthread key destructor that runs
 * after the shim's allocates 31337 bytes at each thread's exit.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>

#define THREADS 64
#define ROUNDS 1000

static pthread_barrier_t ready, named;
static pthread_key_t late_key;

static void late(void *p)
{
	(void)p;
	free(malloc(31337));
}

static void *work(void *arg)
{
	long i = (long)arg;

	pthread_setspecific(late_key, (void *)1);
	if (i == 0)
		pthread_setname_np(pthread_self(), "worker-0");
	if (i == 1)
		prctl(PR_SET_NAME, "worker-1");
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&ready);
	for (int r = 0; r < ROUNDS; r++)
		free(malloc(1000 + i));
	return NULL;
}

int main(void)
{
	pthread_t th[THREADS];

	pthread_key_create(&late_key, late);
	/* Main passes "ready" after the rename, so thread 2 cannot be gone. */
	pthread_barrier_init(&ready, NULL, THREADS + 1);
	pthread_barrier_init(&named, NULL, THREADS + 1);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, work, (void *)i);
	pthread_barrier_wait(&named);
	if (pthread_setname_np(th[2], "renamed-2") != 0)
		return 3;
	pthread_barrier_wait(&ready);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
