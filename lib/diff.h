/*
 * diff.h - differential folded stacks (docs/FORMAT.md, "Differential
 * stacks"): every stack of two reductions with its value and allocation
 * count before (BASE) and after (NEW), written sorted as mf-diff writes
 * them and flamegraph.pl draws them.
 *
 *	struct diff_set s = DIFF_SET_INIT;
 *	diff_set_add(&s, &in, stack, n, &side);	// side: before and after
 *	diff_set_write(&s, &out, counted);
 *	diff_set_release(&s);
 *
 * Memory is proportional to the distinct stacks (their text once, four
 * numbers each), never to the size of the inputs.
 */
#ifndef MF_DIFF_H
#define MF_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "intern.h"
#include "output.h"
#include "reduce.h"

/* What one stack line adds: values and counts of both sides. */
struct diff_sides {
	uint64_t before, after, count_before, count_after;
};

struct diff_set {
	struct intern stacks;
	struct diff_sides *v;	/* per stack id */
	size_t cap;
	struct diff_sides total;	/* of every stack */
};

#define DIFF_SET_INIT { INTERN_INIT, NULL, 0, { 0, 0, 0, 0 } }

/*
 * Add add to the sums of stack[0..n) (escaped, as in the file), a new
 * stack starting at zero on both sides.  A sum that overflows 64 bits,
 * the stack's or the total of all stacks, is an input error naming in's
 * line: so the totals written later always fit.
 */
void diff_set_add(struct diff_set *s, const struct input *in, const char *stack, size_t n,
		  const struct diff_sides *add);
/* The sums of every stack added (and scaled), in *total.  Cannot fail. */
void diff_set_total(const struct diff_set *s, struct diff_sides *total);
/*
 * Multiply every BEFORE by num / den, rounded down (mf-diff --normalize,
 * as difffolded.pl -n); den 0 leaves them as they are.  den is the total
 * of BEFORE: each product, and their total, is then at most num.
 */
void diff_set_scale_before(struct diff_set *s, uint64_t num, uint64_t den);
/*
 * Every stack, sorted bytewise (LC_ALL=C sort), as "STACK BEFORE AFTER",
 * each after its "# counts=[BEFORE,AFTER]" line when counted.
 */
void diff_set_write(const struct diff_set *s, struct output *out, int counted);
/*
 * The diff's totals: "# shown_before=", "# shown_after=" and, when
 * counted, "# shown_allocations_before=", "# shown_allocations_after=".
 */
void diff_write_totals(const struct diff_set *s, struct output *out, int counted);
void diff_set_release(struct diff_set *s);

/*
 * For the tools that rewrite a diff (mf-invert, mf-fold): set the totals
 * of diff_write_totals() in meta (counts only when counted), then write
 * meta and the stacks to path (lib/output rules, force) and close it.
 */
void diff_write_folded(const char *path, int force, struct meta_list *meta,
		       const struct diff_set *set, int counted);

#endif
