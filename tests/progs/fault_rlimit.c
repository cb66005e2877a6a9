/*
 * fault_rlimit - a program that limits its own address space (RLIMIT_AS)
 * to 1 GB, then tries 100 times to allocate 64 MB and keep it; prints how
 * many succeeded.  A recorder's own mappings must not eat that room: the
 * count is the same with or without it (the recorder's few megabytes of
 * libraries and rings are well under one 64 MB block).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit lim = { 1ul << 30, 1ul << 30 };
	if (setrlimit(RLIMIT_AS, &lim) != 0)
		return 2;
	int ok = 0;
	for (int i = 0; i < 100; i++)
		if (malloc(64ul << 20))
			ok++;
	printf("%d\n", ok);
	return 0;
}
