/*
 * exec_each - execs itself through each function of the exec family in
 * turn, so that each is seen to pass the tracker on: the capture holds an
 * X record for each and the allocation of every step.
 *
 * exec_each [STEP]: allocates 1000 + STEP bytes (kept), then execs
 * itself with STEP + 1 through function number STEP (execve, execv,
 * execvp, execvpe, execl, execlp, execle, fexecve); the last step exits 0.
 * The program is found as /proc/self/exe, through PATH for the p
 * variants (PATH is set to its directory).
 */
#define _GNU_SOURCE	/* execvpe */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void *keep;

int main(int argc, char **argv)
{
	int step = argc > 1 ? atoi(argv[1]) : 0;
	char self[4096], next[16], dir[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	keep = malloc(1000 + (size_t)step);
	if (n <= 0 || step >= 8)
		return n <= 0;
	self[n] = '\0';
	snprintf(next, sizeof next, "%d", step + 1);
	strcpy(dir, self);
	*strrchr(dir, '/') = '\0';
	snprintf(path, sizeof path, "PATH=%s", dir);
	putenv(path);
	const char *base = strrchr(self, '/') + 1;
	char *args[] = { (char *)base, next, NULL };
	switch (step) {
	case 0: execve(self, args, environ); break;
	case 1: execv(self, args); break;
	case 2: execvp(base, args); break;
	case 3: execvpe(base, args, environ); break;
	case 4: execl(self, base, next, (char *)NULL); break;
	case 5: execlp(base, base, next, (char *)NULL); break;
	case 6: execle(self, base, next, (char *)NULL, environ); break;
	case 7: fexecve(open(self, O_RDONLY | O_CLOEXEC), args, environ); break;
	}
	return 2;
}
