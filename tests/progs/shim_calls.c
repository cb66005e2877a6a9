/*
 * shim_calls - every function the shim intercepts, once, between two
 * marker allocations (malloc(11111) ... malloc(22222)), so a test can cut
 * exactly these events out of a recording.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	void *p;
	char *q;

	free(malloc(11111));
	p = malloc(100);
	free(p);
	p = calloc(3, 7);
	p = realloc(p, 200);
	p = realloc(p, 300000);
	free(p);
	void *volatile null = NULL;
	volatile size_t huge = (size_t)-1 / 2;
	p = realloc(null, 40);
	if (realloc(p, 0) != NULL)
		return 1;
	p = reallocarray(null, 5, 6);
	p = reallocarray(p, 7, 8);
	free(p);
	if (reallocarray(null, huge, 16) != NULL || realloc(NULL, huge) != NULL)
		return 1;
	free(NULL);
	if (posix_memalign(&p, 64, 50) != 0)
		return 1;
	free(p);
	free(aligned_alloc(128, 256));
	free(memalign(32, 60));
	free(valloc(70));
	free(pvalloc(80));
	q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = mremap(q, 8192, 3 * 4096, MREMAP_MAYMOVE);
	munmap(q, 3 * 4096);
	int fd = open("/proc/self/exe", O_RDONLY);
	void *file = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	munmap(file, 4096);
	close(fd);
	q = mmap64(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(q, 4096);
	p = malloc(90);
	if (realloc(p, huge) != NULL)
		return 1;
	free(p);
	free(malloc(22222));
	return 0;
}
