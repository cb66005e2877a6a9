/*
 * mf.h - what the files of mf, the front door, share.
 *
 *   mf.c          main(): the verbs, and where the mf-* programs are
 *   stages.c      running them: one child, or a pipeline of several,
 *                 with signals passed on and their messages kept aside
 *   record.c      mf run and mf attach: mf-record's options and capture
 *   flamegraph.c  mf flamegraph: the reducer, mf-invert, mf-html
 *
 * Every function dies on failure (lib/err.h) unless it says otherwise.
 */
#ifndef MF_MF_H
#define MF_MF_H

#include <limits.h>
#include <stddef.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* ----------------------------------------------------------------- mf.c */

/* The directory of mf's own executable, where the mf-* programs are. */
extern char bindir[PATH_MAX];

/*
 * "BINDIR/NAME" for a sibling program; NULL when it is not there.  The
 * paths live as long as mf (at most eight), so no exit path frees them.
 */
char *sibling(const char *name);
/* The same, or dies saying mf needs it. */
char *need_sibling(const char *name);
/* The last part of path (path itself when it ends with '/'). */
const char *base_name(const char *path);

/* ------------------------------------------------------------- stages.c */

/* A program to run, and once it ran, how it went. */
struct stage {
	char **argv;	/* NULL-terminated; grows (several captures); the caller frees it */
	size_t cap;
	int argc;
	int status;	/* from waitpid() */
	int err;	/* a memfd holding what it wrote to standard error */
};

/* Append arg (not copied: it must outlive the stage) to s's argv. */
void stage_arg(struct stage *s, const char *arg);

/*
 * From now on, SIGHUP, SIGINT and SIGTERM go on to the children mf
 * started; unless stages_outlive() was called, mf then removes its
 * temporary file and dies of the signal.
 */
void pass_signals_on(void);
/* mf run and mf attach: after passing a signal on, mf goes on to wait. */
void stages_outlive(void);

/*
 * fork(), the child's pid noted in slot (0 to 3) before a signal can miss
 * it; the child gets the default action of the signals passed on.
 * Returns what fork() did.
 */
pid_t start_child(int slot);
/* Wait for the child of slot into *status; name says who in an error. */
void wait_child(int slot, int *status, const char *name);

/*
 * Start the n stages, stdout of each into stdin of the next, the last
 * one's into the file report, each one's stderr into its memfd; wait for
 * all.
 */
void run_pipeline(struct stage *st, int n, int report);
/*
 * The stage that failed first, or -1 when all succeeded.  A stage killed
 * by SIGPIPE only saw its reader fail, so it is blamed last.
 */
int failed_stage(const struct stage *st, int n);
/* "NAME failed (exit status N); no report written", or killed; exits 1. */
noreturn void describe_failure(const struct stage *s);
/*
 * Copy what stages 0..last wrote to standard error to ours; returns
 * whether stage last wrote anything.
 */
int show_messages(const struct stage *st, int last);

/* ------------------------------------------------------ the verbs' files */

int cmd_run(int argc, char **argv);		/* record.c */
int cmd_attach(int argc, char **argv);		/* record.c */
int cmd_flamegraph(int argc, char **argv);	/* flamegraph.c */

#endif
