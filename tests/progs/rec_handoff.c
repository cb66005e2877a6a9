/*
 * rec_handoff.c [N [THREADS]] - THREADS threads (default 4) each make N
 * allocations (default 100000) and put them in the next thread's mailbox,
 * and each frees what it finds in its own: blocks are freed by other
 * threads than the ones that made them, and (with one arena and no thread
 * cache, GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.tcache_count=0)
 * their addresses are handed out again to other threads at once.  A block
 * that finds the next mailbox full is freed by its maker.  Every block is
 * freed before the end.
 */
#include <pthread.h>
#include <stdlib.h>

#define MAILBOX 256
#define MAX_THREADS 64

struct mailbox {
	pthread_mutex_t lock;
	void *block[MAILBOX];
	size_t n;
};

static long iterations = 100000;
static int threads = 4;
static struct mailbox box[MAX_THREADS];
static pthread_barrier_t start;

/* Returns p if the mailbox is full. */
static void *post(struct mailbox *m, void *p)
{
	pthread_mutex_lock(&m->lock);
	if (m->n < MAILBOX) {
		m->block[m->n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	return p;
}

static void *fetch(struct mailbox *m)
{
	void *p = NULL;
	pthread_mutex_lock(&m->lock);
	if (m->n)
		p = m->block[--m->n];
	pthread_mutex_unlock(&m->lock);
	return p;
}

static void *handoff(void *arg)
{
	int me = (int)(long)arg;
	unsigned seed = (unsigned)me + 1;
	pthread_barrier_wait(&start);
	for (long i = 0; i < iterations; i++) {
		void *p = malloc(16 + (seed = seed * 1103515245u + 12345u) % 200);
		free(post(&box[(me + 1) % threads], p));
		free(fetch(&box[me]));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS];
	if (argc > 1)
		iterations = atol(argv[1]);
	if (argc > 2)
		threads = atoi(argv[2]);
	if (threads < 1 || threads > MAX_THREADS)
		return 2;
	pthread_barrier_init(&start, NULL, threads);
	for (int i = 0; i < threads; i++) {
		pthread_mutex_init(&box[i].lock, NULL);
		pthread_create(&t[i], NULL, handoff, (void *)(long)i);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < threads; i++)
		for (void *p; (p = fetch(&box[i]));)
			free(p);
	return 0;
}
