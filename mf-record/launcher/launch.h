/*
 * launch.h - start the recorded program with the tracker preloaded.
 *
 * Everything that can be checked before the program runs is checked here,
 * so that a program the tracker cannot enter is refused with a reason
 * rather than run untracked: it must exist, be executable, be a dynamically
 * linked 64-bit ELF program (or a script whose interpreter is one), and not
 * be setuid or setgid (the dynamic loader ignores LD_PRELOAD for those).
 * Each function dies with a message naming the program on failure.
 */
#ifndef MF_LAUNCH_H
#define MF_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

#include "../proto.h"

/* The path of the program name would run, searched in PATH like execvp. */
char *launch_resolve(const char *name);
/* Die unless the tracker can be preloaded into the program at path. */
void launch_check(const char *path, const char *name);
/* The tracker: libmf-record.so next to this executable, or in ../lib/mf/. */
char *launch_find_shim(void);

/*
 * Create the shared memory (a memfd of mf_shm_size(slots) bytes, mapped
 * shared) with its header filled in; *fd is the descriptor the program
 * inherits.  slots is MF_SLOTS, or fewer when an address space limit
 * (ulimit -v) leaves less room; too little room even for 16 is an error.
 * start_ns is the CLOCK_MONOTONIC time written into the header, clock
 * what orders events (writer_clock.h).  Call it before creating the
 * output, so that a capture that cannot start leaves no file.
 */
void *launch_shared_memory(int *fd, uint64_t start_ns, enum mf_clock clock);

/*
 * Fork and exec the program at path with argv, LD_PRELOAD naming shim
 * (before any value already set) and MF_SHM_FD naming shm_fd.  With
 * stdout_to_stderr, the program's standard output goes to standard error
 * (the stream owns standard output).  Returns the child's pid once the
 * exec succeeded; dies if it failed.  The launcher then ignores SIGINT and
 * SIGQUIT (the terminal sends them to the program too) and passes SIGTERM
 * and SIGHUP on, so it outlives the program and finishes the stream.
 */
pid_t launch_start(const char *path, char *const *argv, const char *shim,
		   int shm_fd, int stdout_to_stderr);

/*
 * Whether the child ended (reaped; *status is its wait status, *end_ns
 * when it ended, CLOCK_MONOTONIC: writer_clock.h).  Never blocks.
 */
int launch_ended(pid_t pid, int *status, uint64_t *end_ns);

#endif
