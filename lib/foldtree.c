/* foldtree.c - folded stacks as a tree of frames, written sorted (foldtree.h). */
#include "foldtree.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "folded.h"

void foldtree_init(struct foldtree *t)
{
	memset(t, 0, sizeof *t);
	t->nodes = xgrow(NULL, &t->cap, 1, sizeof *t->nodes);
	memset(&t->nodes[0], 0, sizeof t->nodes[0]);
	t->n = 1;
}

void foldtree_release(struct foldtree *t)
{
	intern_release(&t->frames);
	hash_release(&t->children);
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

uint32_t foldtree_child(struct foldtree *t, uint32_t parent, const char *frame, size_t n)
{
	uint32_t f = intern(&t->frames, frame, n);
	int added;
	uint64_t *v = hash_put(&t->children, (uint64_t)parent << 32 | f, &added);
	if (!added)
		return (uint32_t)*v;
	if (t->n > UINT32_MAX)
		die("out of memory: more than 2^32 distinct stacks");
	uint32_t id = (uint32_t)t->n++;
	*v = id;
	t->nodes = xgrow(t->nodes, &t->cap, t->n, sizeof *t->nodes);
	struct foldtree_node *node = &t->nodes[id];
	memset(node, 0, sizeof *node);
	node->frame = f;
	node->next_sibling = t->nodes[parent].first_child;
	t->nodes[parent].first_child = id;
	return id;
}

void foldtree_add(struct foldtree *t, uint32_t node, uint64_t value, uint64_t count)
{
	struct foldtree_node *nd = &t->nodes[node];
	if (nd->value + value < value || nd->count + count < count)
		die("the total of a stack overflows 64 bits");
	nd->value += value;
	nd->count += count;
	nd->has_line = 1;
}

/*
 * What a node contributes among its siblings: its own line (key: the
 * frame, ending there) or the lines below it (key: the frame, then ';').
 */
struct item {
	const char *frame;
	size_t len;
	uint32_t node;
	int below;
};

/* The byte of an item's key at i: its frame, then ';' (below) or the end (-1). */
static int key_at(const struct item *it, size_t i)
{
	if (i < it->len)
		return (unsigned char)it->frame[i];
	return it->below ? ';' : -1;
}

static int cmp_items(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	size_t m = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->frame, b->frame, m);
	if (c)
		return c;
	/* One frame is a prefix of the other (or both are equal: then the same node). */
	int ka = key_at(a, m), kb = key_at(b, m);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return a->below - b->below;
}

/* The children of node as sorted items: a new array of *n items (caller frees). */
static struct item *sorted_items(const struct foldtree *t, uint32_t node, size_t *n)
{
	struct item *items = NULL;
	size_t cap = 0;
	*n = 0;
	for (uint32_t c = t->nodes[node].first_child; c; c = t->nodes[c].next_sibling) {
		const struct foldtree_node *nd = &t->nodes[c];
		struct item it = { intern_str(&t->frames, nd->frame),
				   intern_len(&t->frames, nd->frame), c, 0 };
		items = xgrow(items, &cap, *n + 2, sizeof *items);
		if (nd->has_line)
			items[(*n)++] = it;
		it.below = 1;
		if (nd->first_child)
			items[(*n)++] = it;
	}
	if (*n > 1)	/* qsort wants an array, and a stack without callees has none */
		qsort(items, *n, sizeof *items, cmp_items);
	return items;
}

/* A node whose children are being written, and the path's length above them. */
struct level {
	struct item *items;
	size_t n, next;
	size_t path_len;
};

void foldtree_write(const struct foldtree *t, struct output *out)
{
	struct buf path = BUF_INIT;
	struct level *levels = NULL;
	size_t nlevels = 0, cap = 0;
	levels = xgrow(levels, &cap, 1, sizeof *levels);
	levels[nlevels].items = sorted_items(t, FOLDTREE_ROOT, &levels[nlevels].n);
	levels[nlevels].next = 0;
	levels[nlevels++].path_len = 0;
	while (nlevels) {
		struct level *lv = &levels[nlevels - 1];
		if (lv->next == lv->n) {
			free(lv->items);
			path.len = lv->path_len;
			nlevels--;
			continue;
		}
		const struct item *it = &lv->items[lv->next++];
		size_t base = path.len;
		if (nlevels > 1)	/* below the root: after the callers' frames */
			buf_addc(&path, ';');
		buf_add(&path, it->frame, it->len);
		if (!it->below) {
			const struct foldtree_node *nd = &t->nodes[it->node];
			folded_write_stack(out, path.data, path.len, nd->value, nd->count);
			path.len = base;
			continue;
		}
		levels = xgrow(levels, &cap, nlevels + 1, sizeof *levels);
		struct level *child = &levels[nlevels++];
		child->items = sorted_items(t, it->node, &child->n);
		child->next = 0;
		child->path_len = base;
	}
	free(levels);
	buf_release(&path);
}
