/*
 * rec_mremap.c - mremap of part of a mapping: a mapping of 4 pages whose
 * second page is moved elsewhere and grown to 3 pages (MREMAP_MAYMOVE),
 * then everything unmapped.  The pages around the moved one stay mapped
 * and stay counted.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	/* Page 2 follows page 1, so page 1 cannot grow where it is: it moves. */
	char *q = mremap(m + page, page, 3 * page, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return 1;
	munmap(q, 3 * page);
	munmap(m, 4 * page);
	return 0;
}
