/*
 * output.h - where a program's result goes: stdout, or a file given with -o.
 *
 * Every mf program that writes a file follows one rule, implemented here:
 *
 *  - "-" (or no -o) is standard output, never a file named "-".
 *  - A path that does not exist is created; one that exists is refused
 *    ("'PATH' already exists; use -f to overwrite it") unless force is set
 *    (the -f of every mf program).
 *  - A regular file, new or replaced, is written atomically: into a
 *    temporary file beside it (".NAME.mf-XXXXXX", NAME cut short where
 *    the whole would be longer than the directory takes: 255 bytes on
 *    Linux's file systems), renamed over it by
 *    output_close(), so a reader sees the old file or the whole new one,
 *    and a failure leaves the old file as it was.  A replaced file keeps
 *    its permission bits (and owner, where permitted); a new one gets 0666
 *    less the umask.  A file with other hard links is replaced, not written
 *    through them.
 *  - A symbolic link to a regular file stays a link: the file it points to
 *    (through every link) is replaced atomically as above.
 *  - Anything else (a character device such as /dev/null or /dev/stdout, a
 *    FIFO, a dangling symbolic link) is opened and written in place, with
 *    no truncation and no temporary file.
 *
 * The temporary file is removed when the program exits on an error or is
 * killed by SIGHUP, SIGINT or SIGTERM (remove_on_exit() in lib/err.h),
 * unless output_keep_partial() says otherwise.
 * A name ending in ".gz" is gzip-compressed (libdeflate, level 1), one
 * ending in ".zst" zstd-compressed (OUTPUT_ZSTD_LEVEL, OUTPUT_ZSTD_WINDOW_LOG).  Writes are buffered; any
 * write error (a full disk, a closed pipe) is fatal and names the file, so
 * a result is never silently truncated.  output_close() flushes and checks:
 * call it before exit 0.
 *
 * Where one failing file must not end the program (mf-record's capture
 * of a process it follows, one of many), output_try_open, output_try_write
 * and output_try_close return what went wrong instead, and
 * output_abandon() then keeps what was written:
 *
 *	char *error = output_try_open(&out, path, force);
 *	if (!error)
 *		error = output_try_write(&out, data, n);	// ... and more
 *	if (!error)
 *		error = output_try_close(&out);
 *	if (error && out was opened)
 *		kept = output_abandon(&out);	// else output_discard(&out)
 *	warn("%s: ... '%s'", error, kept); free(error); free(kept);
 *
 * Their message is the one the dying function prints (without "PROG: "),
 * allocated: the caller frees it.  The dying functions are these with
 * die() on the message.
 */
#ifndef MF_OUTPUT_H
#define MF_OUTPUT_H

#include <stddef.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/*
 * The zstd level of a ".zst" file.  Measured on captures (bench/long.sh),
 * where the program waits for the recorder: level 1 compresses an event
 * stream at about the speed libdeflate's level 1 does gzip, to about 0.9
 * of its size; higher levels cost more CPU than they save bytes (see
 * docs/FORMAT.md, "Compression").
 */
#define OUTPUT_ZSTD_LEVEL 1
/*
 * With long-distance matching over a 16 MiB window: an event stream
 * repeats itself (the same stacks, sizes and patterns of frees, again and
 * again) further back than level 1's 512 KiB window reaches.  16 MiB is
 * well under the 128 MiB every zstd decoder takes without --long, and
 * what a reader holds of history; the writer holds about 28 MiB.
 */
#define OUTPUT_ZSTD_WINDOW_LOG 24

struct output {
	const char *name;	/* the path, or "standard output" */
	/* private */
	int fd;
	int force;
	char *tmp;		/* the temporary file, or NULL when written in place */
	struct exit_file *pending;	/* tmp, removed or kept at exit (lib/err.h) */
	char *target;		/* what tmp replaces: the path, or its link's file */
	void *gz;		/* the libdeflate compressor of a .gz file */
	void *zstd;		/* the libzstd context of a .zst file */
	char *packed;		/* a compressed member, or zstd's output */
	size_t packed_cap;
	unsigned long members;	/* members written */
	char *buf;
	size_t len;
	int drop;		/* output_drop_behind on a regular file */
	off_t written;		/* the file's offset after the last write */
	off_t sent;		/* written up to here: sent to the disk */
};

