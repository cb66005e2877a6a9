/*
 * workload_threads - an allocation-heavy multi-threaded program for
 * bench/record.sh: THREADS threads (default 4) each run ROUNDS (default
 * 1000000) rounds; a round replaces one block of a small per-thread
 * working set (free the old one, malloc a new one of 16..1039 bytes),
 * writes the new block and folds it into a checksum.  The allocation is
 * made at call depth 10, down one of four call paths, so stacks are deep
 * and varied like a real program's, but few.
 *
 * With SECONDS, each thread also stops once SECONDS have passed (checked
 * every 1024 rounds), and the rounds made and the time taken go to
 * standard error ("rounds N seconds S"): bench/long.sh records a churn of
 * a given duration and counts its allocations per second.
 *
 * Usage: workload_threads [THREADS [ROUNDS [SECONDS]]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKING_SET 256

static double deadline;	/* CLOCK_MONOTONIC seconds; 0: none */

struct worker {
	unsigned seed;
	long rounds, done;
	unsigned long sum;
	unsigned char *live[WORKING_SET];
};

static unsigned next_random(struct worker *w)
{
	w->seed = w->seed * 1103515245u + 12345u;
	return w->seed >> 8;
}

/* The allocation itself: a new block, written and summed. */
__attribute__((noinline)) static unsigned char *make_block(struct worker *w, int path)
{
	size_t size = 16 + next_random(w) % 1024;
	unsigned char *p = malloc(size);

	memset(p, path + (int)size, size);
	for (size_t i = 0; i < size; i += 64)
		w->sum += p[i];
	return p;
}

/* Ten frames down, by one of four paths: each level is a real call. */
#define LEVEL(name, next)						\
	__attribute__((noinline)) static unsigned char *name(struct worker *w, int path, int depth) \
	{								\
		unsigned char *p = next(w, path, depth + 1);		\
		w->sum += (unsigned long)depth;				\
		return p;						\
	}
static unsigned char *leaf(struct worker *w, int path, int depth)
{
	(void)depth;
	return make_block(w, path);
}
LEVEL(level8, leaf)
LEVEL(level7, level8)
LEVEL(level6, level7)
LEVEL(level5a, level6)
LEVEL(level5b, level6)
LEVEL(level4a, level5a)
LEVEL(level4b, level5b)
LEVEL(level3a, level4a)
LEVEL(level3b, level4b)
LEVEL(level2a, level3a)
LEVEL(level2b, level3b)
LEVEL(level2c, level3a)
LEVEL(level2d, level3b)

__attribute__((noinline)) static unsigned char *level1(struct worker *w, int path)
{
	switch (path) {
	case 0: return level2a(w, path, 2);
	case 1: return level2b(w, path, 2);
	case 2: return level2c(w, path, 2);
	default: return level2d(w, path, 2);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	long r;

	for (r = 0; r < w->rounds; r++) {
		unsigned slot = next_random(w) % WORKING_SET;

		if (deadline && (r & 1023) == 0 && now() >= deadline)
			break;
		free(w->live[slot]);
		w->live[slot] = level1(w, (int)(r & 3));
	}
	w->done = r;
	for (int i = 0; i < WORKING_SET; i++)
		free(w->live[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	long rounds = argc > 2 ? atol(argv[2]) : 1000000;
	double seconds = argc > 3 ? atof(argv[3]) : 0, start = now();
	long done = 0;
	pthread_t th[64];
	struct worker *w = calloc(threads, sizeof *w);
	unsigned long sum = 0;

	if (threads < 1 || threads > 64 || rounds < 0 || seconds < 0 || !w) {
		fprintf(stderr, "usage: workload_threads [THREADS (1-64) [ROUNDS [SECONDS]]]\n");
		return 2;
	}
	if (seconds > 0)
		deadline = start + seconds;
	for (int i = 0; i < threads; i++) {
		w[i].seed = i + 1;
		w[i].rounds = rounds;
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		sum += w[i].sum;
		done += w[i].done;
	}
	printf("%lu\n", sum);
	if (seconds > 0)
		fprintf(stderr, "rounds %ld seconds %.3f\n", done, now() - start);
	free(w);
	return 0;
}
