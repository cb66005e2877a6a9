/*
 * sym_open.h - open the file a module of the recorded process was loaded
 * from, as the symbolizer (symbolize.h) reads it.
 *
 * A path names a file only at the moment it is looked up.  The recorder
 * hears of a module some time after the program loaded it; by then the
 * file at that path may have been replaced (a package upgrade renames a
 * new library over the old one), may be a FIFO that blocks open() until
 * someone writes to it, or may be relative to a working directory the
 * program has left.  So a module is opened, while the process still maps
 * it, through the mapping itself: /proc/PID/map_files/START-END is the
 * file that was mapped even when it was unlinked or replaced (opening it
 * needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, as root has).  Failing
 * that, the path is opened (relative to the process's working directory)
 * and kept only if it is the file mapped: the same build id as the one in
 * the process's memory, or, for a file without one, the same device and
 * inode as /proc/PID/maps says.  When the process no longer maps the
 * module (it ended, or unloaded the library, before the recorder heard of
 * it), the path is opened (a relative one in the program's working
 * directory, while the program runs) and checked against the build id the
 * tracker sent with the module, if it sent one.
 *
 * Nothing here blocks: only regular files are read, opened with
 * O_NONBLOCK.  Nothing here writes to stderr: failures come back as a
 * reason, for the caller to report.
 */
#ifndef MF_SYM_OPEN_H
#define MF_SYM_OPEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A read-only descriptor of the file of the module at path, mapped in
 * process pid with load bias bias over [start, end), owned by the caller;
 * when the module's build id is known (id, idlen bytes; idlen 0 when not),
 * only a file with that build id, whichever way it is opened (a library
 * loaded at the same place after the module was unloaded is not it);
 * or -1 with *why set to a static string saying why not ("not a regular
 * file", "replaced since it was loaded", a strerror text, ...).  pid 0
 * means no process: path is opened as it is, relative to the current
 * directory.
 */
int sym_open_module(pid_t pid, const char *path, uint64_t bias,
		    uint64_t start, uint64_t end, const unsigned char *id,
		    size_t idlen, const char **why);

/*
 * path opened read-only if it is a regular file, never blocking on a FIFO
 * or a device; -1 otherwise, with *why set as above.
 */
int sym_open_regular(const char *path, const char **why);

#endif
