/*
 * demo.c - the program `make demo` records: a small call tree with a clear
 * memory peak, after the "complete example" of memray's flame graph guide.
 *
 * At the peak (when build_report returns) g() holds the most, e() and i()
 * less, d() some itself, and missing() nothing: its buffer is freed at once.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 100000

static char *fill(size_t n)
{
	char *p = malloc(n);
	if (p)
		memset(p, 'a', n);
	return p;
}

static char *e(void) { return fill(N); }
static char *g(void) { return fill(2 * N); }
static char *f(void) { return g(); }
static char *i(void) { return fill(N); }
static char *h(void) { return i(); }
static void missing(void) { free(fill(N)); }

static char **d(void)
{
	char **v = malloc(3 * sizeof *v);
	v[0] = e();
	v[1] = f();
	v[2] = fill(N / 2);
	return v;
}

static char **c(void)
{
	missing();
	return d();
}

static char **b(void) { return c(); }

static void release(char **v)
{
	for (int k = 0; k < 3; k++)
		free(v[k]);
	free(v);
}

/* Hold the peak for a while, so the report's memory chart has a shape. */
static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static void build_report(void)
{
	char **left = b();
	char *right = h();
	pause_ms(40);
	release(left);
	free(right);
}

int main(void)
{
	for (int round = 0; round < 3; round++) {
		build_report();
		pause_ms(20);
	}
	return 0;
}
