/*
 * pack_series.c - the packed form of the page's series; pack_series.h
 * describes it.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pack.h"
#include "pack_series.h"

/* Magnitudes below this stay exact through every difference and sum in a JavaScript number. */
#define SERIES_LIMIT ((int64_t)1 << 51)
/* The widest entry: stack_lifetimes's [MADE,FREED,COUNT,BYTES]. */
#define SERIES_WIDTH_MAX 4

static void pack_signed(struct buf *b, int64_t v)
{
	pack_number(b, v >= 0 ? 2 * (uint64_t)v : 2 * (uint64_t)(-v) - 1);
}

/* A whole number as JSON writes it, below SERIES_LIMIT in magnitude; *p moves past it.  -1: not one. */
static int parse_int(const char **p, int64_t *v)
{
	const char *s = *p;
	int neg = *s == '-';
	if (neg)
		s++;
	if (*s < '0' || *s > '9' || (*s == '0' && (neg || (s[1] >= '0' && s[1] <= '9'))))
		return -1;
	int64_t x = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		x = x * 10 + (*s - '0');
		if (x >= SERIES_LIMIT)
			return -1;
	}
	*v = neg ? -x : x;
	*p = s;
	return 0;
}

/* "[V1,...,Vwidth]" at *p; *p moves past it.  -1: not that. */
static int parse_tuple(const char **p, int64_t *v, size_t width)
{
	const char *s = *p;
	if (*s++ != '[')
		return -1;
	for (size_t i = 0; i < width; i++) {
		if ((i && *s++ != ',') || parse_int(&s, &v[i]) != 0)
			return -1;
	}
	if (*s++ != ']')
		return -1;
	*p = s;
	return 0;
}

/* json as "[V,...]": its numbers in *v (n of them, caller frees), or -1. */
static int parse_list(const char *json, int64_t **v, size_t *n)
{
	const char *s = json;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (*s++ != '[')
		return -1;
	while (*s != ']') {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		if ((*n && *s++ != ',') || parse_int(&s, &(*v)[*n]) != 0)
			return -1;
		(*n)++;
	}
	return s[1] == '\0' ? 0 : -1;
}

/*
 * json as "[[...],...]" of width-number entries: its numbers in *v (caller
 * frees), n entries, or -1.  The running sums of stack_live's entries
 * must stay within the limit too.
 */
static int parse_entries(const char *json, size_t width, int64_t **v, size_t *n)
{
	const char *s = json;
	size_t cap = 0;
	int64_t sum[SERIES_WIDTH_MAX] = { 0 };
	*v = NULL;
	*n = 0;
	if (*s++ != '[')
		return -1;
	while (*s != ']') {
		*v = xgrow(*v, &cap, (*n + 1) * width, sizeof **v);
		int64_t *e = *v + *n * width;
		if ((*n && *s++ != ',') || parse_tuple(&s, e, width) != 0)
			return -1;
		for (size_t i = 0; i < width; i++) {
			sum[i] += e[i];
			if (sum[i] >= SERIES_LIMIT || sum[i] <= -SERIES_LIMIT)
				return -1;
		}
		(*n)++;
	}
	return s[1] == '\0' ? 0 : -1;
}

/* One stack_live or stack_lifetimes line into its string; 0, or -1 when it is not of that form. */
static int pack_stack_line(struct buf *b, size_t *prev_stack, size_t stack, int lifetimes, const char *json)
{
	size_t width = lifetimes ? 4 : 3, n;
	int64_t *v;
	if (parse_entries(json, width, &v, &n) != 0) {
		free(v);
		return -1;
	}
	pack_number(b, stack - *prev_stack);
	pack_number(b, n);
	*prev_stack = stack;
	int64_t before = 0, count = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const int64_t *e = v + i * width;
		pack_signed(b, e[0] - before);
		before = e[0];
		if (lifetimes) {
			pack_signed(b, e[1] - e[0]);
			pack_signed(b, e[2]);
			pack_signed(b, e[3]);
		} else {
			count += e[1];
			bytes += e[2];
			pack_signed(b, count);
			pack_signed(b, bytes);
		}
	}
	free(v);
	return 0;
}

