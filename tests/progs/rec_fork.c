/*
 * rec_fork.c - the parent allocates 1111 bytes, forks a child that
 * allocates 2222 bytes and exits, then allocates 3333 bytes.  With
 * argument "exec" the child execs this program with "execd", which
 * allocates 4444 bytes (not recorded: a forked child is not), and then
 * the parent execs it too (recorded: it continues the parent's capture).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "execd") == 0) {
		free(malloc(4444));
		return 0;
	}
	int exec = argc > 1 && strcmp(argv[1], "exec") == 0;
	char *a = malloc(1111);
	pid_t pid = fork();
	if (pid == 0) {
		if (exec)
			execl("/proc/self/exe", argv[0], "execd", (char *)NULL);
		free(malloc(2222));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char *b = malloc(3333);
	free(a);
	free(b);
	if (exec)
		execl("/proc/self/exe", argv[0], "execd", (char *)NULL);
	return 0;
}
