/*
 * fuzz.h - what every libFuzzer harness of mf shares: the input as a file,
 * and errors that end one run instead of the process.
 *
 * The readers take a path, so the bytes go into a memfd that the harness
 * opens as /proc/self/fd/N.  The readers call die()/input_error() on bad
 * input; fuzz_begin() installs mf_exit_hook (lib/err.h) so that those
 * longjmp back here.  The harness then releases what it opened, so that
 * LeakSanitizer checks the error paths too.
 *
 *	FUZZ_RUN(data, size, path) {
 *		... read path with an mf reader ...
 *	} FUZZ_ON_ERROR {
 *		... release the reader ...
 *	}
 */
#ifndef MF_FUZZ_H
#define MF_FUZZ_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

extern jmp_buf fuzz_jump;
extern int fuzz_exit_status;

/* Write data to the memfd and return its /proc path (static storage). */
const char *fuzz_file(const uint8_t *data, size_t size);
void fuzz_hook_exits(void);

#define FUZZ_RUN(data, size, path)                                    \
	const char *path = fuzz_file(data, size);                     \
	fuzz_hook_exits();                                            \
	if (setjmp(fuzz_jump) == 0)
#define FUZZ_ON_ERROR else

#endif
