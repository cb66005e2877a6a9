/*
 * rec_munmap.c - partial unmapping: a mapping of 8 pages loses its first
 * page, then a middle page (leaving two parts), then everything; then a
 * munmap of memory that was never tracked.
 */
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	munmap(m, page);			/* 7 pages stay: [1, 8) */
	munmap(m + 4 * page, page);		/* [1, 4) and [5, 8) stay */
	munmap(m, 8 * page);			/* both parts go */
	/* Memory no longer tracked: an untracked free. */
	munmap(m, page);
	return 0;
}
