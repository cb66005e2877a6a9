/*
 * red_threads - two named threads allocate from the same function: 1000
 * bytes in "alpha", 3000 in "beta", kept until both are done, so the peak
 * holds both.  Without --split-threads their stacks (below the thread
 * entry) are the same; with it each starts with its thread frame.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_barrier_t done;

__attribute__((noinline)) static char *allocate(size_t n)
{
	return memset(malloc(n), 'x', n);
}

static void *worker(void *arg)
{
	size_t n = (size_t)arg;
	pthread_setname_np(pthread_self(), n == 1000 ? "alpha" : "beta");
	char *p = allocate(n);
	/* Both blocks are live together before either is freed. */
	pthread_barrier_wait(&done);
	pthread_barrier_wait(&done);
	free(p);
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_barrier_init(&done, NULL, 3);
	pthread_create(&a, NULL, worker, (void *)1000);
	pthread_create(&b, NULL, worker, (void *)3000);
	pthread_barrier_wait(&done);
	pthread_barrier_wait(&done);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
