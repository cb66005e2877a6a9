/*
 * shim_fork - the child of a fork allocates (77777 bytes, many times) and
 * must not be recorded; the parent's markers (11111, 22222) must be.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int status;
	pid_t pid;

	free(malloc(11111));
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 1000; i++)
			free(malloc(77777));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	free(malloc(22222));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
