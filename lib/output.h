/*
 * output.h - where a program's result goes: stdout, or a file given with -o.
 *
 * A file is created only if it does not exist, unless force is set (the -f
 * of every mf program); a name ending in ".gz" is gzip-compressed.  Writes
 * are buffered; any write error (a full disk, a closed pipe) is fatal and
 * names the file, so a result is never silently truncated.  output_close()
 * flushes and checks: call it before exit 0.
 */
#ifndef MF_OUTPUT_H
#define MF_OUTPUT_H

#include <stddef.h>

struct output {
	const char *name;	/* the path, or "standard output" */
	/* private */
	int fd;
	void *gz;		/* the libdeflate compressor of a .gz file */
	char *packed;		/* a compressed member */
	size_t packed_cap;
	unsigned long members;	/* members written */
	char *buf;
	size_t len;
};

/* path NULL or "-" means stdout.  Dies with a clear message on failure. */
void output_open(struct output *out, const char *path, int force);
void output_write(struct output *out, const void *data, size_t n);
void output_puts(struct output *out, const char *s);
void output_printf(struct output *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Push buffered bytes to the file (not fsync). Dies on error. */
void output_flush(struct output *out);
/* Flush, finish the gzip file, close. Dies on error. */
void output_close(struct output *out);

#endif
