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
 * The reader must stay open until modinfo_release().  Modules come in the
 * order of their first frame's F record.
 */
#ifndef MF_MODINFO_H
#define MF_MODINFO_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "output.h"

struct stacktab;

struct modinfo {
	const struct ev_reader *r;
	unsigned char *stack_seen;	/* per stack node: its frames are marked */
	unsigned char *frame_used;	/* per frame: in the output */
};

void modinfo_init(struct modinfo *m, const struct ev_reader *r);
void modinfo_release(struct modinfo *m);
/* The frames of stack node index (dense, as ev.stack_index) and its callers are in the output. */
void modinfo_add_stack(struct modinfo *m, uint32_t index);
/* Every stack of the reader is in the output. */
void modinfo_add_all(struct modinfo *m);
/* The "# module=" lines. */
void modinfo_write(const struct modinfo *m, struct output *out);

/* The module lines of the slots of t with a non-zero count, in one call. */
void modinfo_write_stacktab(struct output *out, const struct ev_reader *r,
			    const struct stacktab *t, const uint64_t *count);

#endif
