/*
 * env_preload - prints LD_PRELOAD and getpid() as the program sees them,
 * allocates, and execs itself once (with an argument): both the program
 * and the one it execs must see the user's preloaded libraries and not
 * mf's tracker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *preload = getenv("LD_PRELOAD");

	printf("%s: LD_PRELOAD=%s getpid=%s\n", argc > 1 ? "child" : "parent",
	       preload ? preload : "(unset)", getpid() == 4242 ? "4242" : "real");
	fflush(stdout);
	free(malloc(11111));
	if (argc > 1)
		return 0;
	execl("/proc/self/exe", argv[0], "child", (char *)NULL);
	return 1;
}
