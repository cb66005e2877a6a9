/*
 * seed_simple - the "simple example" of memray's flame graph documentation
 * in C: a() calls b(), which keeps what c() and d() allocate (100000 bytes
 * each).  At the peak both blocks are live: c() and d() are equally wide.
 */
#include <stdlib.h>
#include <string.h>

#define N 100000

__attribute__((noinline)) static char *c(size_t n)
{
	char *s = malloc(n);
	memset(s, 'a', n);
	return s;
}

__attribute__((noinline)) static char *d(size_t n)
{
	char *s = malloc(n);
	memset(s, 'a', n);
	return s;
}

__attribute__((noinline)) static void b(size_t n, char **list)
{
	list[0] = c(n);
	list[1] = d(n);
}

__attribute__((noinline)) static void a(size_t n, char **list)
{
	b(n, list);
}

int main(void)
{
	char *list[2];
	a(N, list);
	free(list[0]);
	free(list[1]);
	return 0;
}
