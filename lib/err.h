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
/*
 * Every exit on error goes through mf_exit(status).  A program never sets
 * mf_exit_hook, so mf_exit() is exactly exit(status).  A fuzzing harness
 * (tests/fuzz/) sets it to a function that longjmps back to the harness,
 * so one bad input ends one run instead of the process; such a hook must
 * not return (if it does, mf_exit exits anyway).  In a build with
 * AddressSanitizer (make SANITIZE=1) it flushes stdio and calls _exit,
 * skipping the leak check that would report every error exit.
 */
extern void (*mf_exit_hook)(int status);
noreturn void mf_exit(int status);

/* Print "PROG: message", then the usage text, to stderr and exit 2. */
noreturn void usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The usage error for what getopt_long returned as c ('?' or ':', with an
 * option string starting with ':'): "unknown option '-x'" or "option
 * '--x' needs an argument".  A short option inside a group ("-fx") is
 * named alone.  Exits 2.
 */
noreturn void bad_option(const char *usage, int c, char **argv);

/*
 * Bytes of input quoted in a message, made harmless for a terminal: the
 * first n bytes of s (fewer if a NUL comes first; at most PRINTABLE_MAX),
 * with every byte that is not printable text written as \xHH: control
 * bytes (below 0x20, and 0x7f), bytes that are not valid UTF-8, and the
 * C1 controls U+0080 to U+009F.  So a capture cannot set the terminal's
 * title or colours through an error message.  A backslash stays as it is.
 * The result lives in one of four static buffers, reused by the fifth call
 * after it: enough for the quotes of one message.  Cannot fail.
 */
enum { PRINTABLE_MAX = 80 };
const char *printable(const char *s, size_t n);

/*
 * The files a program is writing and has not finished (the temporary
 * files of lib/output.h), any number at a time, from any thread: each is
 * removed when the program exits through mf_exit() or is killed by
 * SIGHUP, SIGINT or SIGTERM, whose handlers are installed here if the
 * program left them at their default.  The path is copied; the handle
 * stays valid to the end of the program.
 */
struct exit_file;
struct exit_file *remove_on_exit(const char *path);
/*
 * That file is renamed to keep_as instead of removed; over a file that
 * is there by then only if replace (-f), else it stays where it is.
 */
void rename_on_exit(struct exit_file *f, const char *keep_as, int replace);
/* The file is finished (put in place or removed): nothing to do at exit. */
void exit_file_done(struct exit_file *f);
/* Remove (or rename) every such file now; async-signal-safe, for a
 * signal handler. */
void remove_on_exit_now(void);
/*
 * rename(2), failing with EEXIST rather than replacing a file (link and
 * unlink where the file system has no RENAME_NOREPLACE); async-signal-safe.
 */
int rename_noreplace(const char *from, const char *to);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (of *cap elements of size elsize) so that it holds at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elsize);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
