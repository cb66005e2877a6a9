/*
 * rec_basic.c - exactly N allocations of a known size from a known
 * function and line: make_block() allocates 12345 bytes, N times (argv[1],
 * default 7), and everything is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *make_block(void)
{
	char *p = malloc(12345);	/* MARK: make_block */
	if (p)
		memset(p, 1, 12345);
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 7;
	char **blocks = calloc((size_t)n, sizeof *blocks);	/* MARK: main calloc */
	for (int i = 0; i < n; i++)
		blocks[i] = make_block();	/* MARK: main calls make_block */
	for (int i = 0; i < n; i++)
		free(blocks[i]);
	free(blocks);
	return 0;
}
