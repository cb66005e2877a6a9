/*
 * sym_dl LIBRARY - a library loaded with dlopen after the first module
 * list: its module line comes later, as in a recording.
 */
#include "sym_common.h"

#include <dlfcn.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	void *lib;
	void (*entry)(void);

	if (argc != 2) {
		fprintf(stderr, "usage: sym_dl LIBRARY\n");
		return 2;
	}
	sym_print_modules();
	sym_pc("before-dlopen");
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "sym_dl: %s\n", dlerror());
		return 1;
	}
	entry = (void (*)(void))dlsym(lib, "sym_dl_entry");
	if (!entry) {
		fprintf(stderr, "sym_dl: %s\n", dlerror());
		return 1;
	}
	sym_print_modules();
	entry();
	return 0;
}
