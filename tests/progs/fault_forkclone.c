/*
 * fault_forkclone - two children, one of each kind: a fork (its handlers
 * run) that allocates 7781 bytes, and one made with the raw clone system
 * call (no handlers) that allocates 7782 bytes; each exits with _exit(0).
 * The parent allocates 7780 bytes first and 7783 once both are reaped.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile kept;

/* Wait for pid; whether it exited with 0. */
static int exited_well(pid_t pid)
{
	int status;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	kept = malloc(7780);
	pid_t forked = fork();
	if (forked == 0) {
		kept = malloc(7781);
		_exit(0);
	}
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	long cloned = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (cloned == 0) {
		kept = malloc(7782);
		_exit(0);
	}
	if (forked < 0 || cloned < 0 || !exited_well(forked) || !exited_well((pid_t)cloned))
		return 1;
	kept = malloc(7783);
	return 0;
}
