/*
 * mf - the front door, in memray's words: "mf run" records a program and
 * "mf flamegraph" turns a capture into an HTML report, by running the
 * filters (mf-record, mf-peak, mf-leaks, mf-fold, mf-invert, mf-temporal,
 * mf-html) found in the directory of mf's own executable.
 *
 * mf flamegraph runs its stages as a pipeline (fork and exec, connected by
 * pipes); mf-html writes a temporary file beside the output, which is
 * renamed into place only when every stage succeeded, so a failure never
 * leaves a half-written report behind.  Each stage's standard error is
 * kept aside and shown once the pipeline is done, up to the stage that
 * failed: the stages after it only complain of the input it did not give
 * them, which would bury its one line.
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
#include "num.h"

static const char usage_main[] =
	"usage: mf run [mf-record options] PROGRAM [ARGS...]\n"
	"       mf flamegraph [options] CAPTURE\n"
	"       mf --help | mf run --help | mf flamegraph --help\n";

static const char usage_run[] =
	"usage: mf run [-f] [-o FILE] [--interval MS] [--aggregate] [--] PROGRAM [ARGS...]\n";

static const char usage_flamegraph[] =
	"usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |\n"
	"                     --temporary-allocations] [--split-threads] [--inverted]\n"
	"                     [--max-memory-records N] [--temporal] CAPTURE\n";

static const char help_main[] =
	"mf records every heap allocation of a program and draws memory flame graphs.\n"
	"\n"
	"  run          run PROGRAM under mf-record; the capture goes to\n"
	"               mf-PROGRAM.PID.mft.gz (PID: mf's own process id) unless -o\n"
	"  flamegraph   write an HTML flame graph of a capture: peak memory by\n"
	"               default, or leaks, or temporary allocations\n"
	"\n"
	"Each verb is a pipeline of the mf-* filters in mf's directory; see\n"
	"'mf run --help' and 'mf flamegraph --help'.\n";

static const char help_run[] =
	"Run PROGRAM with mf-record and write its capture to FILE, by default\n"
	"mf-PROGRAM.PID.mft.gz in the current directory, where PROGRAM is the\n"
	"program's base name and PID the process id of mf (and so of mf-record,\n"
	"which mf runs as its child).  Prints where it wrote when done.\n"
	"\n"
	"  -o, --output FILE   write the capture to FILE\n"
	"  -f, --force         overwrite FILE if it exists\n"
	"      --interval MS   a memory record every MS milliseconds (default 10)\n"
	"      --aggregate     keep only what was live at the peak and at the end\n"
	"\n"
	"Exits with mf-record's status: the program's, or 128 + N if signal N killed it.\n";

static const char help_flamegraph[] =
	"Write an HTML flame graph of CAPTURE to OUTPUT, by default\n"
	"mf-flamegraph-CAPTURE.html in the current directory (CAPTURE's base name\n"
	"without .gz).\n"
	"\n"
	"  -o, --output OUTPUT        write the report to OUTPUT\n"
	"  -f, --force                overwrite OUTPUT if it exists\n"
	"      --leaks                memory not freed when recording ended\n"
	"      --temporary-allocation-threshold N\n"
	"                             allocations freed before N other allocations\n"
	"      --temporary-allocations   the same with N = 1\n"
	"      --split-threads        one graph per thread, with a thread filter\n"
	"      --inverted             allocating functions at the root\n"
	"      --max-memory-records N keep at most N points of the memory chart\n"
	"      --temporal             choose the time range in the report\n"
	"\n"
	"Pipeline: mf-peak, mf-leaks or mf-fold --temporary=N (--temporal:\n"
	"mf-temporal [--leaks]), then mf-invert with --inverted, then mf-html.\n"
	"--max-memory-records goes to the reducer, or with --temporal to mf-html.\n";

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
	char *argv[16];
	int argc;
	pid_t pid;
	int status;
	int err;	/* a memfd holding what it wrote to standard error */
};

static void stage_arg(struct stage *s, const char *arg)
{
	if (s->argc >= (int)(sizeof s->argv / sizeof s->argv[0]) - 1)
		die("too many arguments for '%s'", s->argv[0]);
	s->argv[s->argc++] = (char *)arg;
	s->argv[s->argc] = NULL;
}

/* The temporary report, removed if mf is interrupted. */
static volatile sig_atomic_t have_tmp;
static char tmp_path[PATH_MAX];

