/*
 * rec_realloc.c - realloc's edge cases: realloc(NULL, n) is only an
 * allocation, realloc(p, 0) only a free, and a growing chain is a free
 * and an allocation per step; a realloc that fails is nothing.
 */
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
	char *volatile null = NULL;	/* or GCC makes realloc(NULL, n) malloc(n) */
	char *p = realloc(null, 100);
	p = realloc(p, 200);
	p = realloc(p, 300);
	p = realloc(p, 400);
	if (realloc(p, SIZE_MAX / 2) != NULL)	/* fails: p stays as it was */
		return 1;
	p = realloc(p, 0);	/* frees; glibc returns NULL */
	free(p);
	return 0;
}
