/* diff.c - differential folded stacks: summed per stack, written sorted. */
#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "folded.h"

static int add_overflows(uint64_t a, uint64_t b)
{
	return a + b < a;
}

/* Whether any of the four sums of *sum + *add overflows 64 bits. */
static int sides_overflow(const struct diff_sides *sum, const struct diff_sides *add)
{
	return add_overflows(sum->before, add->before) || add_overflows(sum->after, add->after) ||
	       add_overflows(sum->count_before, add->count_before) ||
	       add_overflows(sum->count_after, add->count_after);
}

static void sides_add(struct diff_sides *sum, const struct diff_sides *add)
{
	sum->before += add->before;
	sum->after += add->after;
	sum->count_before += add->count_before;
	sum->count_after += add->count_after;
}

void diff_set_add(struct diff_set *s, const struct input *in, const char *stack, size_t n,
		  const struct diff_sides *add)
{
	uint32_t id = intern(&s->stacks, stack, n);
	if (id >= s->cap) {
		size_t old = s->cap;
		s->v = xgrow(s->v, &s->cap, (size_t)id + 1, sizeof *s->v);
		memset(s->v + old, 0, (s->cap - old) * sizeof *s->v);
	}
	struct diff_sides *v = &s->v[id];
	if (sides_overflow(v, add))
		input_error(in, "the total of a stack overflows 64 bits");
	if (sides_overflow(&s->total, add))
		input_error(in, "the total of all stacks overflows 64 bits");
	sides_add(v, add);
	sides_add(&s->total, add);
}

void diff_set_total(const struct diff_set *s, struct diff_sides *total)
{
	*total = s->total;
}

void diff_set_scale_before(struct diff_set *s, uint64_t num, uint64_t den)
{
	if (!den)
		return;
	/* Each BEFORE is at most den, so the quotient, and their sum, is at most num. */
	s->total.before = 0;
	for (size_t i = 0; i < s->stacks.count; i++) {
		s->v[i].before = (uint64_t)((unsigned __int128)s->v[i].before * num / den);
		s->total.before += s->v[i].before;
	}
}

void diff_set_write(const struct diff_set *s, struct output *out, int counted)
{
	uint32_t *order = intern_sorted(&s->stacks);
	for (size_t i = 0; i < s->stacks.count; i++) {
		uint32_t id = order[i];
		const struct diff_sides *v = &s->v[id];
		if (counted)
			output_printf(out, "# counts=[%llu,%llu]\n", (unsigned long long)v->count_before,
				      (unsigned long long)v->count_after);
		output_write(out, intern_str(&s->stacks, id), intern_len(&s->stacks, id));
		output_printf(out, " %llu %llu\n", (unsigned long long)v->before,
			      (unsigned long long)v->after);
	}
	free(order);
}

void diff_write_totals(const struct diff_set *s, struct output *out, int counted)
{
	struct diff_sides total;
	diff_set_total(s, &total);
	folded_meta_u64(out, "shown_before", total.before);
	folded_meta_u64(out, "shown_after", total.after);
	if (!counted)
		return;
	folded_meta_u64(out, "shown_allocations_before", total.count_before);
	folded_meta_u64(out, "shown_allocations_after", total.count_after);
}

void diff_set_release(struct diff_set *s)
{
	intern_release(&s->stacks);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void meta_set_u64(struct meta_list *meta, const char *key, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%llu", (unsigned long long)v);
	meta_set(meta, key, num);
}

void diff_write_folded(const char *path, int force, struct meta_list *meta,
		       const struct diff_set *set, int counted)
{
	struct diff_sides total;
	struct output out;
	diff_set_total(set, &total);
	meta_set_u64(meta, "shown_before", total.before);
	meta_set_u64(meta, "shown_after", total.after);
	if (counted) {
		meta_set_u64(meta, "shown_allocations_before", total.count_before);
		meta_set_u64(meta, "shown_allocations_after", total.count_after);
	}
	output_open(&out, path, force);
	meta_write(meta, &out);
	diff_set_write(set, &out, counted);
	output_close(&out);
}
