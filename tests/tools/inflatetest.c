/*
 * inflatetest - mf-record's inflate_debug_file on one file.
 *
 *	inflatetest FILE COPY
 *
 * Prints "copied" and writes the copy with inflated sections to COPY, or
 * prints "unchanged" (the descriptor came back as it was: nothing to
 * inflate, or not a file it copies).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "../../mf-record/symbolizer/inflate_debug.h"

int main(int argc, char **argv)
{
	set_progname(argv[0]);
	if (argc != 3) {
		fputs("usage: inflatetest FILE COPY\n", stderr);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		die("cannot open '%s'", argv[1]);
	int copy = inflate_debug_file(fd);
	if (copy == fd) {
		puts("unchanged");
		return 0;
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out)
		die("cannot create '%s'", argv[2]);
	char block[65536];
	ssize_t n;
	while ((n = read(copy, block, sizeof block)) > 0)
		if (fwrite(block, 1, (size_t)n, out) != (size_t)n)
			die("cannot write '%s'", argv[2]);
	if (n < 0 || fclose(out) != 0)
		die("cannot copy to '%s'", argv[2]);
	puts("copied");
	return 0;
}
