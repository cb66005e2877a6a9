/* writer_regions.c - the live mappings (see writer_regions.h). */
#include "writer_regions.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

void regions_init(struct writer_regions *rs, uint64_t page)
{
	*rs = (struct writer_regions){ .page = page };
}

void regions_release(struct writer_regions *rs)
{
	free(rs->regions);
}

uint64_t regions_end(const struct writer_regions *rs, uint64_t start, uint64_t len)
{
	return start + ((len + rs->page - 1) & ~(rs->page - 1));
}

/* The index of the first region that ends after addr. */
static size_t region_search(const struct writer_regions *rs, uint64_t addr)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct region *r = &rs->regions[mid];
		if (regions_end(rs, r->start, r->len) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void regions_insert(struct writer_regions *rs, const struct region *r)
{
	size_t at = region_search(rs, r->start);
	rs->regions = xgrow(rs->regions, &rs->cap, rs->n + 1, sizeof *rs->regions);
	memmove(rs->regions + at + 1, rs->regions + at, (rs->n - at) * sizeof *rs->regions);
	rs->regions[at] = *r;
	rs->n++;
}

static void region_remove(struct writer_regions *rs, size_t at, struct region *r)
{
	*r = rs->regions[at];
	rs->n--;
	memmove(rs->regions + at, rs->regions + at + 1, (rs->n - at) * sizeof *rs->regions);
}

int regions_take_at(struct writer_regions *rs, uint64_t addr, struct region *r)
{
	size_t at = region_search(rs, addr);
	if (at >= rs->n || rs->regions[at].start != addr)
		return 0;
	region_remove(rs, at, r);
	return 1;
}

int regions_take_overlapping(struct writer_regions *rs, uint64_t start, uint64_t end,
			     struct region *r)
{
	size_t at = region_search(rs, start);
	if (at >= rs->n || rs->regions[at].start >= end)
		return 0;
	region_remove(rs, at, r);
	return 1;
}
