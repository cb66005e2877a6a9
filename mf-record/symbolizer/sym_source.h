/*
 * sym_source.h - the name a frame gives its source file, for the
 * symbolizer (symbolize.h).  A line table names a file relative to its
 * CU's compilation directory, through "." and ".." and doubled slashes
 * ("./iconv/./iconv/x.c", "/src/tools/../progs/x.h"), and every CU that
 * includes a header may spell it another way.  The name here is joined
 * once with the compilation directory and cleaned lexically (no ".", no
 * "dir/..", no "//"; a leading ".." of a relative path stays), so one
 * file has one name whichever CU or include path mentions it.  Symbolic
 * links are not followed: the name is the one the build used.
 */
#ifndef MF_SYM_SOURCE_H
#define MF_SYM_SOURCE_H

struct buf;

/*
 * The name of source file src (as libdw's line table gives it) of a CU
 * compiled in comp_dir (NULL or "" when unknown, or src is absolute),
 * into out; scratch is the caller's work space.  Both buffers are
 * cleared first.
 */
void sym_source_name(struct buf *out, struct buf *scratch, const char *comp_dir,
		     const char *src);

#endif
