/*
 * foldtree.h - folded stacks as a tree of frames, written sorted without
 * ever building a whole stack line in memory.
 *
 * A reducer's stacks share their callers: a chain 30,000 calls deep with an
 * allocation at every level has 30,000 stack lines holding 450 million
 * frames in all, but only 30,000 distinct (caller, frame) pairs.  The tree
 * keeps those pairs, one node each, and foldtree_write() walks it, writing
 * each line from a path buffer as deep as the deepest stack.  So memory is
 * proportional to the distinct frames of distinct paths (never to the size
 * of the output), and the output streams.
 *
 * The order is the one of folded_set_write(): lines sorted by their text,
 * byte by byte (LC_ALL=C sort).  Two sibling frames where one is a prefix
 * of the other ("f" and "f (a.c:1)") make that order differ from a plain
 * depth-first walk, so siblings are sorted on two keys each: the frame
 * itself (the node's own line: the text ends there) and the frame followed
 * by ';' (the lines of its callees).  Frames are escaped (they never hold a
 * ';'), so every line of a subtree lies between those of its neighbours.
 *
 *	struct foldtree t;
 *	foldtree_init(&t);
 *	uint32_t n = foldtree_child(&t, FOLDTREE_ROOT, "main", 4);
 *	n = foldtree_child(&t, n, "f (a.c:3)", 9);
 *	foldtree_add(&t, n, bytes, count);	// the line "main;f (a.c:3)"
 *	foldtree_write(&t, out);
 *	foldtree_release(&t);
 */
#ifndef MF_FOLDTREE_H
#define MF_FOLDTREE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "intern.h"
#include "output.h"

/* The empty stack: the parent of outermost frames.  It has no line. */
#define FOLDTREE_ROOT 0

struct foldtree_node {
	uint32_t frame;		/* id in frames; unused for the root */
	uint32_t first_child, next_sibling;	/* node ids, 0 for none */
	int has_line;		/* foldtree_add() was called on it */
	uint64_t value, count;
};

struct foldtree {
	struct intern frames;	/* frame texts, escaped, each once */
	struct hash children;	/* parent << 32 | frame -> node */
	struct foldtree_node *nodes;	/* [0] is the root */
	size_t n, cap;
};

void foldtree_init(struct foldtree *t);
void foldtree_release(struct foldtree *t);
/*
 * The node of frame frame[0..n) (escaped folded frame text) called from
 * parent, created when new.  Ids stay valid until foldtree_release().
 */
uint32_t foldtree_child(struct foldtree *t, uint32_t parent, const char *frame, size_t n);
/*
 * Add value and count to the line of node (a stack line from the root to
 * node).  A sum that overflows 64 bits dies ("the total of a stack
 * overflows 64 bits"), as folded_set_add() does.
 */
void foldtree_add(struct foldtree *t, uint32_t node, uint64_t value, uint64_t count);
/* Every line, sorted bytewise, each after its "# count=N" line. */
void foldtree_write(const struct foldtree *t, struct output *out);

#endif
