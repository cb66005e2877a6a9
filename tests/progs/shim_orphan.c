/*
 * shim_orphan DIR - allocates until DIR/stop exists, then creates
 * DIR/done.  It creates DIR/started first, so a test can kill the reader
 * (the launcher) while it allocates: once its ring is full it must give
 * up tracking instead of waiting for a reader that is gone.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void touch(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	close(open(path, O_WRONLY | O_CREAT, 0644));
}

int main(int argc, char **argv)
{
	char stop[4096];

	if (argc != 2)
		return 2;
	snprintf(stop, sizeof stop, "%s/stop", argv[1]);
	touch(argv[1], "started");
	while (access(stop, F_OK) != 0)
		for (int i = 0; i < 1000; i++)
			free(malloc(100));
	touch(argv[1], "done");
	return 0;
}
