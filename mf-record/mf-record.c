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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "launcher/attach.h"
#include "launcher/launch.h"
#include "launcher/launch_follow.h"
#include "num.h"
#include "output.h"
#include "writer/writer.h"
#include "writer/writer_clock.h"
#include "writer/writer_rings.h"

static const char usage[] =
	"usage: mf-record [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]\n"
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
	"      --follow-fork   record every process PROGRAM starts, each in its\n"
	"                      own capture named from FILE: out.mft.gz gives\n"
	"                      out.PID.mft.gz; needs -o\n"
	"  -h, --help          show this help\n"
	"\n"
	"When the stream goes to standard output, the program's\n"
	"standard output goes to standard error, so that the stream stays valid.\n"
	"mf-record exits with the program's exit status, or 128 + N if signal N\n"
	"killed it; with -p, 0 once the stream is written.  A program the recorded\n"
	"process execs continues its capture.  Without --follow-fork, processes the\n"
	"program forks run unrecorded, and a line on standard error says how many\n"
	"at the end.  With it, a process whose capture cannot be made, written or\n"
	"put in place runs on unrecorded, with a warning that says where its\n"
	"capture so far is; the others are recorded on, and mf-record exits 1.\n"
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
	int follow;
	uint64_t interval_ms;
	pid_t pid;		/* -p: attach to it */
	uint64_t duration_s;	/* --duration */
};

/* Parse the options; returns the index of PROGRAM in argv. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_INTERVAL = 256, OPT_AGGREGATE, OPT_DURATION, OPT_FOLLOW };
	static const struct option longopts[] = {
		{ "aggregate", no_argument, NULL, OPT_AGGREGATE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "follow-fork", no_argument, NULL, OPT_FOLLOW },
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
		case OPT_FOLLOW: o->follow = 1; break;
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
	if (o->follow && o->pid)
		usage_error(usage, "--follow-fork goes with a PROGRAM mf-record starts, not with -p");
	if (!o->pid && optind >= argc)
		usage_error(usage, "no program to record");
	if (o->follow && (!o->output || !strcmp(o->output, "-")))
		usage_error(usage, "--follow-fork writes several captures: it needs -o FILE");
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
 * One recorded process: the program mf-record started, or (with
 * --follow-fork) a process it started.  Each has its writer and its
 * capture, and a region for its current program (a new one after each
 * execve).
 */
struct proc {
	pid_t pid;
	int own_child;		/* the launcher's child (or adopted orphan): waitpid tells its end */
	int pidfd;		/* otherwise, polls readable once it ended; -1 */
	void *shm;
	uint64_t shm_size;
	struct output out;
	struct writer *w;
	struct rings *rings;
	char **argv;		/* for H, followed processes only (from /proc); freed with it */
	char *origin;		/* for the comment after H */
	char *path;		/* a followed process's capture name: out names it until the end */
	int failed;		/* its capture failed and was abandoned: its events go nowhere since */
	int ended, done;
	int status;		/* wait status or WRITER_STATUS_*; known once ended */
	uint64_t start_ns, end_ns, next_rss_ns, done_ns;
	uint64_t lost;		/* events lost by the programs it ran before its latest execve */
	int replaced;		/* it exec'd: its first program was recorded, whatever the latest does */
};

/* Whether the tracker ever recorded in p (else its file holds no recording). */
static int proc_recorded(const struct proc *p)
{
	return p->replaced || rings_attached(p->rings);
}

struct recording {
	struct options o;
	enum mf_clock clock;
	int listener;		/* the socket processes ask for regions on (execs; forks with --follow-fork) */
	struct proc **procs;
	size_t nprocs, cap;
	uint64_t unrecorded;	/* processes forked or spawned, not recorded, counted by released regions */
	uint64_t cloned;	/* processes made by a raw clone, which nothing records, counted so too */
	uint64_t incomplete;	/* followed processes without a whole capture at their name: exit 1 */
};

/* Add the processes region shm counted as not recorded to the recording's counts. */
static void count_unrecorded(struct recording *rec, void *shm)
{
	struct mf_shared_header *hdr = shm;
	rec->unrecorded += atomic_load(&hdr->unrecorded);
	rec->cloned += atomic_load(&hdr->cloned);
}

/*
 * A new region (*region_fd: its descriptor, for the process) and the
 * capture's file, out (open; p's from now on); the writer comes with
 * proc_write.
 */
static struct proc *proc_start(struct recording *rec, pid_t pid, const struct output *out,
			       uint64_t start_ns, int *region_fd)
{
	struct proc *p = xcalloc(1, sizeof *p);
	p->pid = pid;
	p->start_ns = start_ns;
	p->pidfd = -1;
	p->status = WRITER_STATUS_UNKNOWN;
	p->shm = launch_shared_memory(region_fd, start_ns, rec->clock);
	p->shm_size = mf_shm_size(((struct mf_shared_header *)p->shm)->slots);
	p->out = *out;
	output_keep_partial(&p->out);	/* a capture cut short is still worth reading */
	return p;
}

