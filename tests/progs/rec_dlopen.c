/*
 * rec_dlopen.c - allocations from a library loaded with dlopen after the
 * program started: zlib's deflateInit2_ allocates its state with malloc.
 */
#include <dlfcn.h>
#include <string.h>
#include <zlib.h>

typedef int (*init_fn)(z_stream *, int, const char *, int);
typedef int (*end_fn)(z_stream *);

int main(void)
{
	void *z = dlopen("libz.so.1", RTLD_NOW);
	if (!z)
		return 1;
	init_fn init = (init_fn)dlsym(z, "deflateInit_");
	end_fn end = (end_fn)dlsym(z, "deflateEnd");
	if (!init || !end)
		return 1;
	z_stream s;
	memset(&s, 0, sizeof s);
	if (init(&s, 6, ZLIB_VERSION, (int)sizeof s) != Z_OK)
		return 1;
	end(&s);
	return 0;
}
