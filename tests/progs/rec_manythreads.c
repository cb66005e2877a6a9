/*
 * rec_manythreads.c - 1500 threads one after the other (slots are given
 * back and reused), each allocating 3000 bytes once and freeing them.
 */
#include <pthread.h>
#include <stdlib.h>

static void *worker(void *arg)
{
	(void)arg;
	free(malloc(3000));
	return NULL;
}

int main(void)
{
	for (int i = 0; i < 1500; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
	}
	return 0;
}
