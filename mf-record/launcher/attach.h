/*
 * attach.h - load the tracker into a running process (mf-record -p PID).
 *
 * gdb's inferior calls cannot be used (on some kernels they fail with
 * "Couldn't write extended state status" and leave an interrupted system
 * call broken), so mf-record injects the calls itself with ptrace: it
 * seizes the process's main thread, interrupts it, saves its general
 * registers, writes a three-byte stub (call *%rax; int3) over the
 * program's entry point (code that never runs again once main has
 * started), and runs
 *
 *	handle = dlopen(SHIM, RTLD_NOW);
 *	start = dlsym(handle, "mf_attach_start");
 *	start("LAUNCHER_PID SOCKET");	// tracker/shim_attach.c
 *
 * one call per stop, with arguments written below the thread's stack
 * pointer.  Then it puts the entry point's bytes and the registers back
 * exactly (an interrupted system call is restarted as the kernel would
 * have: an interrupted nanosleep sleeps on) and lets go of the process.
 * Stopping is the same with mf_attach_stop().
 *
 * The thread is interrupted only where no lock of libc can be held: in a
 * system call, or outside libc and the dynamic loader; elsewhere it is let
 * run a millisecond and interrupted again.
 *
 * Every function dies with one line naming the process on an error the
 * user can meet: no such process, not permitted, already traced,
 * statically linked, exiting.
 */
#ifndef MF_ATTACH_H
#define MF_ATTACH_H

#include <stdint.h>
#include <sys/types.h>

/* The process id in text (digits only), or die with a usage error. */
pid_t attach_parse_pid(const char *usage, const char *text);

/*
 * Die unless the tracker can be loaded into process pid: it exists, is not
 * exiting, is not traced, is a dynamically linked 64-bit program of this
 * machine.  Returns its command line (NULL-terminated, for the H record).
 */
char **attach_check(pid_t pid);
void attach_free_argv(char **argv);

/*
 * Load shim into pid and start it with "LAUNCHER_PID SOCKET" (the abstract
 * Unix socket on which the launcher hands over shm_fd, its descriptor of
 * the region).  Returns the address of mf_attach_stop in
 * the process; dies on failure (the process is left as it was).
 */
uint64_t attach_start(pid_t pid, const char *shim, int shm_fd);

/*
 * Stop the tracker (mf_attach_stop at stop).  Returns 1 when stopped, 0
 * when the process is gone or exiting (nothing left to stop).
 */
int attach_stop(pid_t pid, uint64_t stop);

/* What mf-record -p was asked (mf-record.c parses it). */
struct attach_options {
	pid_t pid;
	const char *output;
	int force, aggregate;
	uint64_t interval_ms;
	uint64_t duration_s;	/* 0: until the process ends or ^C */
};

/*
 * mf-record -p: attach, record until the process ends, --duration runs
 * out, or SIGINT, SIGTERM or SIGHUP comes (then the tracker is stopped and
 * the process goes on), and finish the stream.  Returns mf-record's exit
 * status (attach_record.c).
 */
int attach_record(const struct attach_options *o);

#endif
