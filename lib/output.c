/*
 * output.c - buffered, checked output to stdout or a file, optionally gzip
 * or zstd.
 *
 * gzip is written with libdeflate as a series of gzip members, one per
 * megabyte of text at most (zcat, gzip -d and zlib's gzread read them as
 * one file, as they do htslib's BGZF).  At level 1 it compresses event
 * streams about 2.7 times faster than zlib's level 1, to files 7% smaller,
 * and the recorder must keep up with the recorded program.  A file cut
 * short (a full disk) still decompresses up to where it stops.
 *
 * zstd is written as one frame, at OUTPUT_ZSTD_LEVEL with long-distance
 * matching over OUTPUT_ZSTD_WINDOW_LOG, with a checksum of
 * the whole text at its end; libzstd writes each block (128 KiB of text at
 * most) as it fills, so a file cut short also decompresses up to its last
 * whole block before zstd reports it truncated.  See OUTPUT_ZSTD_LEVEL for
 * why that level.
 *
 * Which file is written, and how it is put in place: output.h.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zstd.h>

#include "err.h"

enum { OUTBUF = 1 << 16, MEMBER_MAX = 1 << 20, DROP_CHUNK = 1 << 20 };

static const char stdout_name[] = "standard output";

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Where path's last name starts: after its last slash. */
static size_t dir_length(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash + 1 - path) : 0;
}

/* The longest name the directory of path (its first dirlen bytes) takes. */
static size_t name_max(const char *path, size_t dirlen)
{
	char *dir = dirlen ? xstrndup(path, dirlen) : xstrdup(".");
	long max = pathconf(dir, _PC_NAME_MAX);
	free(dir);
	return max > 0 ? (size_t)max : NAME_MAX;
}

int output_name_too_long(const char *path, size_t *len, size_t *max)
{
	size_t dirlen = dir_length(path);
	*len = strlen(path + dirlen);
	*max = name_max(path, dirlen);
	return *len > *max;
}

/*
 * ".NAME.mf-XXXXXX" in target's directory: the same file system, so rename
 * works.  A NAME that would make it longer than the directory takes is cut
 * short (at a character, not inside one); mkostemp's O_EXCL still gives a
 * name no other file has.
 */
static char *temp_name(const char *target)
{
	static const char suffix[] = ".mf-XXXXXX";
	size_t dirlen = dir_length(target), keep = strlen(target + dirlen);
	size_t max = name_max(target, dirlen), room = max > sizeof suffix ? max - sizeof suffix : 0;
	if (keep > room) {
		keep = room;
		while (keep > 0 && (target[dirlen + keep] & 0xc0) == 0x80)
			keep--;
	}
	size_t size = dirlen + 1 + keep + sizeof suffix;
	char *name = xmalloc(size);
	snprintf(name, size, "%.*s.%.*s%s", (int)dirlen, target, (int)keep, target + dirlen, suffix);
	return name;
}

/*
 * What went wrong, as die() would print it after "PROG: " (errnum: with
 * ": strerror(errnum)" appended, as die_errno does), allocated; the
 * output_try_* functions return it.
 */
