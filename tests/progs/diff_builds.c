/*
 * diff_builds - one program, two builds (diff.bats): built as it is, the
 * base; built with -DNEW (diff_builds_new), the new one.  From base to new
 * grow's block grows, shrink's shrinks, stay's stays, vanish's is no more
 * made and appear's is new.  Every call is on the same line in both
 * builds, so that the stacks of the two builds are the same text.
 */
#include <stdlib.h>

#ifdef NEW
enum { GROW = 3000, SHRINK = 2000, VANISH = 0, APPEAR = 900 };
#else
enum { GROW = 1000, SHRINK = 4000, VANISH = 700, APPEAR = 0 };
#endif

/* Every block stays live to the end, so the peak holds them all. */
static void *keep[5];

__attribute__((noinline)) static void grow(size_t n) { keep[0] = malloc(n); }
__attribute__((noinline)) static void shrink(size_t n) { keep[1] = malloc(n); }
__attribute__((noinline)) static void stay(size_t n) { keep[2] = malloc(n); }
__attribute__((noinline)) static void vanish(size_t n) { keep[3] = malloc(n); }
__attribute__((noinline)) static void appear(size_t n) { keep[4] = malloc(n); }

int main(void)
{
	grow(GROW);
	shrink(SHRINK);
	stay(500);
	if (VANISH)
		vanish(VANISH);
	if (APPEAR)
		appear(APPEAR);
	return keep[0] == NULL;
}
