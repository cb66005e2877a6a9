/*
 * mf-invert - invert folded stacks: allocating functions at the root.
 *
 * Each stack is written innermost frame first, so every function that
 * allocated becomes a child of the root and its callers follow it; stacks
 * that become equal merge.  A thread frame (--split-threads output) stays
 * first.  The metadata is passed through with `inverted` flipped, so
 * inverting twice gives back the input.  Per-stack series (`stack_*`
 * lines of the temporal format) stay with their stack, and merge when
 * their stacks merge (docs/TEMPORAL.md).  A diff (mf-diff's output) is
 * inverted the same way, both sides of a stack kept together.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "err.h"
#include "folded.h"
#include "input.h"
#include "output.h"
#include "reduce.h"
#include "syntax.h"

static const char usage[] = "usage: mf-invert [-f] [-o OUTPUT] [FILE]\n";

/* Append the frames of stack to b in reverse order, the first kept first if asked. */
static void reverse_frames(struct buf *b, const char *stack, size_t n, int keep_first)
{
	const char *end = stack + n, *start = stack;
	if (keep_first) {
		const char *semi = memchr(stack, ';', n);
		if (!semi) {
			buf_add(b, stack, n);
			return;
		}
		buf_add(b, stack, (size_t)(semi + 1 - stack));
		start = semi + 1;
	}
	/* Walk back from the end: each frame runs from after a ';' to end. */
	for (const char *p = end; p > start; p--) {
		if (p[-1] != ';')
			continue;
		buf_add(b, p, (size_t)(end - p));
		buf_addc(b, ';');
		end = p - 1;
	}
	buf_add(b, start, (size_t)(end - start));
}

static void invert(struct folded_reader *fr, const char *output, int force)
{
	struct folded_line l;
	struct meta_list meta = META_LIST_INIT;
	struct folded_set set = FOLDED_SET_INIT;
	struct folded_series_list series = FOLDED_SERIES_LIST_INIT;
	struct diff_set diff = DIFF_SET_INIT;
	struct buf b = BUF_INIT;
	int counted = 1;
	while (folded_next(fr, &l)) {
		if (l.kind == FOLDED_META && folded_is_series(l.key)) {
			if (fr->diff)
				input_error(&fr->in, "expected no per-stack series in a diff, found '# %s='", l.key);
			folded_series_add(&series, &fr->in, l.key, l.json);
			continue;
		}
		if (l.kind == FOLDED_META) {
			meta_add(&meta, l.key, l.json);
			continue;
		}
		const char *split = meta_get(&meta, "split_threads");
		buf_clear(&b);
		reverse_frames(&b, l.stack, l.stack_len, split && strcmp(split, "true") == 0);
		counted &= l.has_count;
		if (l.diff) {
			struct diff_sides add = { l.before, l.value, l.count_before, l.has_count ? l.count : 0 };
			diff_set_add(&diff, &fr->in, b.data, b.len, &add);
			continue;
		}
		folded_set_add_input(&set, &fr->in, b.data, b.len, l.value, l.has_count ? l.count : 0);
		folded_set_add_series(&set, &fr->in, b.data, b.len, &series);
	}
	folded_series_end(&series, &fr->in);
	const char *inverted = meta_get(&meta, "inverted");
	meta_set(&meta, "inverted", inverted && strcmp(inverted, "true") == 0 ? "false" : "true");
	if (fr->diff)
		diff_write_folded(output, force, &meta, &diff, counted);
	else
		reduce_write_folded(output, force, &meta, &set, counted);
	diff_set_release(&diff);
	buf_release(&b);
	meta_release(&meta);
	folded_series_release(&series);
	folded_set_release(&set);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int force = 0, c;

	set_progname(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fho:", options, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'h': output_help(usage, NULL);
		case 'o': output = optarg; break;
		default: bad_option(usage, c, argv);
		}
	}
	if (argc - optind > 1)
		usage_error(usage, "one input file at most");

	struct input in;
	struct folded_reader fr;
	input_open(&in, optind < argc ? argv[optind] : NULL);
	/* An event stream would parse as one odd stack: refuse it by name. */
	if (input_getline(&in) && syntax_guess(in.line, in.len) == SYNTAX_EVENTS)
		input_error(&in, "expected folded stacks, found an event stream header (reduce it first: mf-peak, mf-leaks or mf-fold)");
	input_unget(&in);
	folded_open_input(&fr, &in);
	invert(&fr, output, force);
	folded_close(&fr);
	return 0;
}
