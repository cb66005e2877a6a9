/*
 * mf-diff - differential folded stacks: what changed from BASE to NEW.
 *
 * Reads two folded-stack inputs (any reducer's output, or plain
 * flamegraph.pl input), which must hold values of one kind (bytes or
 * counts, inverted or not, split by thread or not, functions only or
 * not), and writes one line per stack of either input, "STACK BEFORE
 * AFTER" (a stack missing from one side is 0 there), sorted: the format
 * difffolded.pl writes and flamegraph.pl draws as a differential flame
 * graph, and mf-html, mf-invert and mf-fold read (docs/FORMAT.md,
 * "Differential stacks").  The metadata of both inputs passes through,
 * each key prefixed with base_ or new_; per-stack allocation counts of both
 * sides go in "# counts=[BEFORE,AFTER]" lines.  --normalize scales BASE to
 * NEW's total, as difffolded.pl -n does.
 *
 * Memory is proportional to the distinct stacks of both inputs (and their
 * metadata), never to the number of lines: duplicates merge as they come.
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

static const char usage[] = "usage: mf-diff [-f] [-o OUTPUT] [--normalize] BASE NEW\n";

/* One input: its metadata, and whether every stack line had a count. */
struct side {
	const char *path, *prefix;
	struct meta_list meta;
	int counted;
};

/* The keys both inputs must agree on, with their values when absent. */
static const char *const same_kind[][2] = {
	{ "value", "\"bytes\"" },
	{ "inverted", "false" },
	{ "split_threads", "false" },
	{ "functions_only", "false" },
};
enum { NKIND = sizeof same_kind / sizeof same_kind[0] };

static const char *kind_of(const struct side *s, size_t k)
{
	const char *v = meta_get(&s->meta, same_kind[k][0]);
	return v ? v : same_kind[k][1];
}

static int holds_counts(const struct side *s)
{
	return strcmp(kind_of(s, 0), "\"count\"") == 0;
}

/* A stack line into set, on s's side. */
static void add_line(struct diff_set *set, struct side *s, const struct folded_reader *fr,
		     const struct folded_line *l, int is_new)
{
	int in_count = holds_counts(s);
	int has_count = l->has_count || in_count;
	uint64_t count = l->has_count ? l->count : in_count ? l->value : 0;
	struct diff_sides add = { 0, 0, 0, 0 };
	s->counted &= has_count;
	if (is_new) {
		add.after = l->value;
		add.count_after = count;
	} else {
		add.before = l->value;
		add.count_before = count;
	}
	diff_set_add(set, &fr->in, l->stack, l->stack_len, &add);
}

static void read_side(struct diff_set *set, struct side *s, int is_new)
{
	struct input in;
	struct folded_reader fr;
	struct folded_line l;
	input_open(&in, s->path);
	/* An event stream would parse as one odd stack: refuse it by name. */
	if (input_getline(&in) && syntax_guess(in.line, in.len) == SYNTAX_EVENTS)
		input_error(&in, "expected folded stacks, found an event stream header (reduce it first: mf-peak, mf-leaks or mf-fold)");
	input_unget(&in);
	folded_open_input(&fr, &in);
	while (folded_next(&fr, &l)) {
		if (l.kind == FOLDED_STACK)
			add_line(set, s, &fr, &l, is_new);
		else if (fr.diff)
			input_error(&fr.in, "expected a reduction, found a diff (mf-diff compares two reductions)");
		else if (!folded_is_series(l.key))	/* a series has no meaning in a diff */
			meta_add(&s->meta, l.key, l.json);
	}
	folded_close(&fr);
}

/* Inputs of different kinds cannot be compared: say how they differ. */
static void check_kinds(const struct side *base, const struct side *new)
{
	for (size_t k = 0; k < NKIND; k++)
		if (strcmp(kind_of(base, k), kind_of(new, k)) != 0)
			die("'%s' and '%s' differ in %s (%s and %s): compare two reductions of one kind",
			    base->path, new->path, same_kind[k][0], printable(kind_of(base, k), 30),
			    printable(kind_of(new, k), 30));
}

/* Every metadata line of s but format, its key prefixed: "# base_peak_bytes=". */
static void write_side_meta(const struct side *s, struct output *out)
{
	struct buf key = BUF_INIT;
	for (size_t i = 0; i < s->meta.n; i++) {
		if (strcmp(s->meta.items[i].key, "format") == 0)
			continue;
		buf_clear(&key);
		buf_printf(&key, "%s_%s", s->prefix, s->meta.items[i].key);
		folded_meta_json(out, key.data, s->meta.items[i].json);
	}
	buf_release(&key);
}

static void write_diff(const struct diff_set *set, const struct side *base,
		       const struct side *new, int normalize, struct output *out)
{
	int counted = base->counted && new->counted;
	folded_meta_str(out, "format", FOLDED_FORMAT, strlen(FOLDED_FORMAT));
	folded_meta_json(out, "reducer", "\"diff\"");
	for (size_t k = 0; k < NKIND; k++)
		if (k != NKIND - 1 || strcmp(kind_of(new, k), "true") == 0)
			folded_meta_json(out, same_kind[k][0], kind_of(new, k));
	if (normalize)
		folded_meta_json(out, "normalized", "true");
	write_side_meta(base, out);
	write_side_meta(new, out);
	diff_write_totals(set, out, counted);
	diff_set_write(set, out, counted);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "normalize", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int force = 0, normalize = 0, c;

	set_progname(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fhno:", options, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'h': output_help(usage, NULL);
		case 'n': normalize = 1; break;
		case 'o': output = optarg; break;
		default: bad_option(usage, c, argv);
		}
	}
	if (argc - optind != 2)
		usage_error(usage, "expected two files, BASE and NEW, found %d", argc - optind);
	if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
		usage_error(usage, "BASE and NEW cannot both be standard input");

	struct side base = { argv[optind], "base", META_LIST_INIT, 1 };
	struct side new = { argv[optind + 1], "new", META_LIST_INIT, 1 };
	struct diff_set set = DIFF_SET_INIT;
	struct output out;
	read_side(&set, &base, 0);
	read_side(&set, &new, 1);
	check_kinds(&base, &new);
	if (normalize) {
		struct diff_sides total;
		diff_set_total(&set, &total);
		diff_set_scale_before(&set, total.after, total.before);
	}
	output_open(&out, output, force);
	write_diff(&set, &base, &new, normalize, &out);
	output_close(&out);
	diff_set_release(&set);
	meta_release(&base.meta);
	meta_release(&new.meta);
	return 0;
}
