/*
 * fuzz_events.c - libFuzzer harness for the event-stream reader
 * (lib/events.h): read every record as a reducer does, fold the stack of
 * every allocation, free and aggregated record, and write the metadata and
 * the folded result to /dev/null.
 */
#include <stdint.h>
#include <stddef.h>

#include "events.h"
#include "folded.h"
#include "fuzz.h"
#include "output.h"

static struct ev_reader reader;
static struct folded_set live = FOLDED_SET_INIT;
static struct buf stack = BUF_INIT;
static struct output out;
static int out_open;

static void fold(uint32_t thread, uint64_t stack_id, uint64_t bytes, uint64_t count)
{
	buf_clear(&stack);
	ev_thread_frame(&reader, thread, &stack);
	buf_addc(&stack, ';');
	ev_stack_folded(&reader, stack_id, &stack);
	folded_set_add(&live, stack.data, stack.len, bytes, count);
}

static void read_all(const char *path)
{
	struct ev ev;
	ev_open(&reader, path);
	while (ev_next(&reader, &ev)) {
		switch (ev.type) {
		case EV_ALLOC:
		case EV_FREE:
			fold(ev.thread, ev.stack, ev.size, 1);
			break;
		case EV_PEAK_LIVE:
		case EV_END_LIVE:
			fold(ev.thread, ev.stack, ev.size, ev.count);
			break;
		}
	}
	output_open(&out, "/dev/null", 1);
	out_open = 1;
	ev_write_metadata(&reader, &out);
	folded_set_write(&live, &out);
}

static void release(void)
{
	if (out_open)
		output_close(&out);
	out_open = 0;
	ev_close(&reader);
	folded_set_release(&live);
	buf_release(&stack);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_RUN(data, size, path) {
		read_all(path);
	}
	release();
	return 0;
}
