/*
 * fault_ctor - allocations outside main: 1231 bytes in a constructor,
 * 1234 in main, 1233 in an atexit handler and 1232 in a destructor, each
 * kept; so in time order 1231, 1234, 1233, 1232.
 */
#include <stdlib.h>

/* Kept allocations go here, so the compiler cannot drop them. */
static void *volatile kept;

__attribute__((constructor)) static void before_main(void)
{
	kept = malloc(1231);
}

__attribute__((destructor)) static void after_exit(void)
{
	kept = malloc(1232);
}

static void at_exit(void)
{
	kept = malloc(1233);
}

int main(void)
{
	atexit(at_exit);
	kept = malloc(1234);
	return 0;
}
