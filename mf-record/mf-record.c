/*
 * mf-record - run a program and record every heap allocation it makes.
 *
 * The program runs with the tracker (libmf-record.so) preloaded; the
 * tracker writes binary events into shared memory and this launcher turns
 * them into the text event stream of docs/FORMAT.md: it merges the threads'
 * events in their global order, symbolizes the stacks, and writes the
 * records.  It exits with the program's exit status (128 + N when a signal
 * N killed it).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "launcher/attach.h"
#include "launcher/launch.h"
#include "num.h"
#include "output.h"
#include "writer/writer.h"
#include "writer/writer_clock.h"
#include "writer/writer_rings.h"

static const char usage[] =
	"usage: mf-record [-f] [-o FILE] [--interval MS] [--aggregate] [--] PROGRAM [ARGS...]\n"
	"       mf-record -p PID [--duration S] [-f] [-o FILE] [--interval MS] [--aggregate]\n";

static const char help[] =
	"Run PROGRAM with ARGS and write the event stream of its allocations\n"
	"(docs/FORMAT.md) to FILE, or to standard output.\n"
	"\n"
	"With -p, record the running process PID instead, from now until it ends,\n"
	"S seconds have passed, or mf-record gets ^C (SIGINT), SIGTERM or SIGHUP:\n"
	"then the process goes on, no longer recorded.\n"
	"\n"
	"  -o, --output FILE   write to FILE (gzip-compressed if it ends in .gz,\n"
	"                      zstd-compressed if it ends in .zst)\n"
	"  -p, --pid PID       attach to the running process PID\n"
	"      --duration S    with -p: stop recording after S seconds\n"
	"  -f, --force         overwrite FILE if it exists\n"
	"      --interval MS   write a memory record every MS milliseconds (default 10)\n"
	"      --aggregate     write only what was live at the peak and at the end,\n"
	"                      per thread and stack, instead of every allocation\n"
	"  -h, --help          show this help\n"
	"\n"
	"When the stream goes to standard output, the program's\n"
	"standard output goes to standard error, so that the stream stays valid.\n"
	"mf-record exits with the program's exit status, or 128 + N if signal N\n"
	"killed it; with -p, 0 once the stream is written.\n"
	"\n"
	"MF_CLOCK=tsc or MF_CLOCK=counter chooses what orders the threads' events:\n"
	"the CPU's time stamp counter (the default where the kernel's clock uses it)\n"
	"or one counter shared by all threads (slower when they allocate at once).\n"
	"\n"
	"PROGRAM runs with PYTHONMALLOC=malloc unless PYTHONMALLOC is set, so that\n"
	"every object of a Python program is an allocation of its own.  The stacks\n"
	"of a program running CPython 3.11 to 3.13 hold its Python frames.\n";

struct options {
	const char *output;
	int force;
	int aggregate;
	uint64_t interval_ms;
	pid_t pid;		/* -p: attach to it */
	uint64_t duration_s;	/* --duration */
};

/* Parse the options; returns the index of PROGRAM in argv. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_INTERVAL = 256, OPT_AGGREGATE, OPT_DURATION };
	static const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, OPT_AGGREGATE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	/* "+": options end at PROGRAM, the rest are its; ":": report a missing argument. */
	while ((c = getopt_long(argc, argv, "+:fho:p:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->force = 1; break;
		case 'h': output_help(usage, help, NULL);
		case 'o': o->output = optarg; break;
		case 'p': o->pid = attach_parse_pid(usage, optarg); break;
		case OPT_AGGREGATE: o->aggregate = 1; break;
		case OPT_DURATION:
			o->duration_s = option_u64(usage, "--duration", optarg, 1, 31536000);
			break;
		case OPT_INTERVAL:
			o->interval_ms = option_u64(usage, "--interval", optarg, 1, 3600000);
			break;
		default: bad_option(usage, c, argv);
		}
	}
	if (o->pid && optind < argc)
		usage_error(usage, "-p records a running process: no PROGRAM with it");
	if (o->duration_s && !o->pid)
		usage_error(usage, "--duration goes with -p");
	if (!o->pid && optind >= argc)
		usage_error(usage, "no program to record");
	return optind;
}

