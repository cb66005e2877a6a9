/*
 * sym_plugin_lib - the plugins tests/progs/sym_plugins loads and unloads:
 * one source built as libplugin_a.so (-DPLUGIN=a) and libplugin_b.so
 * (-DPLUGIN=b).  The code is the same, so loaded at the same place the
 * two have the same return addresses; only their names tell them apart.
 */
#include <stdlib.h>

#define PASTE(a, b) a##b
#define NAMED(p, name) PASTE(p, name)

__attribute__((noinline)) static void *NAMED(PLUGIN, _leak)(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void *NAMED(PLUGIN, _run)(size_t n)
{
	return NAMED(PLUGIN, _leak)(n);
}

/* What the host calls: the same name in every plugin. */
void *plugin_run(size_t n)
{
	return NAMED(PLUGIN, _run)(n);
}
