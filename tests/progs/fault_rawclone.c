/*
 * fault_rawclone - a child made with the raw clone system call, as some
 * runtimes and sandboxes do: no fork handlers run in it.  The parent
 * allocates 7771 bytes; then the child 100000 times free(malloc(7772))
 * and _exit(0) while the parent does free(malloc(7774)) as often; then the
 * parent, once the child is reaped, allocates 7773 bytes.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile kept;

int main(void)
{
	kept = malloc(7771);
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (int i = 0; i < 100000; i++)
			free(malloc(7772));
		_exit(0);
	}
	/* Meanwhile, in the same ring as the child's copy of this thread's slot. */
	for (int i = 0; i < 100000; i++)
		free(malloc(7774));
	int status;
	if (waitpid((pid_t)pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	kept = malloc(7773);
	return 0;
}
