/*
 * rec_allocators.c - every allocator mf-record names, once each, with a
 * size that says which call it was; all freed before exit.
 */
#define _GNU_SOURCE	/* mremap */
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	void *p[16];
	void *volatile null = NULL;	/* or GCC makes realloc(NULL, n) malloc(n) */
	int n = 0;
	p[n++] = malloc(1001);
	p[n++] = calloc(10, 101);			/* 1010 */
	p[n++] = realloc(null, 1002);
	p[n++] = reallocarray(NULL, 1, 1003);
	if (posix_memalign(&p[n], 64, 1004) == 0)
		n++;
	p[n++] = aligned_alloc(64, 1024);
	p[n++] = memalign(64, 1005);
	p[n++] = valloc(1006);
	p[n++] = pvalloc(1007);
	for (int i = 0; i < n; i++)
		free(p[i]);

	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	m = mremap(m, 4 * page, 8 * page, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		return 1;
	munmap(m, 8 * page);
	return 0;
}
