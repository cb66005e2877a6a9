/*
 * pack_series.h - the packed form of the page's series (docs/REPORT.md,
 * "Embedded data"): on a packed page (PACK_MIN_STACKS stacks or more,
 * pack.h) the memory records, slice_peaks and the temporal per-stack
 * series (stack_live, stack_lifetimes) leave "meta" for one object
 *
 *	"series":{"memory":"PACKED","slice_peaks":"PACKED",
 *	          "stack_live":"PACKED","stack_lifetimes":"PACKED"}
 *
 * with only the keys that were packed.  As raw JSON they weigh more than
 * the rest of a temporal page: every entry's numbers in decimal with their
 * brackets.  Packed, each is a string of pack.h's base-45 numbers, most
 * of them differences, zigzag-coded (Z(v) = 2v for v >= 0, -2v-1 below):
 *
 *	memory           per record Z(MS - MS before), Z(HEAP - HEAP before),
 *	                 Z(RSS - RSS before) (the first against 0)
 *	slice_peaks      per slice Z(B - B of the slice before)
 *	stack_live       per line: STACK - STACK of the line before (the
 *	                 first against 0), the number of entries E, then per
 *	                 entry Z(K - K before) and the stack's running sums
 *	                 Z(COUNT), Z(BYTES) after it (the sums of DCOUNT and
 *	                 DBYTES so far: an allocation freed later takes the
 *	                 sums back to values seen before, often 0)
 *	stack_lifetimes  per line as stack_live, each entry Z(MADE - MADE
 *	                 before), Z(FREED - MADE), Z(COUNT), Z(BYTES)
 *
 * Only what gives back exactly the same values is packed: whole numbers
 * written as JSON writes them (no spaces, no leading zeros, no -0) below
 * 2^51 in magnitude, so every difference and sum stays exact in a
 * JavaScript number; a series line of any other form stays in "meta" as
 * it is, for the page to read (and report) as on a small page.  The memory
 * records are packed all or none, and slice_peaks when there is exactly
 * one such line, so that their order and the page's reading of them do
 * not change.
 */
#ifndef MF_PACK_SERIES_H
#define MF_PACK_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "output.h"

/* What a metadata entry is to the packed form. */
enum series_kind { SERIES_NONE, SERIES_MEMORY, SERIES_PEAKS, SERIES_STACK };

/* A metadata entry that the packed page leaves out of "meta": [start, end) of the meta text. */
struct series_drop {
	size_t start, end;
	enum series_kind kind;
};

struct series_pack {
	struct buf memory, peaks, live, lifetimes;	/* the packed strings */
	uint64_t mem_prev[3];			/* the memory record before */
	size_t memory_n, peaks_n;		/* memory records and slice_peaks lines seen */
	int memory_bad;				/* a memory record that cannot be packed */
	int peaks_ok;				/* the first slice_peaks line is packed */
	size_t live_stack, lifetimes_stack;	/* the stack of the line before */
	struct series_drop *drops;
	size_t ndrops, drops_cap;
};

#define SERIES_PACK_INIT { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, { 0, 0, 0 }, 0, 0, 0, 0, 0, 0, NULL, 0, 0 }

/*
 * A metadata entry, KEY and its raw JSON, written to the meta text at
 * [start, end); stack is the index of the stack line it precedes (for
 * stack_* keys).  Packs it when it is a series of the forms above.
 */
void series_note(struct series_pack *s, const char *key, const char *json, size_t stack,
		 size_t start, size_t end);
/* Append the meta text (entries separated by commas) without the entries packed. */
void series_write_meta(struct buf *b, const struct series_pack *s, const char *meta, size_t len);
/* Append "series":{...}, (nothing when nothing was packed). */
void series_write_fields(struct buf *b, const struct series_pack *s);
void series_release(struct series_pack *s);

#endif
