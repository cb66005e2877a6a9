/*
 * fault_fds - malloc(7771), then "close" closes every descriptor from 3 to
 * 1024, or "dup2" puts /dev/null over each of them; then 100 allocations
 * of 7772 bytes, which the recorder must still see.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kept allocations go here, so the compiler cannot drop them. */
static void *volatile kept;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "close";
	kept = malloc(7771);
	if (strcmp(mode, "dup2") == 0) {
		int null = open("/dev/null", O_RDWR);
		for (int fd = 3; fd <= 1024; fd++)
			if (fd != null)
				dup2(null, fd);
	} else {
		for (int fd = 3; fd <= 1024; fd++)
			close(fd);
	}
	for (int i = 0; i < 100; i++)
		kept = malloc(7772);
	return 0;
}
