/*
 * sym_strip - static functions that allocate from several call sites,
 * recorded stripped of every symbol (sym_strip_stripped,
 * tests/symbolize.bats): each function is then one frame, named by its
 * start, however many call sites it has.  Leaks 10 + 11 + 20 + 21 bytes.
 */
#include <stdlib.h>

__attribute__((noinline)) static void *two_blocks(size_t n)
{
	void *keep = malloc(n + 1);

	(void)keep;
	return malloc(n);
}

int main(void)
{
	two_blocks(10);
	two_blocks(20);
	return 0;
}
