/*
 * exec_first - a program that allocates and leaks, then execs another:
 * an exec continues the process's capture (docs/FORMAT.md, `X`).
 *
 * exec_first PROGRAM [ARGS...]: leaks 1000 bytes (first_leak), allocates
 * and frees 100 (first_temporary), then execs PROGRAM with ARGS.  When
 * the exec fails, it says so on standard error, leaks 3000 bytes
 * (after_failed_exec) and exits 3.  No stdio: its buffers would allocate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep[2];

__attribute__((noinline)) static void first_leak(void)
{
	keep[0] = malloc(1000);
}

__attribute__((noinline)) static void first_temporary(void)
{
	char *p = malloc(100);
	memset(p, 1, 100);
	free(p);
}

__attribute__((noinline)) static void after_failed_exec(void)
{
	keep[1] = malloc(3000);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	first_leak();
	first_temporary();
	execv(argv[1], argv + 1);
	const char *why = strerror(errno);
	ssize_t ignored = write(2, "exec_first: exec failed: ", 25);
	ignored = write(2, why, strlen(why));
	ignored = write(2, "\n", 1);
	(void)ignored;
	after_failed_exec();
	return 3;
}
