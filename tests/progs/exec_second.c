/*
 * exec_second - the program exec_first execs (and that may exec again).
 *
 * exec_second SIZE [PROGRAM [ARGS...]]: leaks SIZE bytes (second_leak),
 * allocates and frees 300 (second_temporary); then execs PROGRAM with
 * ARGS if given (exits 4 if that fails), else exits 0.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep;

__attribute__((noinline)) static void second_leak(size_t size)
{
	keep = malloc(size);
}

__attribute__((noinline)) static void second_temporary(void)
{
	char *p = malloc(300);
	memset(p, 2, 300);
	free(p);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	second_leak(strtoul(argv[1], NULL, 10));
	second_temporary();
	if (argc > 2) {
		execvp(argv[2], argv + 2);
		return 4;
	}
	return 0;
}
