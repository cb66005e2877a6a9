/*
 * fault_fork - malloc(5551), then 100 children that each allocate 5552
 * bytes and exit() (running the exit handlers, the tracker's included),
 * then malloc(5553) in the parent once all are reaped.  "exec" instead
 * replaces the process: malloc(5551), then sh -c 'exit 3'.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Kept allocations go here, so the compiler cannot drop them. */
static void *volatile kept;

int main(int argc, char **argv)
{
	kept = malloc(5551);
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
		return 1;
	}
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			kept = malloc(5552);
			exit(0);
		}
	}
	int status, failed = 0;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	kept = malloc(5553);
	return failed;
}
