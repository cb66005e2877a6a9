/*
 * inflate_debug.h - debug files handed to libdw with their sections
 * already inflated.
 *
 * Distributions ship debug files with zlib-compressed sections
 * (SHF_COMPRESSED).  libdw 0.188 inflates every one of them with zlib when
 * it opens the file, before the first lookup in it answers: 45 ms for
 * libc's, time the launcher is not writing and the recorded program waits
 * on full rings.  libdeflate inflates the same sections several times
 * faster into a copy of the file in memory, which libdw then reads as it
 * is.
 */
#ifndef MF_INFLATE_DEBUG_H
#define MF_INFLATE_DEBUG_H

/*
 * A descriptor of a copy of the ELF file open on fd with its compressed
 * sections inflated (fd is closed), or fd itself when there is nothing
 * to inflate or the file is not one this copies.
 */
int inflate_debug_file(int fd);

#endif
