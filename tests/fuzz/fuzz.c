/* fuzz.c - the memfd input and the longjmp exit hook of fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"

jmp_buf fuzz_jump;
int fuzz_exit_status;

static void jump_back(int status)
{
	/* Only input and runtime errors are expected: usage errors mean a bug. */
	if (status != EXIT_INPUT)
		abort();
	fuzz_exit_status = status;
	longjmp(fuzz_jump, 1);
}

void fuzz_hook_exits(void)
{
	mf_exit_hook = jump_back;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	return path;
}
