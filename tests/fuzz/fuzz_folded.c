/*
 * fuzz_folded.c - libFuzzer harness for the folded-stack reader
 * (lib/folded.h): read every line as mf-invert and mf-html do, split each
 * frame into function and location, merge the stacks and write them to
 * /dev/null.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "folded.h"
#include "fuzz.h"
#include "output.h"

static struct folded_reader reader;
static struct folded_set stacks = FOLDED_SET_INIT;
static struct output out;
static int out_open;

static void split_frames(const char *stack, size_t n)
{
	const char *p = stack, *end = stack + n;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p);
		const char *loc;
		size_t loc_len;
		size_t fn = folded_frame_split(p, len, &loc, &loc_len);
		if (fn > len || loc < p || loc + loc_len > p + len)
			__builtin_trap();
		p += len + 1;
	}
}

static void read_all(const char *path)
{
	struct folded_line line;
	output_open(&out, "/dev/null", 1);
	out_open = 1;
	folded_open(&reader, path);
	while (folded_next(&reader, &line)) {
		if (line.kind == FOLDED_META) {
			folded_meta_json(&out, line.key, line.json);
			continue;
		}
		split_frames(line.stack, line.stack_len);
		folded_set_add(&stacks, line.stack, line.stack_len, line.value,
			       line.has_count ? line.count : 1);
	}
	folded_set_total(&stacks, NULL);
	folded_set_write(&stacks, &out);
}

static void release(void)
{
	if (out_open)
		output_close(&out);
	out_open = 0;
	folded_close(&reader);
	folded_set_release(&stacks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_RUN(data, size, path) {
		read_all(path);
	}
	release();
	return 0;
}