/* The writer and rings, once pid (and the origin line) are known. */
static void proc_write(struct recording *rec, struct proc *p, char *const *argv, uint64_t start_ns,
		       uint64_t start_ms)
{
	/* A followed process's capture is one of many: its failure is not the recording's. */
	struct writer_options wo = { .aggregate = rec->o.aggregate, .interval_ms = rec->o.interval_ms,
		.start_ns = start_ns, .start_ms = start_ms, .pid = p->pid, .argv = argv,
		.origin = p->origin, .soft = p->path != NULL };
	p->w = writer_new(&p->out, &wo);
	p->rings = rings_new(p->shm, p->w);
	rec->procs = xgrow(rec->procs, &rec->cap, rec->nprocs + 1, sizeof *rec->procs);
	rec->procs[rec->nprocs++] = p;
}

/* The capture of pid (any: even when finished, lingering), or NULL. */
static struct proc *find_proc(struct recording *rec, pid_t pid, int any)
{
	for (size_t i = rec->nprocs; i-- > 0;)
		if (rec->procs[i]->pid == pid && rec->procs[i]->w && (any || !rec->procs[i]->done))
			return rec->procs[i];
	return NULL;
}

static void proc_ended(struct proc *p, int status, uint64_t end_ns)
{
	if (p->ended)
		return;
	p->ended = 1;
	p->status = status;
	p->end_ns = end_ns;
	writer_process_gone(p->w);
}

/*
 * A followed process's capture failed (error says why): keep what it
 * holds, under its name or else its temporary one, and say where.  The
 * process goes on unrecorded: its writer still takes its events (else its
 * rings would fill and stop it), writing none, so that the captures of
 * the children it forks start right.  The recording ends with exit 1.
 */
static void proc_give_up(struct recording *rec, struct proc *p, const char *error)
{
	char *kept = output_abandon(&p->out);
	/* One wording whether the process still runs or not: the writer may learn it either way. */
	warn("%s: process %ld is recorded no further; its capture is kept as '%s'", error,
	     (long)p->pid, kept);
	free(kept);
	p->failed = 1;
	rec->incomplete++;
}

/* A write error ended p's capture (only a followed process's can): give it up now. */
static void proc_check(struct recording *rec, struct proc *p)
{
	const char *error = p->failed ? NULL : writer_error(p->w);
	if (error)
		proc_give_up(rec, p, error);
}

/* A followed process's capture, written: closed and put in place, or given up. */
static void follow_close(struct recording *rec, struct proc *p)
{
	proc_check(rec, p);
	if (p->failed)
		return;
	char *error = output_try_close(&p->out);
	if (error)
		proc_give_up(rec, p, error);
	free(error);
}

/* All written: the E record, the file closed; the writer is kept a while for late forks. */
static void proc_finish(struct recording *rec, struct proc *p)
{
	p->done = 1;
	p->done_ns = monotonic_ns();
	if (!proc_recorded(p)) {	/* no recording: no file (main discards the program's) */
		if (p->path && !p->failed)
			output_discard(&p->out);
		return;
	}
	writer_end(p->w, p->end_ns, p->lost + rings_lost(p->rings) + dropped_events(p->shm), p->status);
	if (p->path)
		follow_close(rec, p);
	else
		output_close(&p->out);
}

/*
 * How long a finished process's writer stays: a child forked just before
 * its parent ended may ask for its region after the parent's capture is
 * written, and still inherits the parent's blocks.
 */
#define LINGER_NS 2000000000ull

static void proc_release(struct recording *rec, struct proc *p)
{
	if (!p->w)
		return;
	count_unrecorded(rec, p->shm);
	rings_free(p->rings);
	writer_free(p->w);
	p->w = NULL;
	p->rings = NULL;
	munmap(p->shm, p->shm_size);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	free(p->argv);
	p->argv = NULL;
	free(p->origin);
	p->origin = NULL;
}

/* ---- a region for every process that asks: execs, and forks with --follow-fork ---- */

/* Hand the writer every event p's region holds: its program is gone, so they are final. */
static void proc_drain_all(struct proc *p)
{
	do {
		rings_drain(p->rings);
		rings_process(p->rings, SIZE_MAX, 1);
	} while (rings_pending(p->rings));
}

/*
 * p's process replaced its program (execve) and the new one asks for a
 * region: the old program's events are all published (its threads are
 * gone), so they are written first, then the X record, and the capture
 * goes on from a new region.
 */