static char *failure(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *failure(int errnum, const char *fmt, ...)
{
	const char *reason = errnum ? strerror(errnum) : NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t size = (n > 0 ? (size_t)n : 0) + (reason ? 2 + strlen(reason) : 0) + 1;
	char *msg = xmalloc(size);
	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	if (reason)
		snprintf(msg + strlen(msg), size - strlen(msg), ": %s", reason);
	return msg;
}

/* lstat's ENAMETOOLONG on path: which name is too long, and by how much. */
static char *name_too_long(const char *path)
{
	size_t len, max;
	int errnum = errno;
	if (output_name_too_long(path, &len, &max))
		return failure(0, "cannot create '%s': its name is %zu bytes long, more than the %zu "
			       "its directory takes", path, len, max);
	return failure(errnum, "cannot create '%s'", path);
}

/* Print what went wrong (an output_try_* function's message) and exit 1. */
static noreturn void die_of(char *message)
{
	die("%s", message);
}

/* The mode a new file gets from open(2): 0666 less the umask. */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/*
 * Write into a temporary file that output_close() renames over target.
 * like: the file it replaces, whose owner and mode it takes (the owner
 * only where permitted, as root: otherwise the file becomes ours, as with
 * any editor that saves by renaming).
 */
static char *open_temp(struct output *out, const char *target, const struct stat *like)
{
	out->target = xstrdup(target);
	out->tmp = temp_name(target);
	out->fd = mkostemp(out->tmp, O_CLOEXEC);
	if (out->fd < 0) {
		int errnum = errno;
		free(out->tmp);
		out->tmp = NULL;	/* none made: none to remove */
		return failure(errnum, "cannot create '%s'", out->name);
	}
	out->pending = remove_on_exit(out->tmp);
	if (like && (like->st_uid != geteuid() || like->st_gid != getegid()))
		(void)!fchown(out->fd, like->st_uid, like->st_gid);
	if (fchmod(out->fd, like ? like->st_mode & 0777 : new_file_mode()) != 0)
		return failure(errno, "cannot create '%s'", out->name);
	return NULL;
}

/* A device, a FIFO, a dangling link: no temporary file, no truncation. */
static char *open_in_place(struct output *out, const char *path)
{
	out->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	return out->fd < 0 ? failure(errno, "cannot create '%s'", path) : NULL;
}

static char *open_zstd(struct output *out)
{
	out->zstd = ZSTD_createCCtx();
	if (!out->zstd)
		return failure(0, "cannot create '%s': out of memory", out->name);
	/* Long-distance matching over a window zstd -d takes without --long (see output.h). */
	const int params[][2] = {
		{ ZSTD_c_compressionLevel, OUTPUT_ZSTD_LEVEL },
		{ ZSTD_c_checksumFlag, 1 },
		{ ZSTD_c_enableLongDistanceMatching, 1 },
		{ ZSTD_c_windowLog, OUTPUT_ZSTD_WINDOW_LOG },
	};
	size_t err = 0;
	for (size_t i = 0; i < sizeof params / sizeof *params && !ZSTD_isError(err); i++)
		err = ZSTD_CCtx_setParameter(out->zstd, (ZSTD_cParameter)params[i][0], params[i][1]);
	if (ZSTD_isError(err))
		return failure(0, "cannot create '%s': %s", out->name, ZSTD_getErrorName(err));
	out->packed_cap = ZSTD_CStreamOutSize();
	out->packed = xmalloc(out->packed_cap);
	return NULL;
}

/* The file at path (out->name), by the rules of output.h. */
static char *open_file(struct output *out, const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENAMETOOLONG)
			return name_too_long(path);
		if (errno != ENOENT)
			return failure(errno, "cannot create '%s'", path);
		return open_temp(out, path, NULL);
	}
	if (!out->force)
		return failure(0, "'%s' already exists; use -f to overwrite it", path);
	if (S_ISREG(st.st_mode))
		return open_temp(out, path, &st);
	if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		char *file = realpath(path, NULL);
		if (!file)
			return failure(errno, "cannot create '%s'", path);
		char *error = open_temp(out, file, &st);
		free(file);
		return error;
	}
	return open_in_place(out, path);
}

/* The compressor path's ending asks for, if any. */
static char *open_compressor(struct output *out, const char *path)
{
	if (ends_with(path, ".zst"))
		return open_zstd(out);
	if (!ends_with(path, ".gz"))
		return NULL;
	out->gz = libdeflate_alloc_compressor(1);
	if (!out->gz)
		return failure(0, "cannot create '%s': out of memory", path);
	out->packed_cap = libdeflate_gzip_compress_bound(out->gz, MEMBER_MAX);
	out->packed = xmalloc(out->packed_cap);
	return NULL;
}

