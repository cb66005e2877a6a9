/*
 * shim_shapes - the same call site (alloc, called from mid) reached from
 * two callers with identical frames, so the allocation's stack pointer and
 * its two innermost frames are the same and only the third differs:
 * outer_a allocates 101 bytes, outer_b 102, in an irregular order.  The
 * shim's stack shapes must never give one the other's stack.
 */
#include <stdlib.h>

__attribute__((noinline)) static void *alloc(int n)
{
	return malloc(n);
}

__attribute__((noinline)) static void *mid(int n)
{
	return alloc(n);
}

__attribute__((noinline)) static void *outer_a(void)
{
	return mid(101);
}

__attribute__((noinline)) static void *outer_b(void)
{
	return mid(102);
}

int main(void)
{
	for (int i = 0; i < 20000; i++)
		free(i % 7 < 3 || i % 1000 < 300 ? outer_a() : outer_b());
	return 0;
}
