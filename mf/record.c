/*
 * record.c - mf run and mf attach: mf-record with the options both verbs
 * share (-o, -f, --interval, --aggregate), each verb's own (--follow-fork,
 * --duration), and a capture named by default mf-NAME.PID.mft.zst; mf
 * waits for mf-record and says where the capture went.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "mf.h"
#include "num.h"
#include "output.h"

static const char usage_run[] =
	"usage: mf run [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]\n";

static const char usage_attach[] =
	"usage: mf attach [-f] [-o FILE] [--duration S] [--interval MS] [--aggregate] PID\n";

static const char help_run[] =
	"Run PROGRAM with mf-record and write its capture to FILE, by default\n"
	"mf-PROGRAM.PID.mft.zst (zstd-compressed) in the current directory, where\n"
	"PROGRAM is the program's base name and PID the process id of mf (and so\n"
	"of mf-record, which mf runs as its child).  Prints where it wrote when done.\n"
	"\n"
	"  -o, --output FILE   write the capture to FILE (.zst: zstd, .gz: gzip)\n"
	"  -f, --force         overwrite FILE if it exists\n"
	"      --interval MS   a memory record every MS milliseconds (default 10)\n"
	"      --aggregate     keep only what was live at the peak and at the end\n"
	"      --follow-fork   record every process PROGRAM starts, forked or\n"
	"                      exec'd, each in its own capture (below)\n"
	"\n"
	"With --follow-fork, each process gets its own capture: PROGRAM's is FILE,\n"
	"another process's is FILE with .PID (its process id) inserted before a\n"
	"final .mft, .gz or .zst, or added at the end of any other name; a process\n"
	"that execs goes on in its capture as a new program:\n"
	"  -o make.mft.zst   make.mft.zst, make.4243.mft.zst, make.4244.mft.zst\n"
	"When done, mf run names them all with one pattern, make.*.mft.zst, to give\n"
	"to mf flamegraph.\n"
	"\n"
	"PROGRAM runs with PYTHONMALLOC=malloc unless PYTHONMALLOC is set, so that\n"
	"every object of a Python program is an allocation of its own.\n"
	"\n"
	"Exits with mf-record's status: the program's, or 128 + N if signal N killed it;\n"
	"with --follow-fork, 1 when a process's capture is missing or cut short.\n";

static const char help_attach[] =
	"Record the running process PID with mf-record -p, from now until it ends,\n"
	"S seconds have passed, or ^C: then the process goes on, no longer\n"
	"recorded.  The capture goes to FILE, by default mf-NAME.PID.mft.zst in the\n"
	"current directory, where NAME is the process's name.  Prints where it\n"
	"wrote when done.\n"
	"\n"
	"  -o, --output FILE   write the capture to FILE\n"
	"  -f, --force         overwrite FILE if it exists\n"
	"      --duration S    stop recording after S seconds\n"
	"      --interval MS   a memory record every MS milliseconds (default 10)\n"
	"      --aggregate     keep only what was live at the peak and at the end\n"
	"\n"
	"Exits with mf-record's status: 0 once the capture is written.\n";

/* A verb that runs mf-record: its texts and what sets its options apart. */
struct record_verb {
	const char *usage, *help;
	const char *shortopts;	/* mf run's starts with '+': options stop at PROGRAM */
	struct option own;	/* --follow-fork or --duration */
};

/* What the options say: mf-record's argv so far, and where the capture goes. */
struct record_options {
	struct stage rec;
	const char *output;	/* -o FILE, or NULL for the verb's default */
	int follow;		/* --follow-fork */
};

/* mf-record and the options of argv, up to the first operand (optind). */
static void parse_record_options(int argc, char **argv, const struct record_verb *verb,
				 struct record_options *o)
{
	const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		verb->own,
		{ NULL, 0, NULL, 0 },
	};
	int c;
	stage_arg(&o->rec, need_sibling("mf-record"));
	optind = 1;
	while ((c = getopt_long(argc, argv, verb->shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'a': stage_arg(&o->rec, "--aggregate"); break;
		case 'd': stage_arg(&o->rec, "--duration"); stage_arg(&o->rec, optarg); break;
		case 'f': stage_arg(&o->rec, "-f"); break;
		case 'F': stage_arg(&o->rec, "--follow-fork"); o->follow = 1; break;
		case 'h': output_help(verb->usage, "\n", verb->help, NULL);
		case 'i': stage_arg(&o->rec, "--interval"); stage_arg(&o->rec, optarg); break;
		case 'o': o->output = optarg; break;
		default: bad_option(verb->usage, c, argv);
		}
	}
}

