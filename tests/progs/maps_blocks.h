/*
 * maps_blocks.h - the body of maps_jemalloc and maps_tcmalloc: the same
 * blocks from an allocator that maps its own chunks.  64 blocks of
 * 1000 bytes, 16 of 100000 and 4 of 8 MiB (mapped apart by most
 * allocators) all live at once, then freed.  Peak: 64000 + 1600000 +
 * 33554432 = 35218432 bytes, in 84 allocations.
 */
#include <stdlib.h>
#include <string.h>

static void *block(size_t n)
{
	void *p = malloc(n);	/* MARK: block */
	if (!p)
		exit(1);
	memset(p, 1, n);
	return p;
}

int main(void)
{
	void *small[64], *medium[16], *large[4];
	for (int i = 0; i < 64; i++)
		small[i] = block(1000);
	for (int i = 0; i < 16; i++)
		medium[i] = block(100000);
	for (int i = 0; i < 4; i++)
		large[i] = block(8u << 20);
	for (int i = 0; i < 64; i++)
		free(small[i]);
	for (int i = 0; i < 16; i++)
		free(medium[i]);
	for (int i = 0; i < 4; i++)
		free(large[i]);
	return 0;
}