char *output_try_open(struct output *out, const char *path, int force)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	out->buf = xmalloc(OUTBUF);
	if (!path || strcmp(path, "-") == 0) {
		out->name = stdout_name;
		out->fd = 1;
		return NULL;
	}
	out->name = path;
	out->force = force;
	char *error = open_file(out, path);
	return error ? error : open_compressor(out, path);
}

void output_open(struct output *out, const char *path, int force)
{
	char *error = output_try_open(out, path, force);
	if (error)
		die_of(error);
}

void output_drop_behind(struct output *out)
{
	struct stat st;
	off_t at = lseek(out->fd, 0, SEEK_CUR);
	if (fstat(out->fd, &st) == 0 && S_ISREG(st.st_mode) && at >= 0) {
		out->drop = 1;
		out->written = out->sent = at;
	}
}

/*
 * Each whole MiB written goes to the disk now, and the one
 * OUTPUT_DROP_LAG before it leaves the page cache.  Both are advice: an
 * error says nothing of the bytes write() took, which stay in the cache
 * to be written as any others, so none is fatal.
 */
static void drop_behind(struct output *out)
{
	while (out->written - out->sent >= DROP_CHUNK) {
		(void)sync_file_range(out->fd, out->sent, DROP_CHUNK, SYNC_FILE_RANGE_WRITE);
		out->sent += DROP_CHUNK;
		if (out->sent >= OUTPUT_DROP_LAG + DROP_CHUNK)
			(void)posix_fadvise(out->fd, out->sent - OUTPUT_DROP_LAG - DROP_CHUNK,
					    DROP_CHUNK, POSIX_FADV_DONTNEED);
	}
}

static char *write_fd(struct output *out, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(out->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return failure(w < 0 ? errno : ENOSPC, "cannot write '%s'", out->name);
		p += w;
		n -= (size_t)w;
		out->written += w;
	}
	if (out->drop)
		drop_behind(out);
	return NULL;
}

/* One gzip member of n bytes (at most MEMBER_MAX). */
static char *write_member(struct output *out, const char *p, size_t n)
{
	size_t packed = libdeflate_gzip_compress(out->gz, p, n, out->packed, out->packed_cap);
	if (packed == 0)
		return failure(0, "cannot write '%s': compression failed", out->name);
	out->members++;
	return write_fd(out, out->packed, packed);
}

/*
 * Compress n bytes into the zstd frame (end: and finish it), writing what
 * comes out.  mode ZSTD_e_continue keeps up to a block inside libzstd.
 */
static char *write_zstd(struct output *out, const char *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;
	do {
		ZSTD_outBuffer o = { out->packed, out->packed_cap, 0 };
		left = ZSTD_compressStream2(out->zstd, &o, &in, mode);
		if (ZSTD_isError(left))
			return failure(0, "cannot write '%s': compression failed: %s", out->name,
				       ZSTD_getErrorName(left));
		char *error = write_fd(out, out->packed, o.pos);
		if (error)
			return error;
	} while (mode == ZSTD_e_continue ? in.pos < in.size : left != 0);
	return NULL;
}

static char *write_all(struct output *out, const char *p, size_t n)
{
	if (out->zstd)
		return write_zstd(out, p, n, ZSTD_e_continue);
	if (!out->gz)
		return write_fd(out, p, n);
	while (n) {
		size_t chunk = n > MEMBER_MAX ? MEMBER_MAX : n;
		char *error = write_member(out, p, chunk);
		if (error)
			return error;
		p += chunk;
		n -= chunk;
	}
	return NULL;
}

/* The buffered bytes, written. */
static char *flush_buffer(struct output *out)
{
	size_t n = out->len;
	out->len = 0;
	return write_all(out, out->buf, n);
}

void output_flush(struct output *out)
{
	char *error = flush_buffer(out);
	if (error)
		die_of(error);
}

