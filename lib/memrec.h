/*
 * memrec.h - the memory records (`m` records: MS, HEAP, RSS) of the
 * report's memory chart, and --max-memory-records N: the one cap, and the
 * one range, of every program that takes the option (mf-peak, mf-leaks,
 * mf-fold on an event stream, mf-html, mf flamegraph).
 *
 * N is a whole number from 1 to MEMORY_RECORDS_MAX.  Of n records,
 * min(n, N) are kept, in time order; each kept record is the one of highest
 * HEAP (the earliest of a tie) in its run of consecutive records, so the
 * highest record (the peak) is always kept.  When n <= 2N the runs are
 * exactly the n records cut into min(n, N) runs, run b being records
 * [b*n/N, (b+1)*n/N).  Beyond that, to keep memory O(N) whatever n,
 * records are first gathered into buckets of 1, 2, 4, ... consecutive
 * records (each keeping its highest), the width doubling whenever more
 * than 2N buckets are held, and memory_finish() cuts the k buckets held
 * into N runs the same way.  So a reducer and mf-html given the same
 * records and the same N keep the same records.
 *
 *	struct memory mem;
 *	memory_init(&mem, memory_records_option(usage, optarg));
 *	memory_add(&mem, ev.time_ms, ev.heap, ev.rss);	(each record, in order)
 *	memory_finish(&mem);
 *	memory_write(&mem, out);	(or read mem.kept[0..mem.n))
 *	memory_release(&mem);
 */
#ifndef MF_MEMREC_H
#define MF_MEMREC_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

#define MEMORY_RECORDS_DEFAULT 10000	/* the reducers' N without the option */
#define MEMORY_RECORDS_MAX 100000000
#define MEMORY_RECORDS_RANGE "1 to 100000000"	/* MEMORY_RECORDS_MAX, for --help */
/* The line of --help of every program that takes the option. */
#define MEMORY_RECORDS_HELP \
	"  --max-memory-records N  keep at most N (" MEMORY_RECORDS_RANGE ") memory records,\n" \
	"                          each the highest of its run, so the peak is kept\n"

struct memrec {
	uint64_t ms, heap, rss;
};
/* "[MS,HEAP,RSS]" and its NUL: the `memory` metadata value. */
#define MEMREC_JSON_SIZE 64
void memrec_json(const struct memrec *r, char json[MEMREC_JSON_SIZE]);
/* Parse exactly "[MS,HEAP,RSS]" (whole numbers, no spaces): 0, or -1. */
int memrec_parse(const char *json, struct memrec *r);

struct memory {
	uint64_t max;		/* N */
	struct memrec *kept;	/* the buckets held; after memory_finish() the records kept */
	size_t n, cap;
	uint64_t width;		/* records per bucket */
	struct memrec pending;	/* the highest record of the bucket being filled */
	uint64_t pending_n;
};

/* max: N, from 1 to MEMORY_RECORDS_MAX. */
void memory_init(struct memory *m, uint64_t max);
void memory_add(struct memory *m, uint64_t ms, uint64_t heap, uint64_t rss);
/* After the last record: at most N records are left in kept[0..n). */
void memory_finish(struct memory *m);
/* One "# memory=[MS,HEAP,RSS]" line per record kept. */
void memory_write(const struct memory *m, struct output *out);
void memory_release(struct memory *m);

/*
 * The argument of --max-memory-records: a whole number from 1 to
 * MEMORY_RECORDS_MAX, or a usage error (exit 2) that says so:
 * "PROG: --max-memory-records takes a whole number from 1 to 100000000, not 'ARG'".
 */
uint64_t memory_records_option(const char *usage, const char *arg);

#endif