/*
 * Run ahead of the program when the CPUs are shared: the launcher is one
 * thread against all of the program's, each of which sleeps when it finds
 * its ring full, so the launcher's share of the CPUs sets the program's
 * pace.  Five steps of nice when permitted (root,
 * or RLIMIT_NICE); only this thread, after the fork, so the program keeps
 * its own priority.  Without the permission nothing changes.
 */
static void keep_up_priority(void)
{
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		setpriority(PRIO_PROCESS, 0, nice - 5);
}

static void sleep_a_little(void)
{
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
}

/* Events of threads that found every slot taken, which the tracker could not record. */
static uint64_t dropped_events(void *shm)
{
	struct mf_shared_header *hdr = shm;
	return atomic_load_explicit(&hdr->dropped, memory_order_acquire);
}

/*
 * Read events until the program has ended and every event is written.
 * Returns the program's wait status; *end_ns is when it was seen ending.
 */
static int record(pid_t pid, uint64_t interval_ms, struct rings *rings, struct writer *w,
		  uint64_t *end_ns)
{
	enum { BUDGET = 1 << 13 };	/* events between two drains: well under a ring of them */
	int status = 0, ended = 0;
	uint64_t next_rss_ns = 0;
	for (;;) {
		if (!ended && launch_ended(pid, &status, end_ns)) {
			ended = 1;
			writer_process_gone(w);
		}
		/* Sample RSS while the process lives, even if no m record is due yet. */
		uint64_t now = monotonic_ns();
		if (!ended && now >= next_rss_ns) {
			writer_sample_rss(w);
			next_rss_ns = now + interval_ms * 1000000;
		}
		/* Drain after learning the program ended: then nothing is left behind. */
		size_t taken = rings_drain(rings);
		size_t done = rings_process(rings, BUDGET, ended);
		if (ended && !rings_pending(rings))
			return status;
		if (taken == 0 && done < BUDGET) {
			if (!rings_pending(rings))
				writer_idle(w, now);
			sleep_a_little();
		}
	}
}

int main(int argc, char **argv)
{
	struct options o = { .interval_ms = 10 };
	set_progname(argv[0]);
	char **command = argv + parse_options(argc, argv, &o);
	if (o.pid) {
		struct attach_options ao = { .pid = o.pid, .output = o.output, .force = o.force,
			.aggregate = o.aggregate, .interval_ms = o.interval_ms, .duration_s = o.duration_s };
		return attach_record(&ao);
	}
	char *program = launch_resolve(command[0]);
	launch_check(program, command[0]);
	char *shim = launch_find_shim();
	enum mf_clock clock = clock_choose();

	int shm_fd;
	uint64_t start_ns = monotonic_ns(), start_ms = realtime_ms();
	/* First: a capture that cannot start must leave no empty file behind. */
	void *shm = launch_shared_memory(&shm_fd, start_ns, clock);
	struct output out;
	int to_stdout = !o.output || !strcmp(o.output, "-");
	output_open(&out, o.output, o.force);
	output_keep_partial(&out);	/* a capture cut short is still worth reading */
	pid_t pid = launch_start(program, command, shim, shm_fd, to_stdout);
	close(shm_fd);
	keep_up_priority();
	struct writer_options wo = { .aggregate = o.aggregate, .interval_ms = o.interval_ms,
		.start_ns = start_ns, .start_ms = start_ms, .pid = pid, .argv = command };
	struct writer *w = writer_new(&out, &wo);
	struct rings *rings = rings_new(shm, w);

	uint64_t end_ns;
	int status = record(pid, o.interval_ms, rings, w, &end_ns);
	if (!rings_attached(rings)) {
		output_discard(&out);	/* it holds no recording: leave the path as it was */
		die("the tracker did not attach to '%s', which ran untracked", command[0]);
	}
	writer_end(w, end_ns, rings_lost(rings) + dropped_events(shm), status);
	output_close(&out);
	rings_free(rings);
	writer_free(w);
	free(program);
	free(shim);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
