/*
 * fuzz_inflate.c - libFuzzer harness for mf-record's inflating copy of
 * debug files (mf-record/symbolizer/inflate_debug.c): the input is the file; a copy,
 * when one is made, is read back whole.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../mf-record/symbolizer/inflate_debug.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_file(data, size), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int copy = inflate_debug_file(fd);
	if (copy != fd) {
		char block[65536];
		while (read(copy, block, sizeof block) > 0)
			continue;
	}
	close(copy);
	return 0;
}
