/* err.c - messages, exits and allocation that cannot fail. */
#include "err.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static char remove_path[PATH_MAX], keep_path[PATH_MAX];
static volatile sig_atomic_t remove_armed, keep_armed;

void remove_on_exit_now(void)
{
	if (remove_armed && keep_armed)
		rename(remove_path, keep_path);
	else if (remove_armed)
		unlink(remove_path);
	remove_armed = 0;
}

static void remove_and_reraise(int sig)
{
	remove_on_exit_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void copy_path(char *to, const char *path)
{
	if (strlen(path) >= PATH_MAX)
		die("'%s': the name is too long", path);
	strcpy(to, path);
}

void rename_on_exit(const char *path, const char *keep_as)
{
	remove_on_exit(path);
	if (!path)
		return;
	remove_armed = 0;
	copy_path(keep_path, keep_as);
	keep_armed = 1;
	remove_armed = 1;
}

void remove_on_exit(const char *path)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	remove_armed = 0;
	keep_armed = 0;
	if (!path)
		return;
	copy_path(remove_path, path);
	remove_armed = 1;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(sigs[i], remove_and_reraise);
	}
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