static void follow_exec(struct recording *rec, struct proc *p, int conn)
{
	proc_drain_all(p);
	p->lost += rings_lost(p->rings) + dropped_events(p->shm);
	count_unrecorded(rec, p->shm);
	rings_free(p->rings);
	munmap(p->shm, p->shm_size);
	p->replaced = 1;	/* only a tracked program passes the tracker on */
	char **argv = follow_command(p->pid);
	writer_exec(p->w, monotonic_ns(), argv);
	free(argv);
	int region_fd;
	p->shm = launch_shared_memory(&region_fd, p->start_ns, rec->clock);
	p->shm_size = mf_shm_size(((struct mf_shared_header *)p->shm)->slots);
	p->rings = rings_new(p->shm, p->w);
	follow_grant(conn, region_fd);
	close(region_fd);
}

static void follow_one(struct recording *rec, int conn, const struct mf_follow_request *req)
{
	struct proc *same = req->kind == MF_FOLLOW_EXEC ? find_proc(rec, req->pid, 0) : NULL;
	if (same && !same->ended) {
		follow_exec(rec, same, conn);
		return;
	}
	if (!rec->o.follow) {
		close(conn);	/* not the recorded process: it runs unrecorded, counted at its fork */
		return;
	}
	/* A fork, or the exec of a process started without fork's handlers (posix_spawn). */
	struct proc *parent = find_proc(rec, req->parent, 1);
	char *path = follow_capture_path(rec->o.output, req->pid);
	struct output out;
	if (!follow_capture_allowed(path, rec->o.force, req->pid) ||
	    !follow_open(&out, path, rec->o.force, req->pid)) {
		rec->incomplete++;
		close(conn);	/* the process runs unrecorded */
		free(path);
		return;
	}
	if (parent && parent->w && req->kind == MF_FOLLOW_FORK)
		rings_process_before(parent->rings, req->fork_key);
	uint64_t start_ns = monotonic_ns(), start_ms = realtime_ms();
	int region_fd;
	struct proc *p = proc_start(rec, req->pid, &out, start_ns, &region_fd);
	p->path = path;
	p->argv = follow_command(req->pid);
	struct buf origin = BUF_INIT;
	buf_printf(&origin, "from fork %ld", (long)req->parent);
	p->origin = buf_detach(&origin);
	p->pidfd = follow_watch(req->pid);
	proc_write(rec, p, p->argv, start_ns, start_ms);
	if (parent && parent->w && req->kind == MF_FOLLOW_FORK)
		writer_inherit(p->w, parent->w);
	follow_grant(conn, region_fd);
	close(region_fd);
}

static void follow_requests(struct recording *rec)
{
	struct mf_follow_request req;
	int conn;
	while (rec->listener >= 0 && (conn = follow_accept(rec->listener, &req)) >= 0)
		follow_one(rec, conn, &req);
}

/* Reap the launcher's children (the program, orphans it adopted): their ends. */
static void reap(struct recording *rec)
{
	int status;
	pid_t got;
	while ((got = waitpid(-1, &status, WNOHANG)) > 0) {
		struct proc *p = find_proc(rec, got, 0);
		if (p)
			proc_ended(p, status, monotonic_ns());
	}
}

