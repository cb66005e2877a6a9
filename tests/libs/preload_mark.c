/*
 * preload_mark - a library a user might preload beside mf's tracker: it
 * interposes getpid, and says it was loaded on standard error, so a test
 * sees that it stays preloaded in the recorded program and the programs
 * that program execs.
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void say_loaded(void)
{
	static const char line[] = "preload_mark: loaded\n";
	ssize_t ignored = write(STDERR_FILENO, line, strlen(line));

	(void)ignored;
}

/* Observable from the program: its pid is 4242 while this library is preloaded. */
pid_t getpid(void)
{
	return 4242;
}
