/*
 * err.h - one error idiom for every mf program.
 *
 * Messages follow "PROG: message" (lower case, no final full stop, the
 * subject quoted).  Exit status is 1 for runtime and input errors and 2 for
 * usage errors, everywhere.  The x*alloc functions never return NULL: they
 * die with "out of memory" instead.
 */
#ifndef MF_ERR_H
#define MF_ERR_H

#include <stddef.h>
#include <stdnoreturn.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

/* The program name used as the prefix of every message; set from argv[0]. */
extern const char *progname;
void set_progname(const char *argv0);

/* Print "PROG: message" to stderr and exit 1. */
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with ": strerror(errno)" appended. */
noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "PROG: message" to stderr and carry on. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "PROG: message", then the usage text, to stderr and exit 2. */
noreturn void usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (of *cap elements of size elsize) so that it holds at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elsize);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
