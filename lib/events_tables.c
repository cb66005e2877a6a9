/*
 * events_tables.c - the event-stream reader's tables: the records that
 * define modules, frames, stacks and threads, and what reducers ask of
 * them (events.h).
 */
#include "events_private.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

void read_module(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 1, 1);
	expect(&r->in, &fs, 1, 1, "M ID PATH");
	uint64_t id = id_field(&r->in, &fs, 0, "module ID");
	size_t i = define(&r->in, &r->priv.module_ids, id, r->priv.nmodules, "module");
	r->priv.modules = xgrow(r->priv.modules, &r->priv.cap_modules, i + 1, sizeof *r->priv.modules);
	r->priv.modules[i] = syntax_unescape_str(fs.rest, fs.rest_len);
	r->priv.nmodules++;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "function (file:line)", "function (module)" or "function", escaped. */
static void frame_text(struct ev_reader *r, struct ev_frame *f)
{
	struct buf *b = &r->priv.scratch;
	buf_clear(b);
	buf_adds(b, f->function);
	if (f->file && f->line) {
		buf_printf(b, " (%s:%llu)", f->file, (unsigned long long)f->line);
	} else if (f->module) {
		size_t m = lookup(&r->in, &r->priv.module_ids, f->module, "module");
		buf_printf(b, " (%s)", basename_of(r->priv.modules[m]));
	}
	struct buf esc = BUF_INIT;
	syntax_escape_frame(&esc, b->data, b->len);
	f->text_len = esc.len;
	f->text = buf_detach(&esc);
}

void read_frame(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 4, 1);
	expect(&r->in, &fs, 4, 4, "F ID MODULE FILE LINE FUNCTION");
	uint64_t id = id_field(&r->in, &fs, 0, "frame ID");
	struct ev_frame f = { 0 };
	f.module = num(&r->in, &fs, 1, "MODULE");
	if (f.module)
		lookup(&r->in, &r->priv.module_ids, f.module, "module");
	f.line = num(&r->in, &fs, 3, "LINE");
	if (fs.rest_len == 0)
		input_error(&r->in, "expected a FUNCTION name at the end of the frame");
	/* Every check comes before the strings are made, so an error leaks nothing. */
	size_t i = define(&r->in, &r->priv.frame_ids, id, r->priv.nframes, "frame");
	if (!(fs.len[2] == 1 && fs.f[2][0] == '?'))
		f.file = syntax_unescape_str(fs.f[2], fs.len[2]);
	f.function = syntax_unescape_str(fs.rest, fs.rest_len);
	r->priv.frames = xgrow(r->priv.frames, &r->priv.cap_frames, i + 1, sizeof *r->priv.frames);
	frame_text(r, &f);
	r->priv.frames[i] = f;
	r->priv.nframes++;
}

void read_stack(struct ev_reader *r)
{
	struct fields fs;
	split(&r->in, &fs, 3, 0);
	expect(&r->in, &fs, 3, 3, "S ID PARENT FRAME");
	uint64_t id = id_field(&r->in, &fs, 0, "stack ID");
	uint64_t parent = num(&r->in, &fs, 1, "PARENT");
	uint64_t frame = id_field(&r->in, &fs, 2, "FRAME");
	uint64_t parent_index = parent ? lookup(&r->in, &r->priv.stack_ids, parent, "stack") + 1 : 0;
	size_t frame_index = lookup(&r->in, &r->priv.frame_ids, frame, "frame");
	if (r->priv.nstacks == UINT32_MAX)
		input_error(&r->in, "too many stacks (at most 2^32 - 1)");
	size_t i = define(&r->in, &r->priv.stack_ids, id, r->priv.nstacks, "stack");
	size_t cap = r->priv.cap_stacks;
	r->priv.stack_parent = xgrow(r->priv.stack_parent, &cap, i + 1, sizeof *r->priv.stack_parent);
	cap = r->priv.cap_stacks;
	r->priv.stack_frame = xgrow(r->priv.stack_frame, &cap, i + 1, sizeof *r->priv.stack_frame);
	cap = r->priv.cap_stacks;
	r->priv.stack_id = xgrow(r->priv.stack_id, &cap, i + 1, sizeof *r->priv.stack_id);
	r->priv.cap_stacks = cap;
	r->priv.stack_id[i] = id;
	r->priv.stack_parent[i] = parent_index;
	r->priv.stack_frame[i] = frame_index;
	r->priv.nstacks++;
	/* Recorders number stacks 1, 2, 3...: index those directly. */
	if (id < 4 * (uint64_t)r->priv.nstacks + 4096) {
		if (id >= r->priv.ndirect) {
			size_t n = r->priv.ndirect;
			r->priv.stack_direct = xgrow(r->priv.stack_direct, &n, (size_t)id + 1, sizeof *r->priv.stack_direct);
			memset(r->priv.stack_direct + r->priv.ndirect, 0, (n - r->priv.ndirect) * sizeof *r->priv.stack_direct);
			r->priv.ndirect = n;
		}
		r->priv.stack_direct[id] = (uint32_t)i + 1;
	}
}