static void remove_tmp_and_reraise(int sig)
{
	if (have_tmp)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Start every stage, stdout of each into stdin of the next; wait for all. */
static void run_pipeline(struct stage *st, int n)
{
	int in = -1;
	for (int i = 0; i < n; i++) {
		int fds[2] = { -1, -1 };
		if (i + 1 < n && pipe(fds) != 0)
			die_errno("cannot create a pipe");
		st[i].err = memfd_create("mf stage stderr", MFD_CLOEXEC);
		if (st[i].err < 0)
			die_errno("cannot keep the messages of '%s'", st[i].argv[0]);
		pid_t pid = fork();
		if (pid < 0)
			die_errno("cannot start '%s'", st[i].argv[0]);
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			if (in >= 0) {
				dup2(in, 0);
				close(in);
			}
			if (fds[1] >= 0) {
				dup2(fds[1], 1);
				close(fds[1]);
				close(fds[0]);
			}
			dup2(st[i].err, 2);
			execv(st[i].argv[0], st[i].argv);
			fprintf(stderr, "mf: cannot run '%s': %s\n", st[i].argv[0], strerror(errno));
			_exit(127);
		}
		st[i].pid = pid;
		if (in >= 0)
			close(in);
		if (fds[1] >= 0)
			close(fds[1]);
		in = fds[0];
	}
	for (int i = 0; i < n; i++)
		while (waitpid(st[i].pid, &st[i].status, 0) < 0)
			if (errno != EINTR)
				die_errno("cannot wait for '%s'", st[i].argv[0]);
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

/* A name beside out that keeps its suffix: DIR/.mf-XXXXXX-BASE. */
static void make_tmp(const char *out)
{
	const char *base = base_name(out);
	int dirlen = (int)(base - out);
	int n = snprintf(tmp_path, sizeof tmp_path, "%.*s.mf-XXXXXX-%s", dirlen, out, base);
	if (n < 0 || (size_t)n >= sizeof tmp_path)
		die("output name '%s' is too long", out);
	int fd = mkstemps(tmp_path, (int)strlen(base) + 1);
	if (fd < 0)
		die_errno("cannot create a temporary file beside '%s'", out);
	close(fd);
	have_tmp = 1;
}

static void drop_tmp(void)
{
	if (have_tmp)
		unlink(tmp_path);
	have_tmp = 0;
}

/* Move the finished report into place; without force, never replace a file. */
static void install_output(const char *out, int force)
{
	if (force) {
		if (rename(tmp_path, out) != 0) {
			int e = errno;
			drop_tmp();
			errno = e;
			die_errno("cannot create '%s'", out);
		}
		have_tmp = 0;
		return;
	}
	if (link(tmp_path, out) != 0) {
		int e = errno;
		drop_tmp();
		if (e == EEXIST)
			die("'%s' already exists; use -f to overwrite it", out);
		errno = e;
		die_errno("cannot create '%s'", out);
	}
	drop_tmp();
}

/* ----------------------------------------------------------- flamegraph */

struct fg_options {
	const char *output;
	int force, leaks, temporary, split, inverted, temporal;
	const char *threshold;		/* N of --temporary-allocation-threshold */
	const char *max_records;
};

static const char *default_report_name(const char *capture)
{
	static char name[PATH_MAX];
	const char *base = base_name(capture);
	int n = (int)strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
		n -= 3;
	if (snprintf(name, sizeof name, "mf-flamegraph-%.*s.html", n, base) >= (int)sizeof name)
		die("cannot name the report of '%s': the name is too long", capture);
	return name;
}

static void parse_flamegraph(int argc, char **argv, struct fg_options *o)
{
	enum { O_LEAKS = 256, O_THRESHOLD, O_TEMPORARY, O_SPLIT, O_INVERTED, O_MAXREC, O_TEMPORAL };
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "inverted", no_argument, NULL, O_INVERTED },
		{ "leaks", no_argument, NULL, O_LEAKS },
		{ "max-memory-records", required_argument, NULL, O_MAXREC },
		{ "output", required_argument, NULL, 'o' },
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
		case 'h': fputs(usage_flamegraph, stdout); fputs("\n", stdout);
			  fputs(help_flamegraph, stdout); exit(0);
		case 'o': o->output = optarg; break;
		case O_INVERTED: o->inverted = 1; break;
		case O_LEAKS: o->leaks = 1; break;
		case O_MAXREC:
			/* The range every stage that takes it accepts. */
			option_u64(usage_flamegraph, "--max-memory-records", optarg, 1, 100000000);
			o->max_records = optarg;
			break;
		case O_SPLIT: o->split = 1; break;
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
		case ':':
			usage_error(usage_flamegraph, "option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_error(usage_flamegraph, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->leaks && o->temporary)
		usage_error(usage_flamegraph, "--leaks and --temporary-allocations cannot be combined");
	if (o->temporal && o->temporary)
		usage_error(usage_flamegraph, "--temporal cannot show temporary allocations");
	if (argc - optind != 1)
		usage_error(usage_flamegraph, argc - optind ? "expected one CAPTURE, found %d" :
			    "expected a CAPTURE", argc - optind);
}

/* The stages for the options: reducer [| mf-invert] | mf-html -o TMP. */
static int flamegraph_stages(const struct fg_options *o, const char *capture, struct stage *st)
{
	static char temporary_arg[64];
	int n = 0;
	memset(st, 0, 3 * sizeof *st);
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
	if (o->split)
		stage_arg(&st[n], "--split-threads");
	if (o->max_records && !o->temporal) {
		stage_arg(&st[n], "--max-memory-records");
		stage_arg(&st[n], o->max_records);
	}
	stage_arg(&st[n], "--");
	stage_arg(&st[n], capture);
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
	stage_arg(&st[n], "-f");
	stage_arg(&st[n], "-o");
	stage_arg(&st[n], tmp_path);
	return n + 1;
}

static int cmd_flamegraph(int argc, char **argv)
{
	struct fg_options o = { 0 };
	parse_flamegraph(argc, argv, &o);
	const char *capture = argv[optind];
	if (strcmp(capture, "-") == 0 && !o.output)
		usage_error(usage_flamegraph, "a capture on standard input needs -o OUTPUT");
	const char *out = o.output ? o.output : default_report_name(capture);
	if (!o.force && access(out, F_OK) == 0)
		die("'%s' already exists; use -f to overwrite it", out);

	struct stage st[3];
	/* Find every stage before creating anything; mf-html's -o names tmp_path. */
	int n = flamegraph_stages(&o, capture, st);
	make_tmp(out);
	run_pipeline(st, n);
	int bad = failed_stage(st, n);
	if (bad >= 0) {
		drop_tmp();
		if (!show_messages(st, bad) || WIFSIGNALED(st[bad].status))
			describe_failure(&st[bad]);
		mf_exit(1);
	}
	show_messages(st, n - 1);
	/* mkstemps made it 0600; a report gets the usual 0666 less the umask. */
	mode_t mask = umask(0);
	umask(mask);
	if (chmod(tmp_path, 0666 & ~mask) != 0) {
		drop_tmp();
		die_errno("cannot set the mode of '%s'", out);
	}
	install_output(out, o.force);
	fprintf(stderr, "mf: wrote %s\n", out);
	return 0;
}

/* ------------------------------------------------------------------ run */

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, 'a' },
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
	/* '+': options stop at PROGRAM, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+:fho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': stage_arg(&rec, "--aggregate"); break;
		case 'f': stage_arg(&rec, "-f"); break;
		case 'h': fputs(usage_run, stdout); fputs("\n", stdout); fputs(help_run, stdout); exit(0);
		case 'i': stage_arg(&rec, "--interval"); stage_arg(&rec, optarg); break;
		case 'o': output = optarg; break;
		case ':':
			usage_error(usage_run, "option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_error(usage_run, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error(usage_run, "expected a PROGRAM to run");
	if (!output) {
		static char name[PATH_MAX];
		if (snprintf(name, sizeof name, "mf-%s.%ld.mft.gz", base_name(argv[optind]),
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

	/* Like system(): the terminal's ^C is for the program, not for mf. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	pid_t pid = fork();
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
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("cannot wait for '%s'", args[0]);
	free(args);
	struct stat sb;
	if (stat(output, &sb) == 0 && sb.st_size > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 127))
		fprintf(stderr, "mf: wrote %s; make a report with: mf flamegraph %s\n", output, output);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	set_progname("mf");
	if (argc < 2)
		usage_error(usage_main, "expected a command: run or flamegraph");
	const char *verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
		fputs(usage_main, stdout);
		fputs("\n", stdout);
		fputs(help_main, stdout);
		return 0;
	}
	find_bindir();
	signal(SIGINT, remove_tmp_and_reraise);
	signal(SIGTERM, remove_tmp_and_reraise);
	signal(SIGHUP, remove_tmp_and_reraise);
	if (strcmp(verb, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(verb, "flamegraph") == 0)
		return cmd_flamegraph(argc - 1, argv + 1);
	usage_error(usage_main, "unknown command '%s'", verb);
}
