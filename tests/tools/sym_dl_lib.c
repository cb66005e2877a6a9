/*
 * sym_dl_lib - the library tests/progs/sym_dl loads, built with full debug
 * information, stripped, and with its debug information in a separate
 * file (tests/tools/build.mk).
 */
#include "../progs/sym_common.h"

static void dl_static(void)
{
	sym_pc("lib-static");
}

void sym_dl_entry(void)
{
	sym_pc("lib-entry");
	dl_static();
}
