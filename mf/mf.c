/*
 * mf - the front door, in memray's words: "mf run" records a program and
 * "mf flamegraph" turns a capture into an HTML report, by running the
 * filters (mf-record, mf-peak, mf-leaks, mf-fold, mf-invert, mf-temporal,
 * mf-html) found in the directory of mf's own executable.
 *
 * mf flamegraph runs its stages as a pipeline (fork and exec, connected by
 * pipes); mf-html writes the report into memory (a memfd), which mf copies
 * to the output (lib/output.h: a temporary file renamed into place, or a
 * device written in place) only when every stage succeeded, so a failure
 * never leaves a half-written report behind, not even in a FIFO.  Each
 * stage's standard error is kept aside and shown once the pipeline is
 * done, up to the stage that failed: the stages after it only complain of
 * the input it did not give them, which would bury its one line.
 *
 * mf flamegraph passes SIGHUP, SIGINT and SIGTERM on to its stages, then
 * removes its temporary file and dies of the signal.  mf run and mf attach
 * pass SIGHUP and SIGTERM on to mf-record, which finishes the capture of
 * the program it stops (or, attached, lets go of), and wait for it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "memrec.h"
#include "num.h"
#include "output.h"

static const char usage_main[] =
	"usage: mf run [mf-record options] PROGRAM [ARGS...]\n"
	"       mf flamegraph [options] CAPTURE...\n"
	"       mf attach [mf-record options] PID\n"
	"       mf --help | mf run --help | mf attach --help | mf flamegraph --help\n";

static const char usage_run[] =
	"usage: mf run [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]\n";

static const char usage_attach[] =
	"usage: mf attach [-f] [-o FILE] [--duration S] [--interval MS] [--aggregate] PID\n";

static const char usage_flamegraph[] =
	"usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |\n"
	"                     --temporary-allocations] [--split-threads] [--split-processes]\n"
	"                     [--inverted] [--max-memory-records N] [--temporal | --diff BASE_CAPTURE |\n"
	"                     --diff-at A,B] CAPTURE...\n";

static const char help_main[] =
	"mf records every heap allocation of a program and draws memory flame graphs.\n"
	"\n"
	"  run          run PROGRAM under mf-record; the capture goes to\n"
	"               mf-PROGRAM.PID.mft.zst (PID: mf's own process id) unless -o\n"
	"  attach       record the running process PID with mf-record -p until it\n"
	"               ends or ^C; the capture goes to mf-NAME.PID.mft.zst unless -o\n"
	"  flamegraph   write an HTML flame graph of a capture: peak memory by\n"
	"               default, or leaks, or temporary allocations\n"
	"\n"
	"Each verb is a pipeline of the mf-* filters in mf's directory; see\n"
	"'mf run --help', 'mf attach --help' and 'mf flamegraph --help'.\n";

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
	"      --follow-fork   record every process PROGRAM starts, each in its own\n"
	"                      capture: FILE with .PID before .mft.gz (mf-record(1))\n"
	"\n"
	"PROGRAM runs with PYTHONMALLOC=malloc unless PYTHONMALLOC is set, so that\n"
	"every object of a Python program is an allocation of its own.\n"
	"\n"
	"Exits with mf-record's status: the program's, or 128 + N if signal N killed it.\n";

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

static const char help_flamegraph[] =
	"Write an HTML flame graph of CAPTURE to OUTPUT, by default\n"
	"mf-flamegraph-CAPTURE.html in the current directory (CAPTURE's base name\n"
	"without .gz or .zst).\n"
	"\n"
	"  -o, --output OUTPUT        write the report to OUTPUT\n"
	"  -f, --force                overwrite OUTPUT if it exists\n"
	"      --leaks                memory not freed when recording ended\n"
	"      --temporary-allocation-threshold N\n"
	"                             allocations freed before N other allocations\n"
	"      --temporary-allocations   the same with N = 1\n"
	"      --split-threads        one graph per thread, with a thread filter\n"
	"      --split-processes      with several CAPTUREs (mf run --follow-fork),\n"
	"                             a frame per process at the root\n"
	"      --inverted             allocating functions at the root\n"
	"      --max-memory-records N keep at most N (" MEMORY_RECORDS_RANGE ") points of the\n"
	"                             memory chart, each the highest of its run\n"
	"      --temporal             choose the time range in the report\n"
	"      --diff BASE_CAPTURE    what changed from BASE_CAPTURE to CAPTURE\n"
	"      --diff-at A,B          what changed in CAPTURE from A to B ms (peak only)\n"
	"\n"
	"Several CAPTUREs, the processes of one mf run --follow-fork, are summed\n"
	"(not with --temporal): mf flamegraph --leaks cap.mft.gz cap.*.mft.gz\n"
	"\n"
	"Pipeline: mf-peak, mf-leaks or mf-fold --temporary=N (--temporal:\n"
	"mf-temporal [--leaks]), then mf-invert with --inverted, then mf-html.\n"
	"--max-memory-records goes to the reducer, or with --temporal to mf-html.\n"
	"--diff: the reducer on both captures, then mf-diff BASE NEW, mf-invert with\n"
	"--inverted, mf-html; --diff-at: mf-peak --at A and --at B on CAPTURE.\n";

static char bindir[PATH_MAX];

/* The directory of /proc/self/exe: where the sibling mf-* programs are. */
static void find_bindir(void)
{
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
	if (n < 0)
		die_errno("cannot read '/proc/self/exe'");
	bindir[n] = '\0';
	char *slash = strrchr(bindir, '/');
	if (slash)
		*slash = '\0';
}