static void pack_memory(struct series_pack *s, const char *json)
{
	int64_t v[3];
	const char *p = json;
	s->memory_n++;
	if (s->memory_bad || parse_tuple(&p, v, 3) != 0 || *p || v[0] < 0 || v[1] < 0 || v[2] < 0) {
		s->memory_bad = 1;
		return;
	}
	for (int i = 0; i < 3; i++) {
		pack_signed(&s->memory, v[i] - (int64_t)s->mem_prev[i]);
		s->mem_prev[i] = (uint64_t)v[i];
	}
}

/* slice_peaks: packed when it is the only such line and a list of whole numbers; 0, or -1. */
static int pack_peaks(struct series_pack *s, const char *json)
{
	int64_t *v = NULL;
	size_t n;
	if (s->peaks_n++ || parse_list(json, &v, &n) != 0) {
		free(v);
		return -1;
	}
	int64_t before = 0;
	for (size_t i = 0; i < n; i++) {
		pack_signed(&s->peaks, v[i] - before);
		before = v[i];
	}
	free(v);
	s->peaks_ok = 1;
	return 0;
}

static void add_drop(struct series_pack *s, size_t start, size_t end, enum series_kind kind)
{
	s->drops = xgrow(s->drops, &s->drops_cap, s->ndrops + 1, sizeof *s->drops);
	s->drops[s->ndrops++] = (struct series_drop){ start, end, kind };
}

void series_note(struct series_pack *s, const char *key, const char *json, size_t stack,
		 size_t start, size_t end)
{
	if (strcmp(key, "memory") == 0) {
		pack_memory(s, json);
		add_drop(s, start, end, SERIES_MEMORY);
	} else if (strcmp(key, "slice_peaks") == 0) {
		if (pack_peaks(s, json) == 0)
			add_drop(s, start, end, SERIES_PEAKS);
	} else if (strcmp(key, "stack_live") == 0) {
		if (pack_stack_line(&s->live, &s->live_stack, stack, 0, json) == 0)
			add_drop(s, start, end, SERIES_STACK);
	} else if (strcmp(key, "stack_lifetimes") == 0) {
		if (pack_stack_line(&s->lifetimes, &s->lifetimes_stack, stack, 1, json) == 0)
			add_drop(s, start, end, SERIES_STACK);
	}
}

/* Whether a noted entry is left out of "meta": the memory records all or none, one slice_peaks. */
static int dropped(const struct series_pack *s, const struct series_drop *d)
{
	switch (d->kind) {
	case SERIES_MEMORY: return !s->memory_bad;
	case SERIES_PEAKS: return s->peaks_n == 1 && s->peaks_ok;
	case SERIES_STACK: return 1;
	default: return 0;
	}
}

/* Part of the meta text: a leading comma goes when nothing was written before it. */
static void write_part(struct buf *b, const char *p, size_t n, int *any)
{
	if (!*any && n && *p == ',') {
		p++;
		n--;
	}
	if (n) {
		buf_add(b, p, n);
		*any = 1;
	}
}

void series_write_meta(struct buf *b, const struct series_pack *s, const char *meta, size_t len)
{
	size_t at = 0;
	int any = 0;
	for (size_t i = 0; i < s->ndrops; i++) {
		const struct series_drop *d = &s->drops[i];
		if (!dropped(s, d))
			continue;
		/* An entry is [start, end) with its leading comma, if any. */
		write_part(b, meta + at, d->start - at, &any);
		at = d->end;
	}
	write_part(b, meta + at, len - at, &any);
}

static void write_field(struct buf *b, int *first, const char *key, const struct buf *packed)
{
	buf_printf(b, "%s\"%s\":\"", *first ? "\"series\":{" : ",", key);
	buf_add(b, packed->data, packed->len);
	buf_addc(b, '"');
	*first = 0;
}

void series_write_fields(struct buf *b, const struct series_pack *s)
{
	int first = 1;
	if (s->memory_n && !s->memory_bad)
		write_field(b, &first, "memory", &s->memory);
	if (s->peaks_n == 1 && s->peaks_ok)
		write_field(b, &first, "slice_peaks", &s->peaks);
	if (s->live.len)
		write_field(b, &first, "stack_live", &s->live);
	if (s->lifetimes.len)
		write_field(b, &first, "stack_lifetimes", &s->lifetimes);
	if (!first)
		buf_adds(b, "},");
}

void series_release(struct series_pack *s)
{
	buf_release(&s->memory);
	buf_release(&s->peaks);
	buf_release(&s->live);
	buf_release(&s->lifetimes);
	free(s->drops);
	*s = (struct series_pack)SERIES_PACK_INIT;
}
