/*
 * fork_family - a parent and three children, for mf-record --follow-fork.
 *
 * The parent allocates 1000 and 2000 bytes and forks three children:
 *   one frees the parent's 1000-byte block (inherited: not untracked, not
 *       counted twice) and leaks 111 bytes;
 *   one leaks 222 bytes and execs this program with "execd", which
 *       allocates and frees 333 bytes and leaks 3333, and exits 7;
 *   one allocates and frees 444 bytes and _exits 5.
 * The parent waits for all three, frees its 2000-byte block and leaks the
 * 1000-byte one.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep;

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "execd") == 0) {
		free(malloc(333));
		keep = malloc(3333);
		return 7;
	}
	char *a = malloc(1000);
	char *b = malloc(2000);
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] != 0)
			continue;
		if (i == 0) {
			free(a);
			keep = malloc(111);
			exit(0);
		}
		if (i == 1) {
			keep = malloc(222);
			execl("/proc/self/exe", argv[0], "execd", (char *)NULL);
			_exit(99);
		}
		free(malloc(444));
		_exit(5);
	}
	for (int i = 0; i < 3; i++)
		waitpid(kids[i], NULL, 0);
	free(b);
	return 0;
}
