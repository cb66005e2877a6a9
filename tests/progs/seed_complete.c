/*
 * seed_complete - the "more complete example" of memray's flame graph
 * documentation in C, with the same sizes (n = 100000): at the peak, when
 * a() returns, g() holds 2n, e() and i() n each, d() itself n/2, and the
 * block of missing() is already freed.
 */
#include <stdlib.h>
#include <string.h>

#define N 100000

/* A macro, not a function: each function of the example calls malloc itself. */
#define ALLOC(n) memset(malloc(n), 'a', (n))

__attribute__((noinline)) static char *missing(size_t n)
{
	char *s = ALLOC(n);
	free(s);
	return NULL;
}

__attribute__((noinline)) static char *e(size_t n)
{
	return ALLOC(n);
}

__attribute__((noinline)) static char *g(size_t n)
{
	return ALLOC(n * 2);
}

__attribute__((noinline)) static char *f(size_t n)
{
	return g(n);
}

__attribute__((noinline)) static void d(size_t n, char **list)
{
	list[0] = e(n);
	list[1] = f(n);
	list[2] = ALLOC(n / 2);
}

__attribute__((noinline)) static void c(size_t n, char **list)
{
	missing(n);
	d(n, list);
}

__attribute__((noinline)) static void b(size_t n, char **list)
{
	c(n, list);
}

__attribute__((noinline)) static char *i(size_t n)
{
	return ALLOC(n);
}

__attribute__((noinline)) static char *h(size_t n)
{
	return i(n);
}

__attribute__((noinline)) static void a(size_t n, char **list)
{
	b(n, list);
	list[3] = h(n);
}

int main(void)
{
	char *list[4];
	a(N, list);
	for (int k = 0; k < 4; k++)
		free(list[k]);
	return 0;
}