/* Whether any process the program started may still ask to be recorded. */
static int descendants_left(void)
{
	siginfo_t info;
	memset(&info, 0, sizeof info);
	return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Has p ended?  Learns it for the processes the launcher did not start. */
static void watch_end(struct proc *p)
{
	if (p->ended || p->own_child || !follow_ended(p->pidfd))
		return;
	int status = follow_exit_status(p->pid);
	struct mf_shared_header *hdr = p->shm;
	uint32_t code = atomic_load(&hdr->exit_code);
	if (status < 0 && code)
		status = (int)(code & 0xff) << 8;
	proc_ended(p, status < 0 ? WRITER_STATUS_UNKNOWN : status, monotonic_ns());
}

/* ---- the drain loop ---- */

/* One pass over p: its end, RSS, events.  Returns events taken or handed. */
static size_t proc_step(struct recording *rec, struct proc *p, uint64_t now)
{
	enum { BUDGET = 1 << 13 };	/* events between two drains: well under a ring of them */
	if (p->done)
		return 0;
	if (p->path)
		proc_check(rec, p);
	if (!rec->o.follow && !p->ended) {
		int status;
		uint64_t end_ns;
		if (launch_ended(p->pid, &status, &end_ns))
			proc_ended(p, status, end_ns);
	}
	watch_end(p);
	/* Sample RSS while the process lives, even if no m record is due yet. */
	if (!p->ended && now >= p->next_rss_ns) {
		writer_sample_rss(p->w);
		p->next_rss_ns = now + rec->o.interval_ms * 1000000;
	}
	/* Drain after learning the program ended: then nothing is left behind. */
	size_t taken = rings_drain(p->rings);
	size_t done = rings_process(p->rings, BUDGET, p->ended);
	if (p->ended && !rings_pending(p->rings)) {
		proc_finish(rec, p);
		return taken + done;
	}
	if (taken == 0 && done < BUDGET && !rings_pending(p->rings))
		writer_idle(p->w, now);
	return taken + done + (done >= BUDGET);
}

/* Whether everything is written: every process ended and, following, none can come. */
static int all_done(struct recording *rec)
{
	for (size_t i = 0; i < rec->nprocs; i++)
		if (!rec->procs[i]->done)
			return 0;
	return !rec->o.follow || !descendants_left();
}

/* Read events until every recorded process has ended and every event is written. */
static void record(struct recording *rec)
{
	for (;;) {
		follow_requests(rec);
		if (rec->o.follow)
			reap(rec);
		uint64_t now = monotonic_ns();
		size_t work = 0;
		for (size_t i = 0; i < rec->nprocs; i++) {
			struct proc *p = rec->procs[i];
			work += proc_step(rec, p, now);
			if (p->done && i > 0 && now - p->done_ns > LINGER_NS)
				proc_release(rec, p);
		}
		if (all_done(rec)) {
			follow_requests(rec);
			if (all_done(rec))
				return;
		}
		if (work == 0)
			sleep_a_little();
	}
}

/*
 * The end-of-run note on the processes that ran unrecorded: forked or
 * spawned ones (counted without --follow-fork, which records them), and
 * apart, those of a raw clone, which no option records.
 */
static void say_unrecorded(const struct recording *rec)
{
	uint64_t n = rec->unrecorded, c = rec->cloned;
	if (n)
		warn("%llu process%s started by the program ran unrecorded: --follow-fork records them",
		     (unsigned long long)n, n == 1 ? "" : "es");
	if (c)
		warn("%llu process%s made by a raw clone system call ran unrecorded: %s no fork handler, so --follow-fork cannot follow %s",
		     (unsigned long long)c, c == 1 ? "" : "es", c == 1 ? "it ran" : "they ran",
		     c == 1 ? "it" : "them");
}

int main(int argc, char **argv)
{
	struct recording rec = { .o = { .interval_ms = 10 }, .listener = -1 };
	set_progname(argv[0]);
	char **command = argv + parse_options(argc, argv, &rec.o);
	if (rec.o.pid) {
		struct attach_options ao = { .pid = rec.o.pid, .output = rec.o.output, .force = rec.o.force,
			.aggregate = rec.o.aggregate, .interval_ms = rec.o.interval_ms,
			.duration_s = rec.o.duration_s };
		return attach_record(&ao);
	}
	char *program = launch_resolve(command[0]);
	launch_check(program, command[0]);
	char *shim = launch_find_shim();
	rec.clock = clock_choose();
	char follow_name[MF_FOLLOW_NAME_MAX + 1];
	rec.listener = follow_listen(follow_name, rec.o.follow);
	struct buf follow_env = BUF_INIT;
	buf_printf(&follow_env, "%s%s", rec.o.follow ? "" : MF_FOLLOW_EXEC_ONLY, follow_name);
	setenv(MF_ENV_FOLLOW, follow_env.data, 1);
	buf_release(&follow_env);

	int shm_fd;
	uint64_t start_ns = monotonic_ns(), start_ms = realtime_ms();
	/* First: a capture that cannot start must leave no empty file behind. */
	struct output out;
	output_open(&out, rec.o.output, rec.o.force);
	struct proc *main_proc = proc_start(&rec, 0, &out, start_ns, &shm_fd);
	int to_stdout = !rec.o.output || !strcmp(rec.o.output, "-");
	main_proc->pid = launch_start(program, command, shim, shm_fd, to_stdout);
	main_proc->own_child = 1;
	close(shm_fd);
	keep_up_priority();
	proc_write(&rec, main_proc, command, start_ns, start_ms);

	record(&rec);
	if (!proc_recorded(main_proc)) {
		output_discard(&main_proc->out);	/* it holds no recording: leave the path as it was */
		die("the tracker did not attach to '%s', which ran untracked", command[0]);
	}
	int status = main_proc->status;
	for (size_t i = 0; i < rec.nprocs; i++) {
		proc_release(&rec, rec.procs[i]);
		free(rec.procs[i]->path);	/* kept to the end: out named it until closed */
		free(rec.procs[i]);
	}
	free(rec.procs);
	free(program);
	free(shim);
	say_unrecorded(&rec);
	if (rec.incomplete)
		return 1;	/* a process's capture is missing or cut short: said above */
	if (status < 0)
		return 0;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