/*
 * "DIR/NAME" for a sibling program; NULL when it is not there.  The paths
 * live as long as mf (a pipeline has at most four stages), so no exit path
 * has to free them.
 */
static char *sibling(const char *name)
{
	static char paths[8][PATH_MAX];
	static int used;
	if (used == (int)(sizeof paths / sizeof paths[0]))
		die("internal error: too many programs to run");
	char *path = paths[used];
	if (snprintf(path, PATH_MAX, "%s/%s", bindir, name) >= PATH_MAX)
		die("cannot find '%s/%s': the path is too long", bindir, name);
	if (access(path, X_OK) != 0)
		return NULL;
	used++;
	return path;
}

static char *need_sibling(const char *name)
{
	char *path = sibling(name);
	if (!path)
		die("cannot find '%s/%s': mf runs the mf-* programs installed beside it", bindir, name);
	return path;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* ------------------------------------------------------------ pipelines */

struct stage {
	char **argv;	/* NULL-terminated; grows (several captures); the caller frees it */
	size_t cap;
	int argc;
	int status;
	int err;	/* a memfd holding what it wrote to standard error */
};

static void stage_arg(struct stage *s, const char *arg)
{
	s->argv = xgrow(s->argv, &s->cap, (size_t)s->argc + 2, sizeof *s->argv);
	s->argv[s->argc++] = (char *)arg;
	s->argv[s->argc] = NULL;
}

/* The programs mf started and has not waited for: a signal goes to them too. */
static volatile pid_t children[4];
/* mf run: mf-record finishes its capture on SIGTERM, and mf waits for it. */
static volatile sig_atomic_t outlive_children;

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

static void pass_signals_on(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], pass_on_and_die);
}

/* fork(), the child's pid noted in children[slot] before a signal can miss it. */
static pid_t start_child(int slot)
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

static void wait_child(int slot, int *status, const char *name)
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
static void run_pipeline(struct stage *st, int n, int report)
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
static int failed_stage(const struct stage *st, int n)
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

static void describe_failure(const struct stage *s)
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
static int show_messages(const struct stage *st, int last)
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

/* Copy the report mf-html wrote into the memfd to the output. */
static void copy_report(int report, struct output *out)
{
	char block[1 << 16];
	ssize_t n;
	for (off_t at = 0; (n = pread(report, block, sizeof block, at)) != 0; at += n) {
		if (n < 0)
			die_errno("cannot read the report back");
		output_write(out, block, (size_t)n);
	}
}

/* ----------------------------------------------------------- flamegraph */

struct fg_options {
	const char *output;
	int force, leaks, temporary, split, inverted, temporal;
	const char *threshold;		/* N of --temporary-allocation-threshold */
	const char *max_records;
	int split_processes;
	char **captures;		/* several: the processes of mf-record --follow-fork */
	int ncaptures;
	const char *diff_base;		/* --diff BASE_CAPTURE */
	const char *diff_at[2];		/* --diff-at A,B: the two times, as given */
};

