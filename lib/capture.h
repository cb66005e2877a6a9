/*
 * capture.h - what a capture file's name says, and the names mf builds
 * from it.
 *
 * A capture is named by the user (mf-record -o FILE) or by mf
 * (mf-PROGRAM.PID.mft.zst).  Two endings of the name mean something, and
 * every name built from it keeps them last, where readers, gzip and zstd
 * look for them:
 *
 *  - a final ".gz" or ".zst" says the file is compressed (lib/output.h
 *    writes it so), and
 *  - ".mft" before it, or at the very end, says it is an event stream.
 *
 * The STEM of a name is what comes before a final ".mft", ".mft.gz",
 * ".mft.zst", ".gz" or ".zst", or the whole name when it has none of
 * these.  Names made from a capture's:
 *
 *  - mf-record --follow-fork: a process's capture is FILE with ".PID"
 *    after the stem, so it is compressed as FILE is; mf run names them
 *    all with the glob "STEM.*" followed by the ending:
 *	out.mft.gz -> out.4242.mft.gz, out.*.mft.gz
 *	trace.zst  -> trace.4242.zst, trace.*.zst
 *	trace      -> trace.4242, trace.*
 *  - mf flamegraph's default report: the base name without its
 *    compression: mf-flamegraph-out.mft.html for out.mft.gz.
 *
 * Nothing here touches the file system.
 */
#ifndef MF_CAPTURE_H
#define MF_CAPTURE_H

#include <stddef.h>

/* The length of name without a final ".gz" or ".zst"; all of it when it has neither. */
size_t capture_unpacked(const char *name);

/* The length of name's stem (above): without a final ".mft", ".gz" or ".zst", or ".mft" and one of those. */
size_t capture_stem(const char *name);

/*
 * The name of a capture beside file: file with "." and tag inserted after
 * its stem (capture_sibling("out.mft.gz", "4242") is "out.4242.mft.gz").
 * Allocated: the caller frees it.  Dies only when memory runs out.
 */
char *capture_sibling(const char *file, const char *tag);

#endif
