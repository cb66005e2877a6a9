/*
 * rec_deep.c - one allocation of 777 bytes 300 calls deep, deeper than the
 * 128 frames the recorder keeps.
 */
#include <stdlib.h>

static void *recurse(int depth)
{
	if (depth == 0)
		return malloc(777);	/* MARK: leaf */
	void *p = recurse(depth - 1);	/* MARK: recurse */
	return p;
}

int main(void)
{
	free(recurse(300));
	return 0;
}
