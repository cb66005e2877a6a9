/*
 * fault_deep - recurses 10000 calls deep in dive() and allocates 9991
 * bytes there: far deeper than the recorder keeps.
 */
#include <stdlib.h>

static void *dive(int n)
{
	if (n == 0)
		return malloc(9991);
	void *p = dive(n - 1);
	/* Work after the call keeps it from becoming a jump. */
	return (char *)p + (n < 0);
}

int main(void)
{
	free(dive(10000));
	return 0;
}
