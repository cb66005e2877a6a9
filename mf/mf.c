/*
 * mf - the front door, in memray's words: "mf run" records a program ("mf
 * attach" one already running) and "mf flamegraph" turns a capture into an
 * HTML report, by running the
 * filters (mf-record, mf-peak, mf-leaks, mf-fold, mf-invert, mf-temporal,
 * mf-html) found in the directory of mf's own executable.
 *
 * This file reads the verb and finds the programs; mf.h lists the files
 * that do the rest.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mf.h"
#include "output.h"

static const char usage_main[] =
	"usage: mf run [mf-record options] PROGRAM [ARGS...]\n"
	"       mf flamegraph [options] CAPTURE...\n"
	"       mf attach [mf-record options] PID\n"
	"       mf --help | mf run --help | mf attach --help | mf flamegraph --help\n";

static const char help_main[] =
	"mf records every heap allocation of a program and draws memory flame graphs.\n"
	"\n"
	"  run          run PROGRAM under mf-record; the capture goes to\n"
	"               mf-PROGRAM.PID.mft.zst (PID: mf's own process id) unless -o\n"
	"  attach       record the running process PID with mf-record -p until it\n"
	"               ends or ^C; the capture goes to mf-NAME.PID.mft.zst unless -o\n"
	"  flamegraph   write an HTML flame graph of a capture: peak memory by\n"
	"               default, or leaks, or temporary allocations\n"
	"\n"
	"Each verb is a pipeline of the mf-* filters in mf's directory; see\n"
	"'mf run --help', 'mf attach --help' and 'mf flamegraph --help'.\n";

char bindir[PATH_MAX];

/* The directory of /proc/self/exe: where the sibling mf-* programs are. */
static void find_bindir(void)
{
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
	if (n < 0)
		die_errno("cannot read '/proc/self/exe'");
	bindir[n] = '\0';
	char *slash = strrchr(bindir, '/');
	if (slash)
		*slash = '\0';
}

/* mf flamegraph runs at most five programs (with --diff), mf run one: eight is plenty. */
char *sibling(const char *name)
{
	static char paths[8][PATH_MAX];
	static int used;
	if (used == (int)(sizeof paths / sizeof paths[0]))
		die("internal error: too many programs to run");
	char *path = paths[used];
	if (snprintf(path, PATH_MAX, "%s/%s", bindir, name) >= PATH_MAX)
		die("cannot find '%s/%s': the path is too long", bindir, name);
	if (access(path, X_OK) != 0)
		return NULL;
	used++;
	return path;
}

char *need_sibling(const char *name)
{
	char *path = sibling(name);
	if (!path)
		die("cannot find '%s/%s': mf runs the mf-* programs installed beside it", bindir, name);
	return path;
}

const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

int main(int argc, char **argv)
{
	set_progname("mf");
	if (argc < 2)
		usage_error(usage_main, "expected a command: run, attach or flamegraph");
	const char *verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0)
		output_help(usage_main, "\n", help_main, NULL);
	find_bindir();
	pass_signals_on();
	if (strcmp(verb, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(verb, "flamegraph") == 0)
		return cmd_flamegraph(argc - 1, argv + 1);
	if (strcmp(verb, "attach") == 0)
		return cmd_attach(argc - 1, argv + 1);
	usage_error(usage_main, "unknown command '%s'", verb);
}
