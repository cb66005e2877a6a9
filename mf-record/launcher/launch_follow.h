/*
 * launch_follow.h - the socket on which a recorded process's new program
 * after an execve, and with --follow-fork every process the recorded
 * program starts, asks for a region of its own (proto.h, struct
 * mf_follow_request); the names of the captures of --follow-fork, and
 * how the launcher learns that a process it did not start has ended.
 *
 *	int ls = follow_listen(name, follow);	// before the program starts
 *	setenv(MF_ENV_FOLLOW, name, 1);		// after MF_FOLLOW_EXEC_ONLY without --follow-fork
 *	int conn = follow_accept(ls, &req);	// in the drain loop; -1: none waiting
 *	follow_grant(conn, region_fd);		// the process goes on, recorded
 */
#ifndef MF_LAUNCH_FOLLOW_H
#define MF_LAUNCH_FOLLOW_H

#include <stdint.h>
#include <sys/types.h>

#include "output.h"
#include "../proto.h"

/*
 * Listen on a new socket in the abstract namespace (so a process that
 * closes every descriptor still reaches it), named "mf-record.PID.RANDOM";
 * name (MF_FOLLOW_NAME_MAX + 1 bytes) receives the name.  With reap
 * (--follow-fork), also makes the launcher the reaper of every orphaned
 * descendant (PR_SET_CHILD_SUBREAPER): so it knows when none is left, and
 * how they ended.  Dies on failure.
 */
int follow_listen(char *name, int reap);
/*
 * A connection with its request read, or -1 when none is waiting.  A
 * request that is not whole is dropped (the process runs untracked).
 */
int follow_accept(int listener, struct mf_follow_request *req);
/* Send the region's descriptor on conn, then close conn; quietly does nothing if the process is gone. */
void follow_grant(int conn, int region_fd);

/*
 * The capture of process pid (every program it runs: an execve goes on in
 * it), named from the first capture's FILE by the rule of lib/capture.h:
 * the process id goes before a final ".mft", ".gz" or ".zst" (so the name
 * keeps the suffix readers, gzip and zstd know), or at the end otherwise.
 *	out.mft.gz -> out.1234.mft.gz
 *	trace.zst  -> trace.1234.zst
 *	trace      -> trace.1234
 * Allocated.
 */
char *follow_capture_path(const char *file, pid_t pid);

/*
 * Whether process pid's capture may be written at path (its name is
 * mf-record's, made from the user's -o): where nothing is, or with force
 * over a regular file, what an earlier run left there.  Else a warning
 * names path and the process is not recorded: without force, whatever
 * exists; with it, anything but a regular file (a FIFO would block the
 * recording until some reader opened it; a device or a symbolic link
 * would write where the user never named).  A name longer than its
 * directory takes (-o's with ".PID" added) is refused the same way,
 * rather than stop the whole recording.
 */
int follow_capture_allowed(const char *path, int force, pid_t pid);
/*
 * Open out, process pid's capture at path (once follow_capture_allowed):
 * 1, or 0 when it cannot be created (the directory is not writable, the
 * disk full...), with a warning that says why and names pid, which is not
 * recorded; nothing is left at path.  A capture that cannot be made is
 * one process's loss, not the recording's.
 */
int follow_open(struct output *out, const char *path, int force, pid_t pid);

/* A descriptor that polls readable once pid has ended (pidfd_open), or -1 if it is gone already. */
int follow_watch(pid_t pid);
/* Whether the process behind a follow_watch descriptor has ended. */
int follow_ended(int pidfd);
/*
 * How a process that is not the launcher's child ended: its wait status
 * while it is a zombie (/proc/PID/stat), else -1 (its parent reaped it).
 */
int follow_exit_status(pid_t pid);
/*
 * The command line of pid (/proc/PID/cmdline) as a NULL-terminated argv,
 * allocated in one block; { "?" } if it cannot be read.
 */
char **follow_command(pid_t pid);

#endif
