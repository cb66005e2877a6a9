/* err.c - messages, exits and allocation that cannot fail. */
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *progname = "mf";
void (*mf_exit_hook)(int status);

noreturn void mf_exit(int status)
{
	remove_on_exit_now();
	if (mf_exit_hook)
		mf_exit_hook(status);
#ifdef __SANITIZE_ADDRESS__
	/* make SANITIZE=1: an error exit leaves the tables allocated on
	 * purpose, and LeakSanitizer's check at exit would call them leaks. */
	fflush(NULL);
	_exit(status);
#endif
	exit(status);
}

void set_progname(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (argv0)
		progname = slash ? slash + 1 : argv0;
}

static void vmessage(const char *fmt, va_list ap, int errnum)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
	mf_exit(EXIT_INPUT);
}

noreturn void die_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, errnum);
	va_end(ap);
	mf_exit(EXIT_INPUT);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
}

noreturn void usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
	fputs(usage, stderr);
	mf_exit(EXIT_USAGE);
}

noreturn void bad_option(const char *usage, int c, char **argv)
{
	const char *opt = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, 0 };
	/* For a short option inside a group ("-xo"), argv names the group. */
	if (optopt && strncmp(opt, "--", 2) != 0)
		opt = shortopt;
	if (c == ':')
		usage_error(usage, "option '%s' needs an argument", opt);
	usage_error(usage, "unknown option '%s'", opt);
}

/* The length of the valid UTF-8 character at s (n bytes left) that is
 * printable text, or 0: an ASCII control, a C1 control, a bad sequence. */
static size_t text_char_len(const unsigned char *s, size_t n)
{
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	size_t len = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		     s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (s[0] == 0xc2 && s[1] < 0xa0)	/* U+0080..U+009F */
		return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f) || (s[0] == 0xed && s[1] > 0x9f))
		return 0;	/* overlong, beyond U+10FFFF, or a surrogate */
	return len;
}

const char *printable(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	static char bufs[4][PRINTABLE_MAX * 4 + 1];
	static unsigned next;
	char *out = bufs[next++ % 4], *o = out;
	const unsigned char *p = (const unsigned char *)s;
	n = strnlen(s, n < PRINTABLE_MAX ? n : PRINTABLE_MAX);
	for (size_t i = 0; i < n;) {
		size_t len = text_char_len(p + i, n - i);
		if (len) {
			memcpy(o, p + i, len);
			o += len;
			i += len;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
		i++;
	}
	*o = '\0';
	return out;
}

/*
 * The files to remove or rename at exit: a list that only grows, whose
 * entries are reused once done, so that a signal handler walking it (in
 * whatever thread the signal came to) never meets freed memory.  Whoever
 * changes an entry first claims it (EXIT_BUSY) and publishes the new
 * state last; a handler skips an entry another thread holds, so a file
 * whose state is being changed at that very moment stays as it is.
 */
enum { EXIT_FREE, EXIT_BUSY, EXIT_REMOVE, EXIT_RENAME, EXIT_REPLACE };

struct exit_file {
	atomic_int state;
	struct exit_file *next;	/* set before the entry is on the list, then never */
	char path[PATH_MAX], keep_as[PATH_MAX];
};

static _Atomic(struct exit_file *) exit_files;

int rename_noreplace(const char *from, const char *to)
{
	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() refuses a name too. */
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

void remove_on_exit_now(void)
{
	int saved = errno;
	for (struct exit_file *f = atomic_load(&exit_files); f; f = f->next) {
		int state = atomic_exchange(&f->state, EXIT_BUSY);
		if (state == EXIT_BUSY)
			continue;	/* another thread's, mid-change: its own */
		if (state == EXIT_REMOVE)
			unlink(f->path);
		else if (state == EXIT_RENAME)
			rename_noreplace(f->path, f->keep_as);
		else if (state == EXIT_REPLACE)
			rename(f->path, f->keep_as);
		atomic_store(&f->state, EXIT_FREE);
	}
	errno = saved;
}

static void remove_and_reraise(int sig)
{
	remove_on_exit_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Checked before an entry is claimed: dying with one held would leave its file. */
static void check_path(const char *path)
{
	if (strlen(path) >= PATH_MAX)
		die("'%s': the name is too long", path);
}

/* An entry claimed for the caller: a free one, or a new one on the list. */
static struct exit_file *claim_exit_file(void)
{
	for (struct exit_file *f = atomic_load(&exit_files); f; f = f->next) {
		int free_state = EXIT_FREE;
		if (atomic_compare_exchange_strong(&f->state, &free_state, EXIT_BUSY))
			return f;
	}
	struct exit_file *f = xcalloc(1, sizeof *f);
	atomic_init(&f->state, EXIT_BUSY);
	f->next = atomic_load(&exit_files);
	while (!atomic_compare_exchange_weak(&exit_files, &f->next, f))
		;
	return f;
}

struct exit_file *remove_on_exit(const char *path)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	check_path(path);
	struct exit_file *f = claim_exit_file();
	strcpy(f->path, path);
	atomic_store(&f->state, EXIT_REMOVE);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(sigs[i], remove_and_reraise);
	}
	return f;
}

void rename_on_exit(struct exit_file *f, const char *keep_as, int replace)
{
	check_path(keep_as);
	atomic_store(&f->state, EXIT_BUSY);
	strcpy(f->keep_as, keep_as);
	atomic_store(&f->state, replace ? EXIT_REPLACE : EXIT_RENAME);
}

void exit_file_done(struct exit_file *f)
{
	atomic_store(&f->state, EXIT_FREE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elsize)
{
	size_t n = *cap;
	if (need <= n)
		return p;
	if (n < 16)
		n = 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			die("out of memory");
		n *= 2;
	}
	if (n > SIZE_MAX / elsize)
		die("out of memory");
	*cap = n;
	return xrealloc(p, n * elsize);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
