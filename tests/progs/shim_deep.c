/*
 * shim_deep - allocates at a given recursion depth: "shim_deep N" makes
 * N + 1 nested calls of dive() before malloc(N + 1000), so the stack has
 * N + 5 frames (dive x N+1, main, two in libc, _start).
 */
#include <stdlib.h>

static void *dive(int n, int size)
{
	if (n == 0)
		return malloc(size);
	return dive(n - 1, size);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;

	free(dive(n, n + 1000));
	return 0;
}
