/*
 * stages.c - how mf runs the mf-* programs: one child (mf run, mf attach)
 * or a pipeline of them (mf flamegraph: fork and exec, connected by
 * pipes).  mf.h says what each function does.
 *
 * Each stage's standard error is kept aside (a memfd) and shown once the
 * pipeline is done, up to the stage that failed: the stages after it only
 * complain of the input it did not give them, which would bury its one
 * line.
 *
 * mf passes SIGHUP, SIGINT and SIGTERM on to its children.  mf flamegraph
 * then removes its temporary file and dies of the signal; mf run and mf
 * attach go on to wait for mf-record, which finishes the capture of the
 * program it stops (or, attached, lets go of).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "mf.h"

void stage_arg(struct stage *s, const char *arg)
{
	s->argv = xgrow(s->argv, &s->cap, (size_t)s->argc + 2, sizeof *s->argv);
	s->argv[s->argc++] = (char *)arg;
	s->argv[s->argc] = NULL;
}

/* The programs mf started and has not waited for: a signal goes to them too. */
static volatile pid_t children[4];
/* mf run and mf attach: mf-record finishes its capture on SIGTERM, and mf waits for it. */
static volatile sig_atomic_t outlive_children;

void stages_outlive(void)
{
	outlive_children = 1;
}

static void pass_on_and_die(int sig)
{
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (children[i] > 0)
			kill(children[i], sig);
	if (outlive_children)
		return;
	remove_on_exit_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

void pass_signals_on(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], pass_on_and_die);
}

/* fork(), the child's pid noted in children[slot] before a signal can miss it. */
pid_t start_child(int slot)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid > 0)
		children[slot] = pid;
	if (pid == 0) {
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

void wait_child(int slot, int *status, const char *name)
{
	while (waitpid(children[slot], status, 0) < 0)
		if (errno != EINTR)
			die_errno("cannot wait for '%s'", name);
	children[slot] = 0;
}

/*
 * Start every stage, stdout of each into stdin of the next, the last one's
 * into the file report; wait for all.
 */
void run_pipeline(struct stage *st, int n, int report)
{
	int in = -1;
	for (int i = 0; i < n; i++) {
		int fds[2] = { -1, -1 };
		if (i + 1 < n && pipe(fds) != 0)
			die_errno("cannot create a pipe");
		st[i].err = memfd_create("mf stage stderr", MFD_CLOEXEC);
		if (st[i].err < 0)
			die_errno("cannot keep the messages of '%s'", st[i].argv[0]);
		pid_t pid = start_child(i);
		if (pid < 0)
			die_errno("cannot start '%s'", st[i].argv[0]);
		if (pid == 0) {
			if (in >= 0) {
				dup2(in, 0);
				close(in);
			}
			if (fds[1] >= 0) {
				dup2(fds[1], 1);
				close(fds[1]);
				close(fds[0]);
			} else {
				dup2(report, 1);
			}
			dup2(st[i].err, 2);
			execv(st[i].argv[0], st[i].argv);
			fprintf(stderr, "mf: cannot run '%s': %s\n", st[i].argv[0], strerror(errno));
			_exit(127);
		}
		if (in >= 0)
			close(in);
		if (fds[1] >= 0)
			close(fds[1]);
		in = fds[0];
	}
	for (int i = 0; i < n; i++)
		wait_child(i, &st[i].status, st[i].argv[0]);
}

/*
 * The stage that failed first, or -1 when all succeeded.  A stage killed by
 * SIGPIPE only saw its reader fail, so it is blamed last.
 */
int failed_stage(const struct stage *st, int n)
{
	int pipe_death = -1;
	for (int i = 0; i < n; i++) {
		int s = st[i].status;
		if (WIFEXITED(s) && WEXITSTATUS(s) == 0)
			continue;
		if (WIFSIGNALED(s) && WTERMSIG(s) == SIGPIPE) {
			if (pipe_death < 0)
				pipe_death = i;
			continue;
		}
		return i;
	}
	return pipe_death;
}

void describe_failure(const struct stage *s)
{
	const char *name = base_name(s->argv[0]);
	if (WIFSIGNALED(s->status))
		die("%s was killed by signal %d (%s); no report written", name,
		    WTERMSIG(s->status), strsignal(WTERMSIG(s->status)));
	die("%s failed (exit status %d); no report written", name, WEXITSTATUS(s->status));
}

/*
 * Copy what stages 0..last wrote to standard error to ours; returns
 * whether stage last wrote anything.
 */
int show_messages(const struct stage *st, int last)
{
	off_t said = 0;
	for (int i = 0; i <= last; i++) {
		char block[4096];
		ssize_t n;
		for (said = 0; (n = pread(st[i].err, block, sizeof block, said)) > 0; said += n)
			fwrite(block, 1, (size_t)n, stderr);
	}
	return said > 0;
}

