/*
 * track.c - what a whole filter leaves behind when an error longjmps out
 * of its main (fuzz_prog.c): its heap blocks, gzip streams and file
 * descriptors.  The filter and lib objects are linked with
 * -Wl,--wrap=malloc,... so their allocations pass through here and are
 * remembered until freed; fuzz_track_release() frees what is left, closes
 * the gzip streams and every descriptor opened since fuzz_track_begin().
 * Without it the fuzzer runs out of memory and descriptors within seconds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "hash.h"
#include "track.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
gzFile __real_gzdopen(int fd, const char *mode);
int __real_gzclose(gzFile gz);

static struct hash blocks, streams;
static int inside;	/* the tables' own allocations are not tracked */
static char fd_open[4096];

static void remember(struct hash *h, void *p)
{
	if (!p || inside)
		return;
	inside = 1;
	hash_put(h, (uint64_t)(uintptr_t)p, NULL);
	inside = 0;
}

static void forget(struct hash *h, void *p)
{
	if (!p || inside)
		return;
	inside = 1;
	hash_remove(h, (uint64_t)(uintptr_t)p, NULL);
	inside = 0;
}

void *__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);
	remember(&blocks, p);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);
	remember(&blocks, p);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p = __real_realloc(old, n);
	if (p) {
		forget(&blocks, old);
		remember(&blocks, p);
	}
	return p;
}

void __wrap_free(void *p)
{
	forget(&blocks, p);
	__real_free(p);
}

gzFile __wrap_gzdopen(int fd, const char *mode)
{
	gzFile gz = __real_gzdopen(fd, mode);
	remember(&streams, gz);
	return gz;
}

int __wrap_gzclose(gzFile gz)
{
	forget(&streams, gz);
	return __real_gzclose(gz);
}

static void list_fds(char *open_fds)
{
	memset(open_fds, 0, sizeof fd_open);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) < (int)sizeof fd_open)
			open_fds[atoi(e->d_name)] = 1;
	if (d) {
		open_fds[dirfd(d)] = 0;
		closedir(d);
	}
}

void fuzz_track_begin(void)
{
	list_fds(fd_open);
}

static void release_all(struct hash *h, int gz)
{
	inside = 1;
	for (size_t i = 0; h->slots && i <= h->mask; i++)
		if (h->slots[i].key != HASH_EMPTY) {
			void *p = (void *)(uintptr_t)h->slots[i].key;
			if (gz)
				__real_gzclose(p);
			else
				__real_free(p);
		}
	hash_release(h);
	memset(h, 0, sizeof *h);
	inside = 0;
}

void fuzz_track_release(void)
{
	release_all(&streams, 1);
	release_all(&blocks, 0);
	char now[sizeof fd_open];
	list_fds(now);
	for (size_t fd = 3; fd < sizeof now; fd++)
		if (now[fd] && !fd_open[fd])
			close((int)fd);
}