static const char *default_report_name(const char *capture, int diff)
{
	static char name[PATH_MAX];
	const char *base = base_name(capture);
	int n = (int)strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
		n -= 3;
	else if (n > 4 && strcmp(base + n - 4, ".zst") == 0)
		n -= 4;
	if (snprintf(name, sizeof name, "mf-flamegraph-%s%.*s.html", diff ? "diff-" : "", n,
		     base) >= (int)sizeof name)
		die("cannot name the report of '%s': the name is too long", capture);
	return name;
}

/* --diff-at A,B: two times in ms, kept as the text mf-peak --at takes. */
static void parse_diff_at(const char *arg, struct fg_options *o)
{
	static char times[2][24];
	const char *comma = strchr(arg, ',');
	uint64_t t;
	for (int i = 0; i < 2; i++) {
		const char *p = i ? comma + 1 : arg;
		size_t n = i ? strlen(p) : comma ? (size_t)(comma - arg) : 0;
		if (!comma || n >= sizeof times[i] || parse_u64n(p, n, &t) || t > INT64_MAX)
			usage_error(usage_flamegraph, "--diff-at takes two times A,B in milliseconds from 0 to %lld, not '%s'",
				    (long long)INT64_MAX, printable(arg, 40));
		memcpy(times[i], p, n);
		times[i][n] = '\0';
		o->diff_at[i] = times[i];
	}
}

/* What --diff and --diff-at cannot be combined with. */
static void check_diff_options(const struct fg_options *o, const char *capture)
{
	if (o->diff_base && o->diff_at[0])
		usage_error(usage_flamegraph, "--diff and --diff-at cannot be combined");
	if ((o->diff_base || o->diff_at[0]) && o->temporal)
		usage_error(usage_flamegraph, "--temporal cannot be combined with --diff or --diff-at");
	if (o->diff_at[0] && (o->leaks || o->temporary))
		usage_error(usage_flamegraph, "--diff-at compares the live allocations at two moments: it cannot be combined with --leaks or --temporary-allocations");
	if (o->diff_at[0] && strcmp(capture, "-") == 0)
		usage_error(usage_flamegraph, "--diff-at reads CAPTURE twice: it cannot be standard input");
	if (o->diff_base && strcmp(o->diff_base, "-") == 0 && strcmp(capture, "-") == 0)
		usage_error(usage_flamegraph, "BASE_CAPTURE and CAPTURE cannot both be standard input");
}

