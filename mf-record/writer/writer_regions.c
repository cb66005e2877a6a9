/*
 * writer_regions.c - the live mappings (see writer_regions.h).
 *
 * A treap: a binary search tree by start whose nodes are also a heap by a
 * random priority, so that it stays balanced whatever order mappings come
 * in (the kernel hands out addresses downwards: a sorted array would move
 * every mapping on each mmap).  Every update and lookup takes O(log n)
 * expected.  Nodes live in one array and link by index (0 is none), so
 * growing the array keeps the links.
 *
 * Regions never overlap, so sorted by start they are also sorted by end:
 * the first region ending after an address is found by the same descent.
 */
#include "writer_regions.h"

#include <stdlib.h>

#include "err.h"

struct region_node {
	struct region r;
	uint32_t left, right;	/* node indexes; 0 is none */
	uint32_t priority;
};

void regions_init(struct writer_regions *rs, uint64_t page)
{
	*rs = (struct writer_regions){ .page = page, .seed = 0x9e3779b9u };
}

void regions_release(struct writer_regions *rs)
{
	free(rs->nodes);
}

uint64_t regions_end(const struct writer_regions *rs, uint64_t start, uint64_t len)
{
	return start + ((len + rs->page - 1) & ~(rs->page - 1));
}

static struct region_node *node(const struct writer_regions *rs, uint32_t i)
{
	return &rs->nodes[i];
}

/* A node holding r, from the free list or the end of the array. */
static uint32_t node_new(struct writer_regions *rs, const struct region *r)
{
	uint32_t i = rs->free_list;
	if (i) {
		rs->free_list = node(rs, i)->left;
	} else {
		if (rs->used == UINT32_MAX)
			die("too many mappings");
		if (rs->used == 0)
			rs->used = 1;	/* index 0 stands for none */
		rs->nodes = xgrow(rs->nodes, &rs->cap, (size_t)rs->used + 1, sizeof *rs->nodes);
		i = rs->used++;
	}
	/* xorshift32: priorities only need to look random to the order of starts. */
	rs->seed ^= rs->seed << 13;
	rs->seed ^= rs->seed >> 17;
	rs->seed ^= rs->seed << 5;
	*node(rs, i) = (struct region_node){ .r = *r, .priority = rs->seed };
	return i;
}

static void node_free(struct writer_regions *rs, uint32_t i)
{
	node(rs, i)->left = rs->free_list;
	rs->free_list = i;
}

/* Split tree t into the nodes starting before start (*lo) and the others (*hi). */
static void split(struct writer_regions *rs, uint32_t t, uint64_t start, uint32_t *lo, uint32_t *hi)
{
	while (t) {
		struct region_node *n = node(rs, t);
		if (n->r.start < start) {
			*lo = t;
			lo = &n->right;
			t = n->right;
		} else {
			*hi = t;
			hi = &n->left;
			t = n->left;
		}
	}
	*lo = *hi = 0;
}

/* Join trees a and b, every start in a below every start in b. */
static uint32_t merge(struct writer_regions *rs, uint32_t a, uint32_t b)
{
	uint32_t root, *link = &root;
	while (a && b) {
		if (node(rs, a)->priority > node(rs, b)->priority) {
			*link = a;
			link = &node(rs, a)->right;
			a = *link;
		} else {
			*link = b;
			link = &node(rs, b)->left;
			b = *link;
		}
	}
	*link = a ? a : b;
	return root;
}

void regions_insert(struct writer_regions *rs, const struct region *r)
{
	uint32_t i = node_new(rs, r);	/* first: it may move the array */
	struct region_node *n = node(rs, i);
	uint32_t *link = &rs->root;
	while (*link && node(rs, *link)->priority >= n->priority)
		link = r->start < node(rs, *link)->r.start ? &node(rs, *link)->left
							   : &node(rs, *link)->right;
	split(rs, *link, r->start, &n->left, &n->right);
	*link = i;
}

/* Remove the node at *link (a link of the tree) into *r. */
static void take(struct writer_regions *rs, uint32_t *link, struct region *r)
{
	uint32_t i = *link;
	struct region_node *n = node(rs, i);
	*r = n->r;
	*link = merge(rs, n->left, n->right);
	node_free(rs, i);
}

int regions_take_at(struct writer_regions *rs, uint64_t addr, struct region *r)
{
	uint32_t *link = &rs->root;
	while (*link && node(rs, *link)->r.start != addr)
		link = addr < node(rs, *link)->r.start ? &node(rs, *link)->left
						       : &node(rs, *link)->right;
	if (!*link)
		return 0;
	take(rs, link, r);
	return 1;
}

/* The link to the lowest region whose mapping overlaps [start, end), or NULL. */
static uint32_t *overlapping(struct writer_regions *rs, uint64_t start, uint64_t end)
{
	/* The first region ending after start, as found on the way down. */
	uint32_t *link = &rs->root, *found = NULL;
	while (*link) {
		struct region_node *n = node(rs, *link);
		if (regions_end(rs, n->r.start, n->r.len) > start) {
			found = link;
			link = &n->left;
		} else {
			link = &n->right;
		}
	}
	if (!found || node(rs, *found)->r.start >= end)
		return NULL;
	return found;
}

int regions_take_overlapping(struct writer_regions *rs, uint64_t start, uint64_t end,
			     struct region *r)
{
	uint32_t *found = overlapping(rs, start, end);
	if (!found)
		return 0;
	take(rs, found, r);
	return 1;
}

int regions_find_overlapping(struct writer_regions *rs, uint64_t start, uint64_t end,
			     struct region *r)
{
	uint32_t *found = overlapping(rs, start, end);
	if (!found)
		return 0;
	*r = node(rs, *found)->r;
	return 1;
}
