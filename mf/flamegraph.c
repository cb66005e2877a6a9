/*
 * flamegraph.c - mf flamegraph: the reducer the options choose (mf-peak,
 * mf-leaks, mf-fold --temporary=N or mf-temporal), mf-invert with
 * --inverted, then mf-html; with --diff or --diff-at, the reducer on each
 * side first, then mf-diff.
 *
 * mf-html writes the report into memory (a memfd), which mf copies to the
 * output (lib/output.h: a temporary file renamed into place, or a device
 * written in place) only when every stage succeeded, so a failure never
 * leaves a half-written report behind, not even in a FIFO.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "memrec.h"
#include "mf.h"
#include "num.h"
#include "output.h"

static const char usage_flamegraph[] =
	"usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |\n"
	"                     --temporary-allocations] [--split-threads] [--split-processes]\n"
	"                     [--inverted] [--max-memory-records N] [--temporal | --diff BASE_CAPTURE |\n"
	"                     --diff-at A,B] CAPTURE...\n";

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

/* mf-flamegraph-[diff-]CAPTURE.html: CAPTURE's base name, not compressed (lib/capture.h). */
static const char *default_report_name(const char *capture, int diff)
{
	static char name[PATH_MAX];
	const char *base = base_name(capture);
	if (snprintf(name, sizeof name, "mf-flamegraph-%s%.*s.html", diff ? "diff-" : "",
		     (int)capture_unpacked(base), base) >= (int)sizeof name)
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
		case O_DIFF:
			/* getopt takes "--diff -o r.html" as a base named "-o": say so at once. */
			if (optarg[0] == '-' && optarg[1] != '\0')
				usage_error(usage_flamegraph, "--diff takes BASE_CAPTURE right after it, not the option '%s'", optarg);
			o->diff_base = optarg;
			break;
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

int cmd_flamegraph(int argc, char **argv)
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

