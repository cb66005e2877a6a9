/*
 * writer_regions.h - the live mappings from mmap, mremap and mprotect, by
 * address: what munmap needs to free the mappings it touches and keep the
 * parts that stay mapped, and what mprotect needs to tell memory from
 * address space.
 *
 * A region is a piece of a mapping in one state: memory (an allocation
 * of the stream) or reserved (inaccessible: address space only, no
 * allocation).  A mapping reserved with PROT_NONE and partly committed
 * by mprotect is several regions side by side.
 *
 * Regions never overlap.  A region's length is as requested; the mapping
 * itself ends at the next page boundary (regions_end).  Every function
 * takes O(log n) expected time: a program may hold hundreds of thousands
 * of mappings.
 *
 *	regions_init(&rs, page_size);
 *	regions_insert(&rs, &(struct region){ start, len, number, stack });
 *	while (regions_take_overlapping(&rs, start, end, &r)) ...;
 *	regions_take_at(&rs, addr, &r);		// the region starting at addr
 *	regions_find_overlapping(&rs, start, end, &r);	// a copy, left in place
 */
#ifndef MF_WRITER_REGIONS_H
#define MF_WRITER_REGIONS_H

#include <stddef.h>
#include <stdint.h>

struct region {
	uint64_t start, len;	/* len as requested; the mapping ends at the page */
	uint64_t number;	/* what its free needs: allocation number or site */
	uint64_t stack;		/* the shim's stack id, for the parts that stay */
	uint32_t allocator;	/* enum mf_allocator of the parts that stay */
	uint32_t reserved;	/* 1: address space, not memory (number, stack unused) */
};

struct region_node;

struct writer_regions {
	uint64_t page;		/* the page size, a power of two */
	/* private: a treap, see writer_regions.c */
	struct region_node *nodes;	/* nodes[0] is unused: index 0 is none */
	size_t cap;
	uint32_t used;		/* nodes handed out, and 1 */
	uint32_t root, free_list;
	uint32_t seed;		/* of the priorities */
};

void regions_init(struct writer_regions *rs, uint64_t page);
void regions_release(struct writer_regions *rs);
/* Where a mapping of len bytes at start ends: the page boundary after it. */
uint64_t regions_end(const struct writer_regions *rs, uint64_t start, uint64_t len);
/* Add r, which overlaps no region. */
void regions_insert(struct writer_regions *rs, const struct region *r);
/* Remove the region starting at addr into *r; returns 0 if there is none. */
int regions_take_at(struct writer_regions *rs, uint64_t addr, struct region *r);
/*
 * Remove the lowest region whose mapping overlaps [start, end) into *r;
 * returns 0 if there is none.
 */
int regions_take_overlapping(struct writer_regions *rs, uint64_t start, uint64_t end,
			     struct region *r);
/* The same, leaving it in place: a copy into *r. */
int regions_find_overlapping(struct writer_regions *rs, uint64_t start, uint64_t end,
			     struct region *r);

#endif
