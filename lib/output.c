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

/* lstat's ENAMETOOLONG on path: which name is too long, and by how much. */
static noreturn void die_name_too_long(const char *path)
{
	size_t len, max;
	if (output_name_too_long(path, &len, &max))
		die("cannot create '%s': its name is %zu bytes long, more than the %zu "
		    "its directory takes", path, len, max);
	die_errno("cannot create '%s'", path);
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
static void open_temp(struct output *out, const char *target, const struct stat *like)
{
	out->target = xstrdup(target);
	out->tmp = temp_name(target);
	out->fd = mkostemp(out->tmp, O_CLOEXEC);
	if (out->fd < 0)
		die_errno("cannot create '%s'", out->name);
	out->pending = remove_on_exit(out->tmp);
	if (like && (like->st_uid != geteuid() || like->st_gid != getegid()))
		(void)!fchown(out->fd, like->st_uid, like->st_gid);
	if (fchmod(out->fd, like ? like->st_mode & 0777 : new_file_mode()) != 0)
		die_errno("cannot create '%s'", out->name);
}

/* A device, a FIFO, a dangling link: no temporary file, no truncation. */
static void open_in_place(struct output *out, const char *path)
{
	out->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (out->fd < 0)
		die_errno("cannot create '%s'", path);
}

static void open_zstd(struct output *out)
{
	out->zstd = ZSTD_createCCtx();
	if (!out->zstd)
		die("cannot create '%s': out of memory", out->name);
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
		die("cannot create '%s': %s", out->name, ZSTD_getErrorName(err));
	out->packed_cap = ZSTD_CStreamOutSize();
	out->packed = xmalloc(out->packed_cap);
}

void output_open(struct output *out, const char *path, int force)
{
	memset(out, 0, sizeof *out);
	out->buf = xmalloc(OUTBUF);
	if (!path || strcmp(path, "-") == 0) {
		out->name = stdout_name;
		out->fd = 1;
		return;
	}
	out->name = path;
	out->force = force;
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENAMETOOLONG)
			die_name_too_long(path);
		if (errno != ENOENT)
			die_errno("cannot create '%s'", path);
		open_temp(out, path, NULL);
	} else if (!force) {
		die("'%s' already exists; use -f to overwrite it", path);
	} else if (S_ISREG(st.st_mode)) {
		open_temp(out, path, &st);
	} else if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		char *file = realpath(path, NULL);
		if (!file)
			die_errno("cannot create '%s'", path);
		open_temp(out, file, &st);
		free(file);
	} else {
		open_in_place(out, path);
	}
	if (ends_with(path, ".gz")) {
		out->gz = libdeflate_alloc_compressor(1);
		if (!out->gz)
			die("cannot create '%s': out of memory", path);
		out->packed_cap = libdeflate_gzip_compress_bound(out->gz, MEMBER_MAX);
		out->packed = xmalloc(out->packed_cap);
	} else if (ends_with(path, ".zst")) {
		open_zstd(out);
	}
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

static void write_fd(struct output *out, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(out->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die_errno("cannot write '%s'", out->name);
		p += w;
		n -= (size_t)w;
		out->written += w;
	}
	if (out->drop)
		drop_behind(out);
}

/* One gzip member of n bytes (at most MEMBER_MAX). */
static void write_member(struct output *out, const char *p, size_t n)
{
	size_t packed = libdeflate_gzip_compress(out->gz, p, n, out->packed, out->packed_cap);
	if (packed == 0)
		die("cannot write '%s': compression failed", out->name);
	write_fd(out, out->packed, packed);
	out->members++;
}

/*
 * Compress n bytes into the zstd frame (end: and finish it), writing what
 * comes out.  mode ZSTD_e_continue keeps up to a block inside libzstd.
 */
static void write_zstd(struct output *out, const char *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;
	do {
		ZSTD_outBuffer o = { out->packed, out->packed_cap, 0 };
		left = ZSTD_compressStream2(out->zstd, &o, &in, mode);
		if (ZSTD_isError(left))
			die("cannot write '%s': compression failed: %s", out->name,
			    ZSTD_getErrorName(left));
		write_fd(out, out->packed, o.pos);
	} while (mode == ZSTD_e_continue ? in.pos < in.size : left != 0);
}

static void write_all(struct output *out, const char *p, size_t n)
{
	if (out->zstd) {
		write_zstd(out, p, n, ZSTD_e_continue);
		return;
	}
	if (!out->gz) {
		write_fd(out, p, n);
		return;
	}
	while (n) {
		size_t chunk = n > MEMBER_MAX ? MEMBER_MAX : n;
		write_member(out, p, chunk);
		p += chunk;
		n -= chunk;
	}
}

void output_flush(struct output *out)
{
	write_all(out, out->buf, out->len);
	out->len = 0;
}

void output_write(struct output *out, const void *data, size_t n)
{
	if (out->len + n > OUTBUF) {
		output_flush(out);
		if (n > OUTBUF) {
			write_all(out, data, n);
			return;
		}
	}
	memcpy(out->buf + out->len, data, n);
	out->len += n;
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

static void put_in_place(struct output *out)
{
	int r = out->force ? rename(out->tmp, out->target) : rename_noreplace(out->tmp, out->target);
	if (r != 0) {
		if (errno == EEXIST)
			die("'%s' already exists; use -f to overwrite it", out->name);
		die_errno("cannot create '%s'", out->name);
	}
	exit_file_done(out->pending);
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

void output_close(struct output *out)
{
	output_flush(out);
	if (out->gz && out->members == 0)	/* nothing written: still a gzip file */
		write_member(out, "", 0);
	if (out->zstd)
		write_zstd(out, "", 0, ZSTD_e_end);
	if (out->name != stdout_name && close(out->fd) != 0)
		die_errno("cannot write '%s'", out->name);
	if (out->tmp)
		put_in_place(out);
	release(out);
}

void output_keep_partial(struct output *out)
{
	if (out->tmp)
		rename_on_exit(out->pending, out->target, out->force);
}

void output_discard(struct output *out)
{
	if (out->name != stdout_name)
		close(out->fd);
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
