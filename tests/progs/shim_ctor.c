/* shim_ctor - the program's first allocation is a calloc in a constructor. */
#include <stdlib.h>

static int *early;

__attribute__((constructor)) static void first(void)
{
	early = calloc(1, 4242);
}

int main(void)
{
	free(early);
	return 0;
}
