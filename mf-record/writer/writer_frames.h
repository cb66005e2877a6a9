/*
 * writer_frames.h - stacks, frames and modules: the shim's stack ids
 * become stack nodes, its return addresses frames, through the
 * symbolizer; M, F and S records are written the first time a written
 * record needs them.
 *
 * Symbolizing is the slow part (the first lookup in a module reads its
 * debug information), and it writes nothing; interning writes the records.
 * So the two are apart: the caller may symbolize a stack's addresses one
 * at a time beforehand (frames_symbolize_one), doing other work between
 * them, and frames_node then only interns.  frames_node symbolizes what is
 * left itself.
 *
 *	frames_module(f, key, path, bias, start, end);	// as modules arrive
 *	frames_stack(f, id, pcs, depth, truncated);	// as stacks arrive
 *	frames_map_module(f, key, start);		// in the order of events
 *	frames_used(f, id);				// optional, see below
 *	while (!frames_symbolized(f, id)) frames_symbolize_one(f, id);	// optional
 *	node = frames_node(f, t, id);			// M, F, S records as needed
 *
 * A return address is named from the module mapped there when the event
 * happened: modules are mapped in the order of the events, and a stack is
 * named as of its first use, frames_used or frames_node, whichever comes
 * first.  (The tracker sends a new stack id for a stack used after a
 * library was unloaded.)
 */
#ifndef MF_WRITER_FRAMES_H
#define MF_WRITER_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "intern.h"
#include "../symbolizer/symbolize.h"
#include "writer_output.h"
#include "writer_python.h"

/* A stack as the shim sent it, until a written record needs its node. */
struct raw_stack {
	uint64_t first;		/* index of its first address in pcs */
	uint32_t depth;
	uint32_t checked;	/* addresses symbolized, from the outermost */
	uint8_t truncated, known;
	uint8_t resolved;	/* node is its node */
	uint8_t used;		/* view is when it was first used */
	uint32_t node;		/* 0 until resolved (or when empty) */
	uint32_t python;	/* 0, or index + 1 of its Python frames in pystacks */
	uint64_t view;		/* the symbolizer's view at its first use */
};

/* The Python frames of a stack (MF_EV_PYSTACK): count pairs in pyframes from first. */
struct py_stack {
	uint64_t first;
	uint32_t count;
	uint8_t truncated;
};

/* Stack ids are below this (sites key them in 40 bits, writer_sites.h). */
#define FRAMES_MAX_STACK (1ull << 40)

struct writer_frames {
	struct raw_stack *stacks;	/* by id */
	size_t cap_stacks;
	/* private */
	struct symbolizer *sym;
	uint64_t *pcs;
	size_t npcs, cap_pcs;
	/* pc -> first << 17 | count << 1 | interned, into syms and frame_list */
	struct hash pc_frames;
	struct sym_frame *syms;		/* per pc, outermost first; strings the symbolizer's */
	uint32_t *frame_list;		/* their frame ids, once interned */
	size_t nsyms, cap_syms;
	struct intern strings, frame_keys, modules;
	struct hash opened;	/* a module event's key and start, mixed -> module number */
	uint32_t *scratch_ids;	/* frames of an address named as of an old view */
	size_t cap_scratch;
	struct hash nodes;	/* parent << 32 | frame -> node id */
	uint32_t nnodes;
	uint32_t too_deep_frame;
	struct writer_python python;	/* code objects */
	struct py_stack *pystacks;
	size_t npystacks, cap_pystacks;
	uint64_t *pyframes;		/* (code id | MF_PY_ENTRY, offset) pairs */
	size_t npyframes, cap_pyframes;
};

/* pid: the recorded process, whose mappings the symbolizer reads modules through. */
void frames_init(struct writer_frames *f, pid_t pid);
void frames_release(struct writer_frames *f);
/*
 * The process pid replaced its program (execve): its modules, addresses,
 * stack ids and Python code ids mean nothing any more and are forgotten;
 * the records written (M, F, S, and the ids they took) stay, for the new
 * program's frames and stacks to share.
 */
void frames_exec(struct writer_frames *f, pid_t pid);
/* A module of the process, from the event keyed key: opened by the symbolizer. */
void frames_module(struct writer_frames *f, uint64_t key, const char *path,
		   uint64_t bias, uint64_t start, uint64_t end,
		   const unsigned char *build_id, size_t idlen);
/* The module of the event keyed key, starting at start, takes its addresses. */
void frames_map_module(struct writer_frames *f, uint64_t key, uint64_t start);
/* The return addresses of stack id (innermost first); dies on a bad id. */
void frames_stack(struct writer_frames *f, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated);
/*
 * Stack id: native stack native (sent before) with count Python frames
 * (pairs as MF_EV_PYSTACK has them, innermost first) woven in; dies on a
 * bad id.
 */
void frames_pystack(struct writer_frames *f, uint64_t id, uint64_t native,
		    const uint64_t *frames, uint32_t count, int truncated);
/* Symbolize the next address of stack id not yet symbolized; returns 0 if none was left. */
int frames_symbolize_one(struct writer_frames *f, uint64_t id);
/* frames_node's slow path: resolve stack id, writing its records. */
uint32_t frames_resolve(struct writer_frames *f, struct writer_output *t, uint64_t id);

/* Stack id is used now: name it as of now, even if resolved later. */
static inline void frames_used(struct writer_frames *f, uint64_t id)
{
	if (id < f->cap_stacks && !f->stacks[id].used) {
		f->stacks[id].used = 1;
		f->stacks[id].view = symbolizer_view(f->sym);
	}
}

/* Whether frames_node(id) needs no symbolizing. */
static inline int frames_symbolized(const struct writer_frames *f, uint64_t id)
{
	if (id >= f->cap_stacks)
		return 1;	/* never sent: the empty stack */
	const struct raw_stack *s = &f->stacks[id];
	return !s->known || s->resolved || s->checked == s->depth;
}

/* The node of stack id (0: empty, or never sent), resolved and written the first time. */
static inline uint32_t frames_node(struct writer_frames *f, struct writer_output *t, uint64_t id)
{
	if (id < f->cap_stacks && f->stacks[id].resolved)
		return f->stacks[id].node;
	return frames_resolve(f, t, id);
}

#endif
