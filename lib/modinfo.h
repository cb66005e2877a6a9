/*
 * modinfo.h - the `module` metadata of a reducer's output: for each module
 * that the output's frames are in, its path, whether it is the recorded
 * program, whether any of those frames had line information, the build id
 * of a module without any (for the report's hint on debug packages), and
 * the source files those frames name (docs/FORMAT.md, "Metadata lines").
 *
 * The report colours and hides frames by the module they are in, but a
 * folded frame only says "FUNCTION (FILE:LINE)" or "FUNCTION (MODULE)":
 * these lines let it find a frame's module from its location.  Their size
 * is bounded by the distinct frames of the output.
 *
 *	struct modinfo m;
 *	modinfo_init(&m, &r);
 *	modinfo_add_stack(&m, ev.stack_index);	// each stack of the output
 *	modinfo_write(&m, out);			// one "# module=" line per module
 *	modinfo_release(&m);
 *
 * Several captures (the processes of mf-record --follow-fork) go into one
 * set of lines: modinfo_init(&m, NULL), then for each capture
 * modinfo_begin(&m, &r), its stacks, and modinfo_end(&m), which takes the
 * facts of the capture's modules so that its reader may be closed.  A
 * module is its path: the same path in two captures is one line, whose
 * facts merge (docs/FORMAT.md says how).  Otherwise the current capture's
 * reader must stay open until modinfo_end() (modinfo_write() ends it).
 * Modules come in the order of their first frame's F record, captures in
 * the order they were begun.
 */
#ifndef MF_MODINFO_H
#define MF_MODINFO_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "intern.h"
#include "output.h"

struct stacktab;

/* What the captures taken so far say of one module path. */
struct modinfo_module {
	int program, lines;
	struct intern files;	/* FILE of each frame with a line, in order */
};

struct modinfo {
	/* the capture being added, NULL between captures */
	const struct ev_reader *r;
	unsigned char *stack_seen;	/* per stack node: its frames are marked */
	unsigned char *frame_used;	/* per frame: in the output */
	/* the modules taken: path id (in paths) -> its facts */
	struct intern paths;
	struct modinfo_module *mods;
	size_t cap;
};

/* An empty set; r, when not NULL, is begun (modinfo_begin). */
void modinfo_init(struct modinfo *m, const struct ev_reader *r);
void modinfo_release(struct modinfo *m);
/* The next capture's stacks are r's (a capture still begun is ended first). */
void modinfo_begin(struct modinfo *m, const struct ev_reader *r);
/* The frames of stack node index (dense, as ev.stack_index) and its callers are in the output. */
void modinfo_add_stack(struct modinfo *m, uint32_t index);
/* Every stack of the reader is in the output. */
void modinfo_add_all(struct modinfo *m);
/* The stacks of the slots of t with a non-zero count are in the output. */
void modinfo_add_stacktab(struct modinfo *m, const struct stacktab *t, const uint64_t *count);
/* Take the facts of the current capture's modules; its reader may then close. */
void modinfo_end(struct modinfo *m);
/* The "# module=" lines (the current capture ended first). */
void modinfo_write(struct modinfo *m, struct output *out);

#endif
