/*
 * shim_exec - execs itself: the exec'd program must run untracked and
 * unharmed.  It prints what it sees: whether the variables that start
 * tracking are still set, and how many memfds are open (the shim closes
 * its memfd right after mapping it).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_memfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[300];
	int n = 0;

	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof target - 1);
		if (len > 0 && strncmp(target, "/memfd:", 7) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	printf("%s: LD_PRELOAD=%s MF_SHM_FD=%s memfds=%d\n", argc > 1 ? "child" : "parent",
	       getenv("LD_PRELOAD") ? "set" : "unset", getenv("MF_SHM_FD") ? "set" : "unset",
	       open_memfds());
	fflush(stdout);
	if (argc > 1) {
		free(malloc(55555));
		return 0;
	}
	free(malloc(11111));
	execl("/proc/self/exe", argv[0], "child", (char *)NULL);
	return 1;
}
