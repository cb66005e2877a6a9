/*
 * rec_double_free.c abort|survive - free a block twice.
 *
 * abort: free(p); free(p): glibc's tcache sees the second free and aborts
 * (SIGABRT), after the tracker has recorded it.
 * survive: seven blocks of p's size fill the tcache first, so p and q go
 * to a fastbin, where glibc only checks the block on top: free(p),
 * free(q), free(p) passes, and the program exits 0.  Nothing of p's size
 * is allocated after (the fastbin now holds p twice).
 */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	/* volatile: the compiler must make every call, even the wrong ones. */
	void *volatile p = malloc(40);
	if (strcmp(argv[1], "abort") == 0) {
		free(p);
		free(p);
		return 0;
	}
	void *volatile q = malloc(40);
	void *fill[7];
	for (int i = 0; i < 7; i++)
		fill[i] = malloc(40);
	for (int i = 0; i < 7; i++)
		free(fill[i]);
	free(p);
	free(q);
	free(p);
	return 0;
}
