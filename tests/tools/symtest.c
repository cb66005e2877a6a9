/*
 * symtest - drive mf-record's symbolizer (mf-record/symbolizer/symbolize.c) from text.
 *
 * Reads what the tests/progs/sym_* programs print: module lines, added as
 * they come (a library loaded later is added later), and labelled return
 * addresses, resolved at once.  Prints each frame of each address as
 *
 *	LABEL<TAB>FUNCTION<TAB>FILE:LINE<TAB>MODULE
 *
 * innermost first; an unknown file is "?", an unknown module "?".
 * With --pid PID, the modules are those of the running process PID,
 * opened through it as mf-record opens them (mf-record/symbolizer/sym_open.h).
 *
 * With --scan STEP, it instead maps the module MODULE at bias 0, looks up
 * every STEP-th address of its executable segments (twice: the second
 * pass must come from the cache) and prints counts and times: the
 * symbolizer's benchmark on real code.
 */
#include <getopt.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "input.h"
#include "num.h"
#include "output.h"
#include "../../mf-record/symbolizer/symbolize.h"

static const char usage[] =
	"usage: symtest [FILE]\n"
	"       symtest --pid PID [FILE]\n"
	"       symtest --scan STEP MODULE\n";

static void print_frames(struct output *out, const char *label,
			 const struct sym_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		output_printf(out, "%s\t%s\t%s:%u\t%s\n", label, f[i].function,
			      f[i].file ? f[i].file : "?", f[i].line,
			      f[i].module ? f[i].module : "?");
}

/* Split the line into at most max space-separated words; the last takes the rest. */
static size_t split(char *line, char **words, size_t max)
{
	size_t n = 0;

	while (n < max && *line) {
		words[n++] = line;
		if (n == max)
			break;
		line = strchr(line, ' ');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static uint64_t hex_field(const struct input *in, const char *s, const char *what)
{
	uint64_t v;

	if (parse_hex64(s, &v))
		input_error(in, "expected a hexadecimal %s, got '%s'", what, s);
	return v;
}

static void run_lines(struct input *in, struct output *out, pid_t pid)
{
	struct symbolizer *s = symbolizer_new(pid);
	const struct sym_frame *frames;
	char *w[5];
	size_t n;

	while (input_getline(in)) {
		n = split(in->line, w, 5);
		if (n == 5 && !strcmp(w[0], "module")) {
			symbolizer_add_module(s, w[4], hex_field(in, w[1], "bias"),
					      hex_field(in, w[2], "start"),
					      hex_field(in, w[3], "end"));
		} else if (n == 3 && !strcmp(w[0], "pc")) {
			n = symbolizer_lookup(s, hex_field(in, w[2], "address"),
					      &frames);
			print_frames(out, w[1], frames, n);
		} else {
			input_error(in, "expected 'module BIAS START END PATH' or 'pc LABEL ADDRESS'");
		}
	}
	symbolizer_free(s);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The executable segments of path, as [start, end) pairs; returns their count. */
static size_t code_segments(const char *path, uint64_t (*seg)[2], size_t max)
{
	FILE *f = fopen(path, "rb");
	Elf *elf;
	GElf_Phdr ph;
	size_t nph, n = 0;

	if (!f)
		die_errno("cannot open '%s'", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fileno(f), ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nph))
		die("'%s': not an ELF file", path);
	for (size_t i = 0; i < nph && n < max; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X)) {
			seg[n][0] = ph.p_vaddr;
			seg[n][1] = ph.p_vaddr + ph.p_memsz;
			n++;
		}
	elf_end(elf);
	fclose(f);
	return n;
}

/* Look up every step-th address of the segments; returns the frame count. */
static uint64_t scan_pass(struct symbolizer *s, uint64_t (*seg)[2], size_t nseg,
			  uint64_t step, uint64_t *lookups)
{
	const struct sym_frame *frames;
	uint64_t nframes = 0;

	*lookups = 0;
	for (size_t i = 0; i < nseg; i++)
		for (uint64_t pc = seg[i][0] + 1; pc <= seg[i][1]; pc += step) {
			nframes += symbolizer_lookup(s, pc, &frames);
			++*lookups;
		}
	return nframes;
}

static void run_scan(struct output *out, uint64_t step, const char *path)
{
	uint64_t seg[16][2], lo = UINT64_MAX, hi = 0, lookups, nframes;
	size_t nseg = code_segments(path, seg, 16);
	struct symbolizer *s = symbolizer_new(0);
	double t0, t1, t2;

	for (size_t i = 0; i < nseg; i++) {
		lo = seg[i][0] < lo ? seg[i][0] : lo;
		hi = seg[i][1] > hi ? seg[i][1] : hi;
	}
	t0 = now();
	symbolizer_add_module(s, path, 0, lo, hi);
	nframes = scan_pass(s, seg, nseg, step, &lookups);
	t1 = now();
	scan_pass(s, seg, nseg, step, &lookups);
	t2 = now();
	output_printf(out, "%" PRIu64 " addresses, %" PRIu64 " frames, "
		      "first pass %.3f s (%.1f us/address), cached pass %.3f s\n",
		      lookups, nframes, t1 - t0,
		      lookups ? (t1 - t0) * 1e6 / lookups : 0.0, t2 - t1);
	symbolizer_free(s);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "pid", required_argument, NULL, 'p' },
		{ "scan", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct output out;
	struct input in;
	uint64_t step = 0, pid = 0;
	int c;

	set_progname(argv[0]);
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'p':
			pid = option_u64(usage, "--pid", optarg, 1, INT32_MAX);
			break;
		case 's':
			step = option_u64(usage, "--scan", optarg, 1, 1 << 20);
			break;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (step && argc - optind != 1))
		usage_error(usage, "wrong number of arguments");
	output_open(&out, NULL, 0);
	if (step) {
		run_scan(&out, step, argv[optind]);
	} else {
		input_open(&in, optind < argc ? argv[optind] : NULL);
		run_lines(&in, &out, (pid_t)pid);
		input_close(&in);
	}
	output_close(&out);
	return 0;
}
