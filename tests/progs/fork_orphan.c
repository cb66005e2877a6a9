/*
 * fork_orphan - the parent allocates 1000 bytes and exits (3) at once; its
 * child waits until the parent is gone, then allocates and frees 2000
 * bytes, leaks 3000 and exits 4: its capture must be whole all the same.
 */
#include <stdlib.h>
#include <unistd.h>

static void *keep;

int main(void)
{
	pid_t parent = getpid();

	keep = malloc(1000);
	if (fork() != 0)
		return 3;
	while (getppid() == parent)
		usleep(1000);
	usleep(100000);
	free(malloc(2000));
	keep = malloc(3000);
	return 4;
}