static void parse_flamegraph(int argc, char **argv, struct fg_options *o)
{
	enum { O_LEAKS = 256, O_THRESHOLD, O_TEMPORARY, O_SPLIT, O_SPLITP, O_INVERTED, O_MAXREC, O_TEMPORAL,
	       O_DIFF, O_DIFF_AT };
	static const struct option longopts[] = {
		{ "diff", required_argument, NULL, O_DIFF },
		{ "diff-at", required_argument, NULL, O_DIFF_AT },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "inverted", no_argument, NULL, O_INVERTED },
		{ "leaks", no_argument, NULL, O_LEAKS },
		{ "max-memory-records", required_argument, NULL, O_MAXREC },
		{ "output", required_argument, NULL, 'o' },
		{ "split-processes", no_argument, NULL, O_SPLITP },
		{ "split-threads", no_argument, NULL, O_SPLIT },
		{ "temporal", no_argument, NULL, O_TEMPORAL },
		{ "temporary-allocation-threshold", required_argument, NULL, O_THRESHOLD },
		{ "temporary-allocations", no_argument, NULL, O_TEMPORARY },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":fho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->force = 1; break;
		case 'h': output_help(usage_flamegraph, "\n", help_flamegraph, NULL);
		case 'o': o->output = optarg; break;
		case O_DIFF: o->diff_base = optarg; break;
		case O_DIFF_AT: parse_diff_at(optarg, o); break;
		case O_INVERTED: o->inverted = 1; break;
		case O_LEAKS: o->leaks = 1; break;
		case O_MAXREC:
			/* Checked here, with the parser of every stage that takes it. */
			memory_records_option(usage_flamegraph, optarg);
			o->max_records = optarg;
			break;
		case O_SPLIT: o->split = 1; break;
		case O_SPLITP: o->split_processes = 1; break;
		case O_TEMPORAL: o->temporal = 1; break;
		case O_THRESHOLD:
			option_u64(usage_flamegraph, "--temporary-allocation-threshold", optarg, 0, UINT32_MAX);
			o->threshold = optarg;
			o->temporary = 1;
			break;
		case O_TEMPORARY:
			o->threshold = "1";
			o->temporary = 1;
			break;
		default: bad_option(usage_flamegraph, c, argv);
		}
	}
	if (o->leaks && o->temporary)
		usage_error(usage_flamegraph, "--leaks and --temporary-allocations cannot be combined");
	if (o->temporal && o->temporary)
		usage_error(usage_flamegraph, "--temporal cannot show temporary allocations");
	if (argc - optind < 1)
		usage_error(usage_flamegraph, "expected a CAPTURE");
	if (argc - optind > 1 && o->temporal)
		usage_error(usage_flamegraph, "--temporal takes one capture, not one per process");
	if (argc - optind > 1 && (o->diff_base || o->diff_at[0]))
		usage_error(usage_flamegraph, "--diff and --diff-at take one CAPTURE, found %d", argc - optind);
	if (o->split_processes && argc - optind == 1)
		usage_error(usage_flamegraph, "--split-processes needs the captures of several processes");
	o->captures = argv + optind;
	o->ncaptures = argc - optind;
	check_diff_options(o, argv[optind]);
}

/* The reducer of the options on capture, with --at at when not NULL. */
static void reducer_stage(const struct fg_options *o, const char *capture, const char *at,
			  struct stage *s)
{
	static char temporary_arg[64];
	int n = 0;
	struct stage *st = s;
	if (o->temporal) {
		char *path = sibling("mf-temporal");
		if (!path)
			die("--temporal needs mf-temporal, which is not installed beside mf in '%s'", bindir);
		stage_arg(&st[n], path);
		if (o->leaks)
			stage_arg(&st[n], "--leaks");
	} else if (o->temporary) {
		stage_arg(&st[n], need_sibling("mf-fold"));
		snprintf(temporary_arg, sizeof temporary_arg, "--temporary=%s", o->threshold);
		stage_arg(&st[n], temporary_arg);
	} else {
		stage_arg(&st[n], need_sibling(o->leaks ? "mf-leaks" : "mf-peak"));
	}
	if (at) {
		stage_arg(&st[n], "--at");
		stage_arg(&st[n], at);
	}
	if (o->split)
		stage_arg(&st[n], "--split-threads");
	if (o->split_processes)
		stage_arg(&st[n], "--split-processes");
	if (o->max_records && !o->temporal) {
		stage_arg(&st[n], "--max-memory-records");
		stage_arg(&st[n], o->max_records);
	}
	stage_arg(&st[n], "--");
	stage_arg(&st[n], capture);
	/* The other processes' captures, summed with it (not for a side of a diff: one capture). */
	for (int i = 1; !at && i < o->ncaptures; i++)
		stage_arg(&st[n], o->captures[i]);
}

/*
 * The stages for the options: reducer [| mf-invert] | mf-html; with a diff
 * (base and new not NULL: the reductions of both sides, already made),
 * mf-diff base new [| mf-invert] | mf-html.
 */
static int flamegraph_stages(const struct fg_options *o, const char *capture,
			     const char *base, const char *new, struct stage *st)
{
	int n = 0;
	memset(st, 0, 3 * sizeof *st);
	if (base) {
		stage_arg(&st[n], need_sibling("mf-diff"));
		stage_arg(&st[n], "--");
		stage_arg(&st[n], base);
		stage_arg(&st[n], new);
	} else {
		reducer_stage(o, capture, NULL, &st[n]);
	}
	n++;
	if (o->inverted) {
		stage_arg(&st[n], need_sibling("mf-invert"));
		n++;
	}
	stage_arg(&st[n], need_sibling("mf-html"));
	/* mf-temporal keeps every slice (a window needs them): the page caps the chart. */
	if (o->max_records && o->temporal) {
		stage_arg(&st[n], "--max-memory-records");
		stage_arg(&st[n], o->max_records);
	}
	return n + 1;
}

