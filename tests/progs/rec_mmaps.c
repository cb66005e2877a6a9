/*
 * rec_mmaps.c [N] - a table of N pointers, mapped, then N one-page
 * anonymous mappings (default 200000), then munmap of half of them:
 * maps[j] for j % 4 < 2, in order, so that the kernel keeps one area per
 * two pages left (well under vm.max_map_count).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	long page = sysconf(_SC_PAGESIZE);
	char **maps = mmap(NULL, (size_t)n * sizeof *maps, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (maps == MAP_FAILED)
		return 1;
	for (long i = 0; i < n; i++) {
		maps[i] = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			return 1;
	}
	for (long i = 0; i < n; i++)
		if (i % 4 < 2 && munmap(maps[i], (size_t)page) != 0)
			return 1;
	return 0;
}
