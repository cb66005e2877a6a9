/*
 * fork_fill DIR BALLAST N - a child whose capture fills the disk, for
 * mf-record --follow-fork -o DIR/cap.mft on a small file system.
 *
 * The parent allocates 1000 bytes and forks a child that makes N
 * allocations of 16 bytes, freeing each (a capture far larger than the
 * room left), and exits 0.  The parent waits until that child's capture
 * DIR/cap.PID.mft is in place (mf-record puts one given up in place as
 * far as written), so the disk was full when it was written; then it
 * removes BALLAST to make room, forks a second child that leaks 2222
 * bytes, waits for it, allocates and frees 3000 bytes and exits 0.  Exits
 * 3 if the first capture is not in place within 30 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep;

/* Wait (30 s at most) until path exists. */
static int appears(const char *path)
{
	for (int ms = 0; ms < 30000; ms += 10) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void flood(long n)
{
	for (long i = 0; i < n; i++)
		free(malloc(16));
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	keep = malloc(1000);
	pid_t first = fork();
	if (first == 0) {
		flood(atol(argv[3]));
		_exit(0);
	}
	waitpid(first, NULL, 0);
	char path[4096];
	snprintf(path, sizeof path, "%s/cap.%ld.mft", argv[1], (long)first);
	if (!appears(path))
		return 3;
	unlink(argv[2]);
	pid_t second = fork();
	if (second == 0) {
		keep = malloc(2222);
		_exit(0);
	}
	waitpid(second, NULL, 0);
	free(malloc(3000));
	return 0;
}
