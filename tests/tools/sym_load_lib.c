/*
 * sym_load_lib - the library tests/progs/sym_load loads, then replaces or
 * hides: built as itself, and with -DDECOY as a library of the same shape
 * whose functions have other names (what a recorder reading the wrong file
 * would name the frames).
 */
#include <stdlib.h>

#ifdef DECOY
#define load_inner totally_different_helper
#define sym_load_entry totally_different_function
#endif

__attribute__((noinline)) static void *load_inner(size_t n)
{
	return malloc(n);
}

void *sym_load_entry(size_t n)
{
	return load_inner(n);
}