/*
 * Whether mf-record wrote a capture to the regular file output: it puts a
 * new file in place (lib/output.h), so a file that was there before (old)
 * and is still there was refused or left alone.  mf-record's exit status
 * cannot tell: it is the program's.
 */
static int wrote_capture(const char *output, const struct stat *old)
{
	struct stat now;
	if (strcmp(output, "-") == 0 || stat(output, &now) != 0 || !S_ISREG(now.st_mode))
		return 0;
	return !old || now.st_dev != old->st_dev || now.st_ino != old->st_ino;
}

/* "mf: wrote ..." and the command that makes a report of it. */
static void say_where(const char *output, int follow)
{
	if (!follow) {
		fprintf(stderr, "mf: wrote %s; make a report with: mf flamegraph %s\n", output, output);
		return;
	}
	/* The other processes' captures, as a glob (lib/capture.h). */
	char *others = capture_sibling(output, "*");
	fprintf(stderr, "mf: wrote %s and the captures of the processes it started (%s); make a report with: mf flamegraph %s %s\n",
		output, others, output, others);
	free(others);
}

/*
 * Run mf-record with args (freed), which write the capture to output (and,
 * following forks, the captures beside it); returns mf-record's exit status.
 */
static int record_with(char **args, const char *output, int follow)
{
	/* Like system(): the terminal's ^C is for the program (mf attach: for mf-record), not for mf. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	stages_outlive();
	struct stat before;
	int existed = stat(output, &before) == 0;
	pid_t pid = start_child(0);
	if (pid < 0)
		die_errno("cannot start '%s'", args[0]);
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execv(args[0], args);
		fprintf(stderr, "mf: cannot run '%s': %s\n", args[0], strerror(errno));
		_exit(127);
	}
	int status;
	wait_child(0, &status, args[0]);
	free(args);
	if (wrote_capture(output, existed ? &before : NULL))
		say_where(output, follow);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * mf-record with o's options, "-o FILE" (by default mf-NAME.PID.mft.zst),
 * then flag and the n operands as they are ("--" PROGRAM ARGS..., or
 * "-p" PID); returns mf-record's exit status.
 */
static int record(struct record_options *o, const char *name, long pid,
		  const char *flag, char **operands, int n)
{
	static char default_name[PATH_MAX];
	if (!o->output) {
		if (snprintf(default_name, sizeof default_name, "mf-%s.%ld.mft.zst", name, pid) >=
		    (int)sizeof default_name)
			die("cannot name the capture of '%s': the name is too long", name);
		o->output = default_name;
	}
	stage_arg(&o->rec, "-o");
	stage_arg(&o->rec, o->output);
	stage_arg(&o->rec, flag);
	for (int i = 0; i < n; i++)
		stage_arg(&o->rec, operands[i]);
	return record_with(o->rec.argv, o->output, o->follow);
}

int cmd_run(int argc, char **argv)
{
	static const struct record_verb run = {
		usage_run, help_run, "+:fho:", { "follow-fork", no_argument, NULL, 'F' },
	};
	struct record_options o = { 0 };
	parse_record_options(argc, argv, &run, &o);
	if (optind >= argc)
		usage_error(usage_run, "expected a PROGRAM to run");
	/* PROGRAM's own options are its business: after "--", as they are. */
	return record(&o, base_name(argv[optind]), (long)getpid(), "--", argv + optind, argc - optind);
}

/* The process's name (its /proc/PID/comm), or "process" when it cannot be read. */
static void process_name(const char *pid, char *name, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%s/comm", pid);
	FILE *f = fopen(path, "re");
	if (!f || !fgets(name, (int)size, f) || !*name || *name == '\n')
		snprintf(name, size, "process");
	name[strcspn(name, "\n/")] = '\0';
	if (f)
		fclose(f);
}

int cmd_attach(int argc, char **argv)
{
	static const struct record_verb attach = {
		usage_attach, help_attach, ":fho:", { "duration", required_argument, NULL, 'd' },
	};
	struct record_options o = { 0 };
	parse_record_options(argc, argv, &attach, &o);
	if (argc - optind != 1)
		usage_error(usage_attach, argc - optind ? "expected one PID, found %d" : "expected a PID",
			    argc - optind);
	uint64_t pid = option_u64(usage_attach, "PID", argv[optind], 1, INT_MAX);
	char name[64];
	process_name(argv[optind], name, sizeof name);
	return record(&o, name, (long)pid, "-p", argv + optind, 1);
}
