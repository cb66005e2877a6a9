/* memrec.c - the one downsampling of the memory records (memrec.h). */
#include "memrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"

void memrec_json(const struct memrec *r, char json[MEMREC_JSON_SIZE])
{
	snprintf(json, MEMREC_JSON_SIZE, "[%llu,%llu,%llu]", (unsigned long long)r->ms,
		 (unsigned long long)r->heap, (unsigned long long)r->rss);
}

/* The whole number at *p up to stop, then past stop: 0, or -1. */
static int parse_field(const char **p, char stop, uint64_t *v)
{
	const char *end = strchr(*p, stop);
	if (!end || parse_u64n(*p, (size_t)(end - *p), v) != 0)
		return -1;
	*p = end + 1;
	return 0;
}

int memrec_parse(const char *json, struct memrec *r)
{
	const char *p = json + 1;
	if (json[0] != '[' || parse_field(&p, ',', &r->ms) || parse_field(&p, ',', &r->heap) ||
	    parse_field(&p, ']', &r->rss) || *p)
		return -1;
	return 0;
}

void memory_init(struct memory *m, uint64_t max)
{
	memset(m, 0, sizeof *m);
	m->max = max;
	m->width = 1;
}

/* The highest of kept[lo..hi): strictly higher, so a tie keeps the earliest. */
static struct memrec highest(const struct memory *m, size_t lo, size_t hi)
{
	size_t best = lo;
	for (size_t i = lo + 1; i < hi; i++)
		if (m->kept[i].heap > m->kept[best].heap)
			best = i;
	return m->kept[best];
}

/* Pairs of buckets merge: half as many, each twice as wide (the last may be alone). */
static void memory_halve(struct memory *m)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n; i += 2)
		m->kept[k++] = highest(m, i, i + 2 < m->n ? i + 2 : m->n);
	m->n = k;
	m->width *= 2;
}

/* The buckets held cut into runs runs, run b = [b*n/runs, (b+1)*n/runs), each keeping its highest. */
static void memory_merge(struct memory *m, size_t runs)
{
	size_t n = m->n;
	for (size_t b = 0; b < runs; b++)
		m->kept[b] = highest(m, b * n / runs, (b + 1) * n / runs);
	m->n = runs;
}

static void memory_push(struct memory *m, struct memrec rec)
{
	m->kept = xgrow(m->kept, &m->cap, m->n + 1, sizeof *m->kept);
	m->kept[m->n++] = rec;
	if (m->n > 2 * m->max)
		memory_halve(m);
}

void memory_add(struct memory *m, uint64_t ms, uint64_t heap, uint64_t rss)
{
	if (m->pending_n == 0 || heap > m->pending.heap)
		m->pending = (struct memrec){ ms, heap, rss };
	if (++m->pending_n == m->width) {
		memory_push(m, m->pending);
		m->pending_n = 0;
	}
}

void memory_finish(struct memory *m)
{
	if (m->pending_n)
		memory_push(m, m->pending);
	m->pending_n = 0;
	if (m->n > m->max)
		memory_merge(m, (size_t)m->max);
}

void memory_write(const struct memory *m, struct output *out)
{
	char json[MEMREC_JSON_SIZE];
	for (size_t i = 0; i < m->n; i++) {
		memrec_json(&m->kept[i], json);
		output_printf(out, "# memory=%s\n", json);
	}
}

void memory_release(struct memory *m)
{
	free(m->kept);
	memset(m, 0, sizeof *m);
}

uint64_t memory_records_option(const char *usage, const char *arg)
{
	return option_u64(usage, "--max-memory-records", arg, 1, MEMORY_RECORDS_MAX);
}
