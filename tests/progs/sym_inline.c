/*
 * sym_inline - inlined calls, built with -O2 (tests/tools/build.mk):
 * outer() is expanded into main(), inner() into outer(), so one return
 * address stands for three frames.
 */
#include "sym_common.h"

static volatile int counter;

static inline __attribute__((always_inline)) void inner(void)
{
	sym_pc("inlined");
	counter++;
}

static inline __attribute__((always_inline)) void outer(void)
{
	inner();
	counter++;
}

int main(void)
{
	sym_print_modules();
	outer();
	counter++;
	return 0;
}