/*
 * One side of a diff: the reducer on capture (with --at at if not NULL)
 * into a memfd, named "/proc/PID/fd/N" for mf-diff (the memfd is not
 * inherited; that path opens it anew).  On failure, the reducer's messages
 * and exit 1, the output left as it was.
 */
static const char *reduce_side(const struct fg_options *o, const char *capture, const char *at,
			       struct output *out)
{
	static char names[2][64];
	static int used;
	struct stage st;
	memset(&st, 0, sizeof st);
	reducer_stage(o, capture, at, &st);
	int fd = memfd_create("mf diff side", MFD_CLOEXEC);
	if (fd < 0)
		die_errno("cannot keep the reduction of '%s'", capture);
	run_pipeline(&st, 1, fd);
	if (failed_stage(&st, 1) >= 0) {
		output_discard(out);
		if (!show_messages(&st, 0) || WIFSIGNALED(st.status))
			describe_failure(&st);
		mf_exit(1);
	}
	show_messages(&st, 0);
	free(st.argv);
	char *name = names[used++ & 1];
	snprintf(name, sizeof names[0], "/proc/%ld/fd/%d", (long)getpid(), fd);
	return name;
}

static int cmd_flamegraph(int argc, char **argv)
{
	struct fg_options o = { 0 };
	parse_flamegraph(argc, argv, &o);
	const char *capture = argv[optind];
	int diff = o.diff_base || o.diff_at[0];
	if (strcmp(capture, "-") == 0 && !o.output)
		usage_error(usage_flamegraph, "a capture on standard input needs -o OUTPUT");
	const char *path = o.output ? o.output : default_report_name(capture, diff);
	struct output out;
	/* Refuse an existing file before anything runs. */
	output_open(&out, path, o.force);

	const char *base = NULL, *new = NULL;
	if (diff) {
		base = reduce_side(&o, o.diff_base ? o.diff_base : capture, o.diff_at[0], &out);
		new = reduce_side(&o, capture, o.diff_at[1], &out);
	}
	struct stage st[3];
	int n = flamegraph_stages(&o, capture, base, new, st);
	int report = memfd_create("mf report", MFD_CLOEXEC);
	if (report < 0)
		die_errno("cannot keep the report of '%s'", capture);
	run_pipeline(st, n, report);
	int bad = failed_stage(st, n);
	if (bad >= 0) {
		output_discard(&out);
		if (!show_messages(st, bad) || WIFSIGNALED(st[bad].status))
			describe_failure(&st[bad]);
		mf_exit(1);
	}
	show_messages(st, n - 1);
	copy_report(report, &out);
	output_close(&out);
	close(report);
	for (int i = 0; i < n; i++)
		free(st[i].argv);
	if (strcmp(out.name, "standard output") != 0)
		fprintf(stderr, "mf: wrote %s\n", out.name);
	return 0;
}

/* ------------------------------------------------------------------ run */

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

static int record_with(char **args, const char *output, int follow);

/*
 * The glob of the other captures mf-record --follow-fork writes beside
 * output: ".*" before a final ".mft", ".mft.gz" or ".mft.zst", or at the end
 * (mf-record(1)).  Static: mf prints it and exits.
 */
