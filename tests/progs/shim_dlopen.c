/*
 * shim_dlopen - a library loaded with dlopen after tracking started
 * allocates (zlib's gzdopen mallocs its state): its module must be sent
 * before the stack that points into it.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	void *z = dlopen("libz.so.1", RTLD_NOW);
	void *(*gz_dopen)(int, const char *);
	int (*gz_close)(void *);
	void *gz;

	if (!z) {
		fprintf(stderr, "shim_dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&gz_dopen = dlsym(z, "gzdopen");
	*(void **)&gz_close = dlsym(z, "gzclose");
	gz = gz_dopen(open("/dev/null", O_WRONLY), "wb");
	if (!gz)
		return 1;
	gz_close(gz);
	return 0;
}
