/*
 * shim_slots N - N short threads, 50 alive at a time, each allocating
 * 4321 bytes once: with fewer slots than N (SHIM_DUMP_SLOTS), slots given
 * back at thread exit must be claimed again.
 */
#include <pthread.h>
#include <stdlib.h>

static void *work(void *arg)
{
	(void)arg;
	free(malloc(4321));
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t th[50];

	for (int done = 0; done < n; done += 50) {
		int batch = n - done < 50 ? n - done : 50;

		for (int i = 0; i < batch; i++)
			pthread_create(&th[i], NULL, work, NULL);
		for (int i = 0; i < batch; i++)
			pthread_join(th[i], NULL);
	}
	return 0;
}