/*
 * path NULL or "-" means stdout.  Dies with a clear message on failure (a
 * name too long for its directory: "cannot create 'PATH': its name is N
 * bytes long, more than the MAX its directory takes").
 */
void output_open(struct output *out, const char *path, int force);
/*
 * The same, returning instead of dying: NULL, or the message output_open
 * would die with (allocated).  Either way out is then the caller's to
 * end: output_discard() after a failure.
 */
char *output_try_open(struct output *out, const char *path, int force);
/*
 * Whether path's last name is longer than its directory takes
 * (pathconf's _PC_NAME_MAX, NAME_MAX where it does not say); *len is
 * set to the name's length, *max to that limit, either way.  Cannot fail.
 */
int output_name_too_long(const char *path, size_t *len, size_t *max);
void output_write(struct output *out, const void *data, size_t n);
/*
 * The same, returning NULL, or the message output_write would die with
 * (allocated): then what the file holds is all it will hold (some of
 * data, maybe none), and only output_abandon() or output_discard() may
 * follow.
 */
char *output_try_write(struct output *out, const void *data, size_t n);
void output_puts(struct output *out, const char *s);
void output_printf(struct output *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Push buffered bytes to the file (not fsync). Dies on error. */
void output_flush(struct output *out);
/*
 * Flush, finish the gzip or zstd file, close, and put the file in place (the
 * rename of a temporary file; without force, a file that appeared at the
 * path meanwhile is refused, not replaced).  Dies on error.
 */
void output_close(struct output *out);
/*
 * The same, returning NULL (out released), or the message output_close
 * would die with (allocated): then the file is where it was, closed or
 * not, and only output_abandon() or output_discard() may follow.
 */
char *output_try_close(struct output *out);
/*
 * Keep what was written, after a failure or instead of output_close():
 * close the file (an error closing it changes nothing it holds), put a
 * temporary file in place as output_close() would, and if that fails
 * (without force, a file took the path meanwhile) leave it under its
 * temporary name, neither removed nor renamed at exit.  Releases out.
 * Returns where the file is, allocated (the caller frees it): out->name
 * or the temporary name; NULL for standard output.  Cannot fail.
 */
char *output_abandon(struct output *out);
/*
 * For a result worth reading even cut short (mf-record's capture: the
 * readers say it is incomplete): if the program exits on an error, or is
 * killed by SIGHUP, SIGINT or SIGTERM, before output_close(), what was
 * written is renamed into place instead of removed.
 */
void output_keep_partial(struct output *out);
/*
 * For a long stream that must cost its writer little (mf-record's
 * capture): a regular file keeps at most its last OUTPUT_DROP_LAG bytes
 * in the page cache.  Each MiB is sent to the disk once written, and let
 * go of OUTPUT_DROP_LAG later, on the disk by then (a page that is not
 * stays, as it would have).  The file's next pages are then the ones just
 * let go, where a file kept whole fills the memory and takes each new
 * page from what the kernel must find or reclaim: on this project's
 * virtual machine, 1.4 s of the writing thread per GB written at 100 MB/s
 * against 0.45 s (docs/FORMAT.md, "A long capture and the page cache").
 * A reader soon after reads the file from the disk, bar its end.  Nothing
 * changes for a pipe or a device.
 */
enum { OUTPUT_DROP_LAG = 64 << 20 };
void output_drop_behind(struct output *out);

/*
 * Give up: remove the temporary file, leaving the path as it was, and
 * release everything.  What was written in place (a device, a FIFO, stdout)
 * stays written.  Cannot fail.
 */
void output_discard(struct output *out);

/*
 * Write the strings (NULL-terminated list) to standard output, checked
 * like every output, and exit 0: --help, whose text is lost on a full
 * disk or a closed pipe like any other.  Exits 1 on a write error.
 */
noreturn void output_help(const char *text, ...) __attribute__((sentinel));

#endif