char *output_try_write(struct output *out, const void *data, size_t n)
{
	if (out->len + n > OUTBUF) {
		char *error = flush_buffer(out);
		if (error)
			return error;
		if (n > OUTBUF)
			return write_all(out, data, n);
	}
	memcpy(out->buf + out->len, data, n);
	out->len += n;
	return NULL;
}

void output_write(struct output *out, const void *data, size_t n)
{
	char *error = output_try_write(out, data, n);
	if (error)
		die_of(error);
}

void output_puts(struct output *out, const char *s)
{
	output_write(out, s, strlen(s));
}

void output_printf(struct output *out, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("invalid format");
	if ((size_t)n < sizeof small) {
		output_write(out, small, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	output_write(out, big, (size_t)n);
	free(big);
}

/* The temporary file renamed to its path (without force, not over a file there by now). */
static char *put_in_place(struct output *out)
{
	int r = out->force ? rename(out->tmp, out->target) : rename_noreplace(out->tmp, out->target);
	if (r != 0) {
		if (errno == EEXIST)
			return failure(0, "'%s' already exists; use -f to overwrite it", out->name);
		return failure(errno, "cannot create '%s'", out->name);
	}
	exit_file_done(out->pending);
	free(out->tmp);
	out->tmp = NULL;	/* in place: nothing left to rename or remove */
	return NULL;
}

static void release(struct output *out)
{
	if (out->gz)
		libdeflate_free_compressor(out->gz);
	ZSTD_freeCCtx(out->zstd);
	free(out->packed);
	free(out->buf);
	free(out->tmp);
	free(out->target);
	out->gz = out->zstd = NULL;
	out->packed = out->buf = out->tmp = out->target = NULL;
}

/* The rest written: the buffer, and the end of a compressed file. */
static char *finish_file(struct output *out)
{
	char *error = flush_buffer(out);
	if (!error && out->gz && out->members == 0)	/* nothing written: still a gzip file */
		error = write_member(out, "", 0);
	if (!error && out->zstd)
		error = write_zstd(out, "", 0, ZSTD_e_end);
	return error;
}

/* Close the file, unless it is stdout; fd is -1 after, whatever close says. */
static char *close_file(struct output *out)
{
	int fd = out->fd;
	out->fd = -1;
	if (out->name == stdout_name || fd < 0 || close(fd) == 0)
		return NULL;
	return failure(errno, "cannot write '%s'", out->name);
}

char *output_try_close(struct output *out)
{
	char *error = finish_file(out);
	if (!error)
		error = close_file(out);
	if (!error && out->tmp)
		error = put_in_place(out);
	if (!error)
		release(out);
	return error;
}

void output_close(struct output *out)
{
	char *error = output_try_close(out);
	if (error)
		die_of(error);
}

char *output_abandon(struct output *out)
{
	char *kept = NULL;
	free(close_file(out));	/* what the file holds is written: a late error changes nothing */
	if (out->tmp) {
		char *error = put_in_place(out);
		free(error);
		if (error) {	/* its path was taken: it stays as it is */
			kept = xstrdup(out->tmp);
			exit_file_done(out->pending);
		}
	}
	if (!kept && out->name != stdout_name)
		kept = xstrdup(out->name);
	release(out);
	return kept;
}

void output_keep_partial(struct output *out)
{
	if (out->tmp)
		rename_on_exit(out->pending, out->target, out->force);
}

void output_discard(struct output *out)
{
	free(close_file(out));
	if (out->tmp) {
		unlink(out->tmp);
		exit_file_done(out->pending);
	}
	release(out);
}

noreturn void output_help(const char *text, ...)
{
	struct output out;
	va_list ap;
	output_open(&out, NULL, 0);
	va_start(ap, text);
	for (const char *s = text; s; s = va_arg(ap, const char *))
		output_puts(&out, s);
	va_end(ap);
	output_close(&out);
	exit(0);
}
