/*
 * sym_plugins - a host that loads and unloads plugins, for mf-record's
 * modules (tests/symbolize.bats):
 *
 *	sym_plugins alternate DIR A B	A, B, A, B, A, B at the same place
 *	sym_plugins elsewhere DIR A B	A; B elsewhere; A again
 *
 * Each load of A leaks plugin_run(100 + round), of B plugin_run(200 +
 * round), then unloads the plugin (in elsewhere, B stays loaded).  DIR
 * "-" loads A and B by their paths as given; otherwise the host first
 * goes to DIR, as a program that loads "./libplugin_a.so" from its own
 * directory.  Exits 1 (saying why) when a plugin does not land where the
 * mode says: the test would prove nothing.
 */
#define _GNU_SOURCE	/* dladdr */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "sym_plugins: %s: %s\n", what, why);
	return 1;
}

/* Load path and leak plugin_run(n) from it; *where is plugin_run's address. */
static void *load_and_run(const char *path, size_t n, uintptr_t *where)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	void *(*run)(size_t) = h ? (void *(*)(size_t))dlsym(h, "plugin_run") : NULL;

	if (!run) {
		fail(path, dlerror());
		return NULL;
	}
	run(n);
	*where = (uintptr_t)run;
	return h;
}

static int alternate(const char *a, const char *b)
{
	uintptr_t first = 0, at;

	for (int round = 0; round < 3; round++) {
		for (int which = 0; which < 2; which++) {
			void *h = load_and_run(which ? b : a, (which ? 200 : 100) + round, &at);
			if (!h)
				return 1;
			if (first && at != first)
				return fail(which ? b : a, "not loaded where the first plugin was");
			first = at;
			dlclose(h);
		}
	}
	return 0;
}

/* The page-aligned span of the loaded module holding addr. */
static int module_span(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	Dl_info info;
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long s, e;
	char line[4096];

	if (!f || !dladdr((void *)addr, &info))
		return -1;
	*lo = UINTPTR_MAX;
	*hi = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && strstr(line, info.dli_fname) &&
		    s >= (uintptr_t)info.dli_fbase && s < (uintptr_t)info.dli_fbase + (64 << 20)) {
			*lo = s < *lo ? s : *lo;
			*hi = e > *hi ? e : *hi;
		}
	fclose(f);
	return *hi ? 0 : -1;
}

static int elsewhere(const char *a, const char *b)
{
	uintptr_t at_a, at_b, lo, hi;
	void *ha = load_and_run(a, 100, &at_a), *hb, *block;

	if (!ha || module_span(at_a, &lo, &hi) != 0)
		return fail(a, "cannot find its mapping");
	dlclose(ha);
	/* Hold A's place, so that B goes elsewhere. */
	block = mmap((void *)lo, hi - lo, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (block != (void *)lo)
		return fail(a, "cannot hold its place");
	if (!(hb = load_and_run(b, 200, &at_b)))
		return 1;
	if (at_b >= lo && at_b < hi)
		return fail(b, "loaded where the first plugin was");
	munmap(block, hi - lo);
	if (!(ha = load_and_run(a, 101, &at_a)))
		return 1;
	dlclose(ha);
	dlclose(hb);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "alternate") && strcmp(argv[1], "elsewhere"))) {
		fprintf(stderr, "usage: sym_plugins alternate|elsewhere DIR A B\n");
		return 2;
	}
	if (strcmp(argv[2], "-") && chdir(argv[2]) != 0)
		return fail(argv[2], "cannot go there");
	return !strcmp(argv[1], "alternate") ? alternate(argv[3], argv[4])
					      : elsewhere(argv[3], argv[4]);
}
