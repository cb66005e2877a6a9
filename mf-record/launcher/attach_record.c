/*
 * attach_record.c - mf-record -p PID: the recording of a process mf-record
 * did not start.  Like the recording of a program it starts (mf-record.c),
 * but the process is not its child: its end is seen through a pidfd, its
 * exit status is not known, and the recording may end before it does.
 */
#include "attach.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "attach_target.h"
#include "err.h"
#include "launch.h"
#include "output.h"
#include "../writer/writer.h"
#include "../writer/writer_clock.h"
#include "../writer/writer_rings.h"

static volatile sig_atomic_t stop_signal;

static void note_stop(int sig)
{
	stop_signal = sig;
}

/*
 * ^C, SIGTERM and SIGHUP end the recording, not mf-record: it stops the
 * tracker and finishes the stream.  Installed before the output is opened,
 * so lib/err.c leaves them alone.
 */
static void watch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction sa = { .sa_handler = note_stop, .sa_flags = SA_RESTART };
		sigaction(sigs[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);	/* a closed output pipe is a write error with a message */
}

/* A descriptor that becomes readable when the process ends (pid reuse cannot fool it). */
static int watch_process(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			attach_refuse(pid, "no such process");
		die_errno("cannot attach to process %d: cannot watch it (pidfd_open)", (int)pid);
	}
	return fd;
}

static int process_ended(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

static void sleep_a_little(void)
{
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
}

/* As mf-record.c: run ahead of the process when the CPUs are shared. */
static void keep_up_priority(void)
{
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		setpriority(PRIO_PROCESS, 0, nice - 5);
}

enum how_ended { RECORDING, GONE, DETACHED };

struct session {
	pid_t pid;
	int pidfd;
	uint64_t stop_fn;		/* mf_attach_stop in the process */
	uint64_t deadline_ns;		/* --duration; 0: none */
	enum how_ended how;
	int code;			/* of E: the signal that ended it, 0 for --duration */
	uint64_t end_ns;
};

/* Whether the recording ends now, and how. */
static int ending(struct session *s)
{
	uint64_t now = monotonic_ns();
	if (process_ended(s->pidfd)) {
		s->how = GONE;
		s->end_ns = now;
		return 1;
	}
	if (!stop_signal && !(s->deadline_ns && now >= s->deadline_ns))
		return 0;
	s->code = stop_signal;
	s->how = attach_stop(s->pid, s->stop_fn) ? DETACHED : GONE;
	s->end_ns = monotonic_ns();
	/* Events of hooks that were running when it stopped: published within moments. */
	for (int i = 0; i < 20; i++)
		sleep_a_little();
	return 1;
}

/* The drain loop of mf-record.c's record(), ending as ending() says. */
static void record(struct session *s, uint64_t interval_ms, struct rings *rings, struct writer *w)
{
	enum { BUDGET = 1 << 13 };
	uint64_t next_rss_ns = 0;
	for (;;) {
		if (s->how == RECORDING && ending(s))
			writer_process_gone(w);
		uint64_t now = monotonic_ns();
		int ended = s->how != RECORDING;
		if (!ended && now >= next_rss_ns) {
			writer_sample_rss(w);
			next_rss_ns = now + interval_ms * 1000000;
		}
		size_t taken = rings_drain(rings);
		size_t done = rings_process(rings, BUDGET, ended);
		if (ended && !rings_pending(rings))
			return;
		if (taken == 0 && done < BUDGET) {
			if (!rings_pending(rings))
				writer_idle(w, now);
			sleep_a_little();
		}
	}
}

int attach_record(const struct attach_options *o)
{
	char **argv = attach_check(o->pid);
	struct session s = { .pid = o->pid, .pidfd = watch_process(o->pid) };
	char *shim = launch_find_shim();
	enum mf_clock clock = clock_choose();
	int shm_fd;
	uint64_t start_ns = monotonic_ns(), start_ms = realtime_ms();
	void *shm = launch_shared_memory(&shm_fd, start_ns, clock);
	watch_signals();
	struct output out;
	output_open(&out, o->output, o->force);
	s.stop_fn = attach_start(o->pid, shim, shm_fd);	/* dies leaving no file */
	output_keep_partial(&out);
	keep_up_priority();
	if (o->duration_s)
		s.deadline_ns = monotonic_ns() + o->duration_s * 1000000000ull;
	struct writer_options wo = { .aggregate = o->aggregate, .interval_ms = o->interval_ms,
		.start_ns = start_ns, .start_ms = start_ms, .pid = o->pid, .argv = argv };
	struct writer *w = writer_new(&out, &wo);
	struct rings *rings = rings_new(shm, w);
	record(&s, o->interval_ms, rings, w);
	const struct mf_shared_header *hdr = shm;
	uint64_t dropped = atomic_load_explicit(&hdr->dropped, memory_order_acquire);
	if (s.how == DETACHED)
		writer_end_how(w, s.end_ns, rings_lost(rings) + dropped, "detached", s.code);
	else
		writer_end_how(w, s.end_ns, rings_lost(rings) + dropped, "gone", 0);
	output_close(&out);
	rings_free(rings);
	writer_free(w);
	close(shm_fd);
	close(s.pidfd);
	free(shim);
	attach_free_argv(argv);
	return 0;
}
