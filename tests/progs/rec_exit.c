/*
 * rec_exit.c HOW - allocate 4242 bytes (kept), then end as HOW says:
 * "exit3" exit(3), "segv" a null-pointer write, "abort" abort(),
 * "_exit" _exit(5), "kill" SIGKILL to itself, "pause" wait for a signal.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	char *kept = malloc(4242);
	kept[0] = 1;
	if (strcmp(how, "exit3") == 0)
		exit(3);
	if (strcmp(how, "segv") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(how, "abort") == 0)
		abort();
	if (strcmp(how, "_exit") == 0)
		_exit(5);
	if (strcmp(how, "kill") == 0)
		kill(getpid(), SIGKILL);
	if (strcmp(how, "pause") == 0)
		pause();
	return 0;
}
