/*
 * seed_inverted - the "simple inverted flame graph example" of memray's
 * documentation in C: a() allocates 1000000 bytes three times (through
 * b() from c() and d()), a1() once.  Inverted, a() is three times a1().
 * main() returns what it allocated, as the example does: it is never freed,
 * so the leaks are the peak.
 */
#include <stdlib.h>
#include <string.h>

#define SIZE 1000000

__attribute__((noinline)) static char *a(void)
{
	return memset(malloc(SIZE), 'a', SIZE);
}

__attribute__((noinline)) static char *a1(void)
{
	return memset(malloc(SIZE), 'a', SIZE);
}

__attribute__((noinline)) static char *b(void)
{
	return a();
}

__attribute__((noinline)) static char *c(void)
{
	return b();
}

__attribute__((noinline)) static char *d(void)
{
	return b();
}

__attribute__((noinline)) static char *g(void)
{
	return c();
}

__attribute__((noinline)) static char *f(void)
{
	return g();
}

__attribute__((noinline)) static char *e(void)
{
	return g();
}

__attribute__((noinline)) static void run(char **keep)
{
	keep[0] = a1();
	keep[1] = d();
	keep[2] = e();
	keep[3] = f();
}

int main(void)
{
	static char *keep[4];
	run(keep);
	return 0;
}
