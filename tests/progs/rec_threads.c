/*
 * rec_threads.c - 64 threads, each naming itself "worker-NN" and making
 * one allocation of 5000 + NN bytes; then the main thread renames the
 * first worker (still alive) to "renamed" and names itself "boss".
 */
#define _GNU_SOURCE	/* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 64

static pthread_barrier_t named, renamed;

static void *worker(void *arg)
{
	long n = (long)arg;
	char name[16];
	snprintf(name, sizeof name, "worker-%02ld", n);
	pthread_setname_np(pthread_self(), name);
	free(malloc(5000 + (size_t)n));
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&renamed);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	pthread_barrier_init(&named, NULL, THREADS + 1);
	pthread_barrier_init(&renamed, NULL, THREADS + 1);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&named);
	pthread_setname_np(t[0], "renamed");
	pthread_setname_np(pthread_self(), "boss");
	free(malloc(777));
	pthread_barrier_wait(&renamed);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
