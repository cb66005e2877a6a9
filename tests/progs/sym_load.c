/*
 * sym_load - a library whose file changes after it is loaded, for
 * mf-record's module files (tests/symbolize.bats):
 *
 *	sym_load swap LIB OTHER	load LIB, rename OTHER over it, allocate in it
 *	sym_load fifo LIB	load LIB, put a FIFO at its path, allocate in it
 *	sym_load chdir DIR LIB	go to DIR, load ./LIB, allocate in it
 *	sym_load hold LIB [OTHER]	load LIB, rename OTHER over it, print
 *				its modules and the address of
 *				sym_load_entry + 1 as tests/tools/symtest
 *				reads them (sym_common.h), close stdout,
 *				and wait for the end of stdin
 *
 * swap and chdir then wait (10 s at most) until the recorder, their
 * parent, has the library's file open or mapped: the recorder must open
 * it while the program maps it, and this makes sure it had the chance.
 * fifo stops the recorder (SIGSTOP) from before the library is loaded
 * until its path is a FIFO, so that the recorder hears of the library
 * only then.
 */
#include "sym_common.h"

#include <dirent.h>
#include <errno.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* Whether the parent has the file (dev, ino) open. */
static int parent_has_open(dev_t dev, ino_t ino)
{
	char dir[64], path[400];
	struct dirent *e;
	struct stat st;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)getppid());
	if (!(d = opendir(dir)))
		return 0;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		found = e->d_name[0] != '.' && stat(path, &st) == 0 &&
			st.st_dev == dev && st.st_ino == ino;
	}
	closedir(d);
	return found;
}

/* Whether the parent maps the file (dev, ino). */
static int parent_has_mapped(dev_t dev, ino_t ino)
{
	char name[64], line[4096];
	unsigned maj, min;
	unsigned long long inode;
	int found = 0;
	FILE *f;

	snprintf(name, sizeof name, "/proc/%d/maps", (int)getppid());
	if (!(f = fopen(name, "r")))
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &maj, &min, &inode) == 3 &&
			inode == ino && makedev(maj, min) == dev;
	fclose(f);
	return found;
}

static int wait_for_recorder(const struct stat *lib)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 10000; i++) {
		if (parent_has_open(lib->st_dev, lib->st_ino) ||
		    parent_has_mapped(lib->st_dev, lib->st_ino))
			return 0;
		nanosleep(&ms, NULL);
	}
	fprintf(stderr, "sym_load: the recorder never opened the library\n");
	return 1;
}

/* The recorder is stopped (fifo): never leave it so, even on an error. */
static int parent_stopped;

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "sym_load: %s: %s\n", what, why);
	if (parent_stopped)
		kill(getppid(), SIGCONT);
	return 1;
}

/* hold: the program maps LIB while symtest --pid looks at it. */
static int hold(void *(*entry)(size_t))
{
	char c;

	sym_print_modules();
	sym_print("lib", (const char *)(uintptr_t)entry + 1);
	fclose(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int held = !strcmp(mode, "hold") && (argc == 3 || argc == 4);
	int swap = (!strcmp(mode, "swap") && argc == 4) || (held && argc == 4);
	int fifo = !strcmp(mode, "fifo") && argc == 3;
	int in_dir = !strcmp(mode, "chdir") && argc == 4;
	const char *path = in_dir ? argv[3] : argv[2];
	void *(*entry)(size_t) = NULL;
	struct stat lib;
	void *h;

	if (!swap && !fifo && !in_dir && !held) {
		fprintf(stderr, "usage: sym_load swap LIB OTHER | fifo LIB | chdir DIR LIB | hold LIB [OTHER]\n");
		return 2;
	}
	if (in_dir && chdir(argv[2]) != 0)
		return fail(argv[2], strerror(errno));
	if (fifo && kill(getppid(), SIGSTOP) != 0)
		return fail("SIGSTOP", strerror(errno));
	parent_stopped = fifo;
	if (!(h = dlopen(path, RTLD_NOW)) ||
	    !(entry = (void *(*)(size_t))dlsym(h, "sym_load_entry")))
		return fail(path, dlerror());
	if (stat(path, &lib) != 0)
		return fail(path, strerror(errno));
	if (swap && rename(argv[3], path) != 0)
		return fail(argv[3], strerror(errno));
	if (fifo && (unlink(path) != 0 || mkfifo(path, 0600) != 0))
		return fail(path, strerror(errno));
	if (fifo && kill(getppid(), SIGCONT) != 0)
		return fail("SIGCONT", strerror(errno));
	parent_stopped = 0;
	if (held)
		return hold(entry);
	free(entry(4242));
	return fifo ? 0 : wait_for_recorder(&lib);
}
