/*
 * fork_daemon - the classic double fork: the parent forks a child and
 * waits for it; the child starts a new session, forks the daemon and
 * exits at once; the daemon closes every descriptor, allocates and frees
 * 5000 bytes a while later, leaks 6000 and exits 9.  Only allocations of
 * the daemon differ from the others': 1000 (the parent), 2000 (the child).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep;

int main(void)
{
	pid_t child = fork();

	if (child != 0) {
		keep = malloc(1000);
		waitpid(child, NULL, 0);
		return 0;
	}
	setsid();
	keep = malloc(2000);
	if (fork() != 0)
		_exit(0);
	for (int fd = 0; fd < 1024; fd++)
		close(fd);
	usleep(200000);
	free(malloc(5000));
	keep = malloc(6000);
	return 9;
}