void read_thread(struct ev_reader *r, struct ev *ev)
{
	struct fields fs;
	split(&r->in, &fs, 2, 1);
	expect(&r->in, &fs, 2, 2, "T THREAD TID NAME");
	uint64_t thread = id_field(&r->in, &fs, 0, "THREAD");
	if (thread > UINT32_MAX)
		input_error(&r->in, "expected THREAD below 2^32, found %llu", (unsigned long long)thread);
	uint64_t tid = num(&r->in, &fs, 1, "TID");
	int added;
	uint64_t *idx = hash_put(&r->priv.thread_ids, thread, &added);
	if (added) {
		*idx = r->priv.nthreads++;
		size_t cap = r->priv.cap_threads;
		r->priv.threads = xgrow(r->priv.threads, &cap, r->priv.nthreads, sizeof *r->priv.threads);
		cap = r->priv.cap_threads;
		r->priv.thread_numbers = xgrow(r->priv.thread_numbers, &cap, r->priv.nthreads,
					  sizeof *r->priv.thread_numbers);
		r->priv.cap_threads = cap;
		r->priv.threads[*idx].name = NULL;
	}
	struct ev_thread *t = &r->priv.threads[*idx];
	r->priv.thread_numbers[*idx] = (uint32_t)thread;
	if (thread < 65536) {
		if (thread >= r->priv.nthread_direct) {
			size_t n = r->priv.nthread_direct;
			r->priv.thread_direct = xgrow(r->priv.thread_direct, &n, (size_t)thread + 1, 1);
			memset(r->priv.thread_direct + r->priv.nthread_direct, 0, n - r->priv.nthread_direct);
			r->priv.nthread_direct = n;
		}
		r->priv.thread_direct[thread] = 1;
	}
	t->tid = tid;
	free(t->name);
	t->name = syntax_unescape_str(fs.rest, fs.rest_len);
	ev->thread = (uint32_t)thread;
}

const struct ev_thread *ev_thread(const struct ev_reader *r, uint32_t thread)
{
	uint64_t *idx = hash_get(&r->priv.thread_ids, thread);
	return idx ? &r->priv.threads[*idx] : NULL;
}

void ev_thread_frame(const struct ev_reader *r, uint32_t thread, struct buf *b)
{
	const struct ev_thread *t = ev_thread(r, thread);
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "thread %u", thread);
	if (t && t->name && *t->name)
		buf_printf(&tmp, " (%s)", t->name);
	syntax_escape_frame(b, tmp.data, tmp.len);
	buf_release(&tmp);
}

void ev_stack_folded(const struct ev_reader *r, uint64_t stack, struct buf *b)
{
	if (stack == 0)
		return;
	uint64_t *idx = hash_get(&r->priv.stack_ids, stack);
	if (!idx)
		die("internal error: stack %llu unknown", (unsigned long long)stack);
	/* Parents come first in the output: collect innermost-first, then reverse. */
	size_t depth = 0;
	for (uint64_t i = *idx + 1; i; i = r->priv.stack_parent[i - 1])
		depth++;
	size_t *order = xmalloc(depth * sizeof *order);
	size_t k = depth;
	for (uint64_t i = *idx + 1; i; i = r->priv.stack_parent[i - 1])
		order[--k] = (size_t)r->priv.stack_frame[i - 1];
	for (size_t j = 0; j < depth; j++) {
		const struct ev_frame *f = &r->priv.frames[order[j]];
		if (j)
			buf_addc(b, ';');
		buf_add(b, f->text, f->text_len);
	}
	free(order);
}

uint64_t ev_stack_parent(const struct ev_reader *r, uint32_t index)
{
	return r->priv.stack_parent[index];
}

const char *ev_stack_frame_text(const struct ev_reader *r, uint32_t index, size_t *len)
{
	const struct ev_frame *f = &r->priv.frames[r->priv.stack_frame[index]];
	*len = f->text_len;
	return f->text;
}

size_t ev_nstacks(const struct ev_reader *r)
{
	return r->priv.nstacks;
}

uint32_t ev_stack_frame(const struct ev_reader *r, uint32_t index)
{
	return (uint32_t)r->priv.stack_frame[index];
}

size_t ev_nframes(const struct ev_reader *r)
{
	return r->priv.nframes;
}

const struct ev_frame *ev_frame_at(const struct ev_reader *r, uint32_t frame)
{
	return &r->priv.frames[frame];
}

const char *ev_module_path(const struct ev_reader *r, uint64_t id)
{
	uint64_t *idx = id ? hash_get(&r->priv.module_ids, id) : NULL;
	return idx ? r->priv.modules[*idx] : NULL;
}
