/*
 * shim_fork - the child of a fork allocates (77777 bytes, many times) and
 * must not be recorded; the parent's markers (11111, 22222) must be.  The
 * fork happens in a second thread, which ends the child with pthread_exit
 * (so the shim's thread exit hook runs in the child); the program exits
 * with the child's status, or 100 + the signal that killed it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_status;

static void *forker(void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	free(malloc(33333));
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 1000; i++)
			free(malloc(77777));
		pthread_exit(NULL);
	}
	waitpid(pid, &status, 0);
	child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
	return NULL;
}

int main(void)
{
	pthread_t t;

	free(malloc(11111));
	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, NULL);
	free(malloc(22222));
	return child_status;
}