static const char *follow_pattern(const char *output)
{
	static char pattern[PATH_MAX + 8];
	size_t n = strlen(output), stem = n;
	if (n >= 7 && strcmp(output + n - 7, ".mft.gz") == 0)
		stem = n - 7;
	else if (n >= 8 && strcmp(output + n - 8, ".mft.zst") == 0)
		stem = n - 8;
	else if (n >= 4 && strcmp(output + n - 4, ".mft") == 0)
		stem = n - 4;
	snprintf(pattern, sizeof pattern, "%.*s.*%s", (int)stem, output, output + stem);
	return pattern;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, 'a' },
		{ "follow-fork", no_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct stage rec = { 0 };
	const char *output = NULL;
	int c, follow = 0;

	stage_arg(&rec, need_sibling("mf-record"));
	optind = 1;
	/* '+': options stop at PROGRAM, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+:fho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': stage_arg(&rec, "--aggregate"); break;
		case 'f': stage_arg(&rec, "-f"); break;
		case 'F': stage_arg(&rec, "--follow-fork"); follow = 1; break;
		case 'h': output_help(usage_run, "\n", help_run, NULL);
		case 'i': stage_arg(&rec, "--interval"); stage_arg(&rec, optarg); break;
		case 'o': output = optarg; break;
		default: bad_option(usage_run, c, argv);
		}
	}
	if (optind >= argc)
		usage_error(usage_run, "expected a PROGRAM to run");
	if (!output) {
		static char name[PATH_MAX];
		if (snprintf(name, sizeof name, "mf-%s.%ld.mft.zst", base_name(argv[optind]),
			     (long)getpid()) >= (int)sizeof name)
			die("cannot name the capture of '%s': the name is too long", argv[optind]);
		output = name;
	}
	stage_arg(&rec, "-o");
	stage_arg(&rec, output);
	stage_arg(&rec, "--");

	/* mf-record's argv: its options, then PROGRAM ARGS... as they are. */
	char **args = xcalloc((size_t)(rec.argc + argc - optind + 1), sizeof *args);
	memcpy(args, rec.argv, (size_t)rec.argc * sizeof *args);
	memcpy(args + rec.argc, argv + optind, (size_t)(argc - optind) * sizeof *args);
	free(rec.argv);
	return record_with(args, output, follow);
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
	outlive_children = 1;
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
	if (wrote_capture(output, existed ? &before : NULL) && follow)
		fprintf(stderr, "mf: wrote %s and the captures of the processes it started (%s); make a report with: mf flamegraph %s %s\n",
			output, follow_pattern(output), output, follow_pattern(output));
	else if (wrote_capture(output, existed ? &before : NULL))
		fprintf(stderr, "mf: wrote %s; make a report with: mf flamegraph %s\n", output, output);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ---------------------------------------------------------------- attach */

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

static int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct stage rec = { 0 };
	const char *output = NULL;
	int c;

	stage_arg(&rec, need_sibling("mf-record"));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":fho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': stage_arg(&rec, "--aggregate"); break;
		case 'd': stage_arg(&rec, "--duration"); stage_arg(&rec, optarg); break;
		case 'f': stage_arg(&rec, "-f"); break;
		case 'h': output_help(usage_attach, "\n", help_attach, NULL);
		case 'i': stage_arg(&rec, "--interval"); stage_arg(&rec, optarg); break;
		case 'o': output = optarg; break;
		default: bad_option(usage_attach, c, argv);
		}
	}
	if (argc - optind != 1)
		usage_error(usage_attach, argc - optind ? "expected one PID, found %d" : "expected a PID",
			    argc - optind);
	const char *pid = argv[optind];
	option_u64(usage_attach, "PID", pid, 1, INT_MAX);
	if (!output) {
		static char name[PATH_MAX];
		char comm[64];
		process_name(pid, comm, sizeof comm);
		snprintf(name, sizeof name, "mf-%s.%s.mft.zst", comm, pid);
		output = name;
	}
	stage_arg(&rec, "-o");
	stage_arg(&rec, output);
	stage_arg(&rec, "-p");
	stage_arg(&rec, pid);
	char **args = xcalloc((size_t)rec.argc + 1, sizeof *args);
	memcpy(args, rec.argv, (size_t)rec.argc * sizeof *args);
	free(rec.argv);
	return record_with(args, output, 0);
}

int main(int argc, char **argv)
{
	set_progname("mf");
	if (argc < 2)
		usage_error(usage_main, "expected a command: run, attach or flamegraph");
	const char *verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0)
		output_help(usage_main, "\n", help_main, NULL);
	find_bindir();
	pass_signals_on();
	if (strcmp(verb, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(verb, "flamegraph") == 0)
		return cmd_flamegraph(argc - 1, argv + 1);
	if (strcmp(verb, "attach") == 0)
		return cmd_attach(argc - 1, argv + 1);
	usage_error(usage_main, "unknown command '%s'", verb);
}
