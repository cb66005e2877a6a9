/*
 * maps_reserve.c - mappings that are address space first and memory
 * later: reserved PROT_NONE, committed and decommitted by mprotect,
 * unmapped and moved while partly committed.  argv[1] picks the case;
 * sizes are in pages.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long page;

static char *reserve(size_t pages)
{
	char *m = mmap(NULL, pages * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (m == MAP_FAILED)
		_exit(1);
	return m;
}

static void commit(char *at, size_t pages)
{
	if (mprotect(at, pages * page, PROT_READ | PROT_WRITE) != 0)	/* MARK: commit */
		_exit(1);
	memset(at, 1, pages * page);
}

static void decommit(char *at, size_t pages)
{
	if (mprotect(at, pages * page, PROT_NONE) != 0)
		_exit(1);
}

/* A V8-like heap: 1 GiB reserved, 8 MiB of it committed. */
static void gib(void)
{
	char *m = reserve((1u << 30) / page);
	commit(m + (64u << 20), (8u << 20) / page);
	munmap(m, 1u << 30);
}

/* 16 pages reserved, [4, 12) committed, [6, 8) given back and taken again. */
static void decommit_case(void)
{
	char *m = reserve(16);
	commit(m + 4 * page, 8);
	decommit(m + 6 * page, 2);
	/* Already memory: changes nothing. */
	if (mprotect(m + 8 * page, 4 * page, PROT_READ) != 0)
		_exit(1);
	commit(m + 6 * page, 2);
	munmap(m, 16 * page);
}

/* 16 pages reserved, [4, 12) committed, then [0, 8) and [8, 16) unmapped. */
static void munmap_case(void)
{
	char *m = reserve(16);
	commit(m + 4 * page, 8);
	munmap(m, 8 * page);
	munmap(m + 8 * page, 8 * page);
}

/*
 * 8 pages reserved, [2, 4) committed; shrunk in place to 3 pages (the
 * committed page 2 stays, page 3 goes); page 2 moved and grown to 3
 * pages; the reserved [0, 2) moved and grown to 4 pages, of which one is
 * then committed.
 */
static void mremap_case(void)
{
	char *m = reserve(8);
	commit(m + 2 * page, 2);
	if (mremap(m, 8 * page, 3 * page, 0) != m)
		_exit(1);
	char *q = mremap(m + 2 * page, page, 3 * page, MREMAP_MAYMOVE);
	char *r = mremap(m, 2 * page, 4 * page, MREMAP_MAYMOVE);
	if (q == MAP_FAILED || r == MAP_FAILED)
		_exit(1);
	commit(r + 3 * page, 1);
	munmap(q, 3 * page);
	munmap(r, 4 * page);
}

/*
 * The JVM's way: 16 pages reserved, [4, 8) committed by an mmap over
 * them, [4, 6) given back by a PROT_NONE mmap over it.
 */
static void fixed_case(void)
{
	const int fixed = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	char *m = reserve(16);
	char *c = mmap(m + 4 * page, 4 * page, PROT_READ | PROT_WRITE, fixed, -1, 0); /* MARK: fixed */
	char *d = mmap(m + 4 * page, 2 * page, PROT_NONE, fixed | MAP_NORESERVE, -1, 0);
	if (c == MAP_FAILED || d == MAP_FAILED)
		_exit(1);
	commit(m + 5 * page, 1);
	munmap(m, 16 * page);
}

/* MAP_NORESERVE alone changes nothing: an accessible mapping is memory. */
static void noreserve_case(void)
{
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		_exit(1);
	/* A file is not a reservation: mprotect of it commits nothing. */
	int fd = open("/proc/self/exe", O_RDONLY);
	char *f = mmap(NULL, page, PROT_NONE, MAP_PRIVATE, fd, 0);
	if (fd < 0 || f == MAP_FAILED || mprotect(f, page, PROT_READ) != 0)
		_exit(1);
	munmap(f, page);
	munmap(m, 4 * page);
}

int main(int argc, char **argv)
{
	page = sysconf(_SC_PAGESIZE);
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "gib"))
		gib();
	else if (!strcmp(argv[1], "decommit"))
		decommit_case();
	else if (!strcmp(argv[1], "munmap"))
		munmap_case();
	else if (!strcmp(argv[1], "mremap"))
		mremap_case();
	else if (!strcmp(argv[1], "fixed"))
		fixed_case();
	else if (!strcmp(argv[1], "noreserve"))
		noreserve_case();
	else
		return 2;
	return 0;
}
