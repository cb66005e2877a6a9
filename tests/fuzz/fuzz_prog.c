/*
 * fuzz_prog.c - libFuzzer harness that runs a whole filter: its main()
 * (compiled as mf_main with -Dmain=mf_main) on the input, writing to
 * /dev/null.  FUZZ_PROG names the filter; the options vary with the
 * input's size, so the corpus covers each variant without a selector byte.
 * An error longjmps out of mf_main; track.c then frees what it left
 * behind.  These harnesses run without leak detection (a filter need not
 * free before it exits); the reader harnesses (fuzz_events, fuzz_folded)
 * check the readers' error paths for leaks.
 */
#include <getopt.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "fuzz.h"
#include "track.h"

int mf_main(int argc, char **argv);

struct variant {
	const char *prog;
	const char *option;	/* one option, or NULL */
	const char *with;	/* mf-diff's other input: "" the input itself, else a path */
};

static const struct variant variants[] = {
	{ "mf-peak", NULL, NULL }, { "mf-peak", "--split-threads", NULL },
	{ "mf-peak", "--max-memory-records=2", NULL },
	{ "mf-leaks", NULL, NULL }, { "mf-leaks", "--split-threads", NULL },
	{ "mf-fold", NULL, NULL }, { "mf-fold", "--temporary", NULL }, { "mf-fold", "--count", NULL },
	{ "mf-fold", "--temporary=3", NULL }, { "mf-fold", "--split-threads", NULL },
	{ "mf-invert", NULL, NULL },
	{ "mf-temporal", NULL, NULL }, { "mf-temporal", "--leaks", NULL },
	{ "mf-temporal", "--split-threads", NULL },
	{ "mf-html", NULL, NULL }, { "mf-html", "--hide=^m", NULL },
	/* mf-diff: the input against itself, and as BASE or NEW of a seed. */
	{ "mf-diff", NULL, "" }, { "mf-diff", "--normalize", "" },
	{ "mf-diff", NULL, "tests/fuzz/corpus/folded/peak" },
	{ "mf-diff", "--normalize", "tests/fuzz/corpus/folded/peak" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct variant *mine[sizeof variants / sizeof *variants];
	size_t n = 0;
	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++)
		if (strcmp(variants[i].prog, FUZZ_PROG) == 0)
			mine[n++] = &variants[i];
	const struct variant *v = mine[size % n];
	char *argv[] = { (char *)v->prog, "-f", "-o", "/dev/null", NULL, NULL, NULL, NULL };
	int argc = 4;
	if (v->option)
		argv[argc++] = (char *)v->option;
	FUZZ_RUN(data, size, path) {
		fuzz_track_begin();	/* after the memfd is open: it is not the filter's */
		argv[argc++] = (char *)path;
		if (v->with)	/* mf-diff BASE NEW: the seed first for every other size */
			argv[argc++] = *v->with ? (char *)v->with : (char *)path;
		if (v->with && *v->with && size / n % 2) {
			argv[argc - 1] = argv[argc - 2];
			argv[argc - 2] = (char *)v->with;
		}
		optind = 0;	/* getopt starts afresh */
		mf_main(argc, argv);
	}
	fuzz_track_release();
	return 0;
}
