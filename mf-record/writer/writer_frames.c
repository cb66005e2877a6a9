/*
 * writer_frames.c - stacks, frames, modules and the calls into the
 * symbolizer (see writer_frames.h).
 *
 * A return address is symbolized once and its frames interned once; a
 * stack id is resolved to a node once.  Frames are equal when their
 * function, file, line and module are; nodes when their parent and frame
 * are.
 */
#include "writer_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "syntax.h"
#include "writer_format.h"

#define TOO_DEEP "<STACK TOO DEEP>"

void frames_init(struct writer_frames *f, pid_t pid)
{
	*f = (struct writer_frames){ .pc_frames = HASH_INIT, .strings = INTERN_INIT,
		.frame_keys = INTERN_INIT, .modules = INTERN_INIT, .nodes = HASH_INIT,
		.python = WRITER_PYTHON_INIT, .opened = HASH_INIT };
	f->sym = symbolizer_new(pid);
}

void frames_release(struct writer_frames *f)
{
	symbolizer_free(f->sym);
	free(f->stacks);
	free(f->pcs);
	hash_release(&f->pc_frames);
	free(f->syms);
	free(f->frame_list);
	intern_release(&f->strings);
	intern_release(&f->frame_keys);
	intern_release(&f->modules);
	hash_release(&f->nodes);
	python_release(&f->python);
	free(f->pystacks);
	free(f->pyframes);
	hash_release(&f->opened);
	free(f->scratch_ids);
}

void frames_exec(struct writer_frames *f, pid_t pid)
{
	symbolizer_free(f->sym);
	f->sym = symbolizer_new(pid);
	free(f->stacks);
	f->stacks = NULL;
	f->cap_stacks = 0;
	f->npcs = 0;
	hash_release(&f->pc_frames);
	f->nsyms = 0;
	hash_release(&f->opened);
	python_release(&f->python);
	f->python = (struct writer_python)WRITER_PYTHON_INIT;
	f->npystacks = 0;
	f->npyframes = 0;
}

/* ---- modules: opened as they arrive, mapped in the order of events ---- */

static uint64_t module_event(uint64_t key, uint64_t start)
{
	return hash_mix(key) ^ start;
}

void frames_module(struct writer_frames *f, uint64_t key, const char *path,
		   uint64_t bias, uint64_t start, uint64_t end,
		   const unsigned char *build_id, size_t idlen)
{
	uint32_t id = symbolizer_open_module(f->sym, path, bias, start, end, build_id, idlen);
	*hash_put(&f->opened, module_event(key, start), NULL) = id;
}

void frames_map_module(struct writer_frames *f, uint64_t key, uint64_t start)
{
	uint64_t id;
	if (!hash_remove(&f->opened, module_event(key, start), &id))
		return;
	if (symbolizer_map_module(f->sym, (uint32_t)id)) {
		uint64_t lo, hi;
		symbolizer_module_range(f->sym, (uint32_t)id, &lo, &hi);
		symbolizer_forget_range(&f->pc_frames, lo, hi);
	}
}

static void stacks_reach(struct writer_frames *f, uint64_t id)
{
	if (id == 0 || id >= FRAMES_MAX_STACK)
		die("the recorded process sent a bad stack id %llu", (unsigned long long)id);
	if (id >= f->cap_stacks) {
		size_t old = f->cap_stacks;
		f->stacks = xgrow(f->stacks, &f->cap_stacks, id + 1, sizeof *f->stacks);
		memset(f->stacks + old, 0, (f->cap_stacks - old) * sizeof *f->stacks);
	}
}

void frames_stack(struct writer_frames *f, uint64_t id, const uint64_t *pcs,
		  uint32_t depth, int truncated)
{
	stacks_reach(f, id);
	f->pcs = xgrow(f->pcs, &f->cap_pcs, f->npcs + depth, sizeof *f->pcs);
	memcpy(f->pcs + f->npcs, pcs, depth * sizeof *pcs);
	f->stacks[id] = (struct raw_stack){ .first = f->npcs, .depth = depth,
		.truncated = truncated != 0, .known = 1 };
	f->npcs += depth;
}

/* The Python frames share the native stack's addresses. */
void frames_pystack(struct writer_frames *f, uint64_t id, uint64_t native,
		    const uint64_t *frames, uint32_t count, int truncated)
{
	stacks_reach(f, id);
	if (native >= f->cap_stacks || !f->stacks[native].known || f->stacks[native].python)
		die("the recorded process sent Python frames on a bad stack %llu",
		    (unsigned long long)native);
	f->pyframes = xgrow(f->pyframes, &f->cap_pyframes, f->npyframes + 2 * (size_t)count,
			    sizeof *f->pyframes);
	memcpy(f->pyframes + f->npyframes, frames, 2 * (size_t)count * sizeof *frames);
	f->pystacks = xgrow(f->pystacks, &f->cap_pystacks, f->npystacks + 1, sizeof *f->pystacks);
	f->pystacks[f->npystacks++] = (struct py_stack){ .first = f->npyframes, .count = count,
		.truncated = truncated != 0 };
	f->npyframes += 2 * (size_t)count;
	struct raw_stack *n = &f->stacks[native];
	f->stacks[id] = (struct raw_stack){ .first = n->first, .depth = n->depth,
		.truncated = n->truncated, .known = 1, .python = (uint32_t)f->npystacks };
}

/* ---- symbolizing: writes nothing ---- */

/* Look pc up and keep its frames, outermost first; returns its pc_frames value. */
static uint64_t symbolize(struct writer_frames *f, uint64_t pc)
{
	const struct sym_frame *found;
	size_t n = symbolizer_lookup(f->sym, pc, &found);
	if (n > 0xffff)
		n = 0xffff;
	uint64_t first = f->nsyms;
	size_t cap = f->cap_syms;
	f->syms = xgrow(f->syms, &f->cap_syms, f->nsyms + n, sizeof *f->syms);
	if (f->cap_syms != cap)	/* frame_list runs beside syms */
		f->frame_list = xrealloc(f->frame_list, f->cap_syms * sizeof *f->frame_list);
	for (size_t i = n; i-- > 0;)
		f->syms[f->nsyms++] = found[i];
	uint64_t v = first << 17 | n << 1;
	*hash_put(&f->pc_frames, pc, NULL) = v;
	return v;
}

int frames_symbolize_one(struct writer_frames *f, uint64_t id)
{
	if (id >= f->cap_stacks)
		return 0;
	struct raw_stack *s = &f->stacks[id];
	while (s->known && !s->resolved && s->checked < s->depth) {
		uint64_t pc = f->pcs[s->first + s->depth - 1 - s->checked];
		s->checked++;
		if (!hash_get(&f->pc_frames, pc)) {
			symbolize(f, pc);
			return 1;
		}
	}
	return 0;
}

/* ---- interning: writes M, F and S records ---- */

static uint32_t module_id(struct writer_frames *f, struct writer_output *t, const char *path)
{
	if (!path)
		return 0;
	size_t before = f->modules.count;
	uint32_t id = intern(&f->modules, path, strlen(path)) + 1;
	if (f->modules.count != before) {
		buf_addc(&t->line, EV_MODULE);
		buf_addc(&t->line, ' ');
		buf_addu64(&t->line, id);
		buf_addc(&t->line, ' ');
		syntax_escape(&t->line, path, SYNTAX_TEXT);
		text_end_line(t);
	}
	return id;
}

static uint32_t string_id(struct writer_frames *f, const char *s)
{
	return intern(&f->strings, s, strlen(s));
}

/* The id of a frame, written as an F record the first time. */
static uint32_t frame_id(struct writer_frames *f, struct writer_output *t,
			 const char *function, const char *file, unsigned line, const char *module)
{
	if (!file || !*file)
		file = "?";
	uint32_t mod = module_id(f, t, module);	/* a new module's M goes first */
	char key[64];
	int n = snprintf(key, sizeof key, "%u %u %u %u", string_id(f, function),
			 string_id(f, file), line, mod);
	size_t before = f->frame_keys.count;
	uint32_t id = intern(&f->frame_keys, key, (size_t)n) + 1;
	if (f->frame_keys.count == before)
		return id;
	struct buf *b = &t->line;
	buf_addc(b, EV_FRAME);
	buf_addc(b, ' ');
	buf_addu64(b, id);
	buf_addc(b, ' ');
	buf_addu64(b, mod);
	buf_addc(b, ' ');
	syntax_escape(b, file, SYNTAX_WORD);
	buf_addc(b, ' ');
	buf_addu64(b, line);
	buf_addc(b, ' ');
	syntax_escape(b, function, SYNTAX_TEXT);
	text_end_line(t);
	return id;
}

/* The node for frame called from parent, written as an S record the first time. */
static uint32_t node_id(struct writer_frames *f, struct writer_output *t,
			uint32_t parent, uint32_t frame)
{
	int added;
	uint64_t *v = hash_put(&f->nodes, (uint64_t)parent << 32 | frame, &added);
	if (!added)
		return (uint32_t)*v;
	if (f->nnodes == UINT32_MAX - 1)
		die("too many distinct stacks");
	*v = ++f->nnodes;
	FORMAT(t, EV_STACK, *v, parent, frame);
	return (uint32_t)*v;
}

/*
 * The frame ids of return address pc as of an earlier view, when another
 * module was mapped over its module since (an aggregated capture names
 * its stacks at the end): not cached.  *ids points into scratch_ids.
 */
static size_t pc_frames_then(struct writer_frames *f, struct writer_output *t, uint64_t pc,
			     uint64_t view, const uint32_t **ids)
{
	const struct sym_frame *found;
	size_t n = symbolizer_lookup_in(f->sym, pc, view, &found);
	f->scratch_ids = xgrow(f->scratch_ids, &f->cap_scratch, n, sizeof *f->scratch_ids);
	for (size_t i = 0; i < n; i++) {
		const struct sym_frame *s = &found[n - 1 - i];
		f->scratch_ids[i] = frame_id(f, t, s->function, s->file, s->line, s->module);
	}
	*ids = f->scratch_ids;
	return n;
}

/*
 * The frame ids of return address pc, outermost first (an inlined call is
 * a frame of its own), symbolized and interned once.  Returns how many;
 * *ids points into frame_list until the next call.
 */
static size_t pc_frames(struct writer_frames *f, struct writer_output *t, uint64_t pc,
			const uint32_t **ids)
{
	uint64_t *found = hash_get(&f->pc_frames, pc);
	uint64_t v = found ? *found : symbolize(f, pc);
	size_t first = (size_t)(v >> 17), n = (size_t)(v >> 1 & 0xffff);
	if (!(v & 1)) {
		/* Interning writes records but never touches pc_frames or syms. */
		for (size_t i = 0; i < n; i++) {
			const struct sym_frame *s = &f->syms[first + i];
			f->frame_list[first + i] = frame_id(f, t, s->function, s->file, s->line, s->module);
		}
		*hash_get(&f->pc_frames, pc) = v | 1;
	}
	*ids = f->frame_list + first;
	return n;
}

/* ---- Python frames woven in ---- */

/* Is pc in CPython's evaluation loop (the function that runs Python frames)? */
static int in_eval_loop(struct writer_frames *f, uint64_t pc)
{
	static const char eval[] = "_PyEval_EvalFrameDefault";
	uint64_t *found = hash_get(&f->pc_frames, pc);
	uint64_t v = found ? *found : symbolize(f, pc);
	size_t first = (size_t)(v >> 17), n = (size_t)(v >> 1 & 0xffff);
	const char *function = n ? f->syms[first].function : NULL;	/* outermost: the real function */
	return function && strncmp(function, eval, sizeof eval - 1) == 0 &&
	       (function[sizeof eval - 1] == '\0' || function[sizeof eval - 1] == '.');
}

/* The node of Python frame i of py below parent. */
static uint32_t python_node(struct writer_frames *f, struct writer_output *t, uint32_t parent,
			    const struct py_stack *py, uint32_t i)
{
	uint64_t code = f->pyframes[py->first + 2 * i] & ~MF_PY_ENTRY;
	int64_t offset = (int64_t)f->pyframes[py->first + 2 * i + 1];
	const struct py_code *c = python_code_of(&f->python, code);
	uint32_t frame = frame_id(f, t, c->qualname, c->filename, python_line(c, offset),
				  PYTHON_MODULE);
	return node_id(f, t, parent, frame);
}

/*
 * Groups: the Python frames of one run of the evaluation loop, innermost
 * first: group g is frames [start[g], start[g + 1]).
 */
static uint32_t python_groups(const struct writer_frames *f, const struct py_stack *py,
			      uint32_t *start)
{
	uint32_t g = 0;
	start[0] = 0;
	for (uint32_t i = 0; i < py->count; i++)
		if ((f->pyframes[py->first + 2 * i] & MF_PY_ENTRY) || i + 1 == py->count)
			start[++g] = i + 1;
	return g;
}

/* Groups [from, to) below parent, outermost first (each group's frames outermost first). */
static uint32_t python_group_nodes(struct writer_frames *f, struct writer_output *t,
				   uint32_t node, const struct py_stack *py,
				   const uint32_t *start, uint32_t from, uint32_t to)
{
	for (uint32_t g = to; g-- > from;)
		for (uint32_t i = start[g + 1]; i-- > start[g];)
			node = python_node(f, t, node, py, i);
	return node;
}

/*
 * The native stack with the Python frames woven in: the k-th frame of the
 * evaluation loop from the innermost is replaced by the k-th group of
 * Python frames.  Groups beyond the loops found (a loop the unwinder did
 * not see) go where the outermost loop is, or at the root when none is.
 * When the Python chain was cut, the native callers beyond its outermost
 * loop are cut with it: the marker frame stands for both.
 */
static uint32_t resolve_woven(struct writer_frames *f, struct writer_output *t,
			      const struct raw_stack *s, uint32_t node)
{
	const struct py_stack *py = &f->pystacks[s->python - 1];
	uint32_t *start = xmalloc(((size_t)py->count + 1) * sizeof *start);
	uint32_t groups = python_groups(f, py, start), loops = 0;
	for (uint32_t i = 0; i < s->depth; i++)
		loops += in_eval_loop(f, f->pcs[s->first + i]);
	if (loops == 0)
		node = python_group_nodes(f, t, node, py, start, 0, groups);
	for (uint32_t i = s->depth, loop = loops; i-- > 0;) {
		uint64_t pc = f->pcs[s->first + i];
		if (in_eval_loop(f, pc)) {
			loop--;
			if (loop + 1 == loops && groups > loops)
				node = python_group_nodes(f, t, node, py, start, loops, groups);
			if (loop < groups) {
				node = python_group_nodes(f, t, node, py, start, loop, loop + 1);
				continue;
			}
			if (py->truncated)
				continue;	/* beyond the cut */
		} else if (py->truncated && loop >= groups) {
			continue;	/* beyond the cut */
		}
		const uint32_t *ids;
		size_t n = pc_frames(f, t, pc, &ids);
		for (size_t j = 0; j < n; j++)
			node = node_id(f, t, node, ids[j]);
	}
	free(start);
	return node;
}

uint32_t frames_resolve(struct writer_frames *f, struct writer_output *t, uint64_t id)
{
	if (id >= f->cap_stacks || !f->stacks[id].known)
		return 0;	/* never sent: the empty stack */
	struct raw_stack *s = &f->stacks[id];
	if (s->resolved)
		return s->node;
	if (s->python) {
		uint32_t node = 0;
		if (s->truncated || f->pystacks[s->python - 1].truncated) {
			if (!f->too_deep_frame)
				f->too_deep_frame = frame_id(f, t, TOO_DEEP, NULL, 0, NULL);
			node = node_id(f, t, 0, f->too_deep_frame);
		}
		s->node = resolve_woven(f, t, s, node);
		s->resolved = 1;
		return s->node;
	}
	uint32_t node = 0;
	if (s->truncated) {
		if (!f->too_deep_frame)
			f->too_deep_frame = frame_id(f, t, TOO_DEEP, NULL, 0, NULL);
		node = node_id(f, t, 0, f->too_deep_frame);
	}
	int then = s->used && s->view < symbolizer_shadowed(f->sym);
	for (uint32_t i = s->depth; i-- > 0;) {
		const uint32_t *ids;
		uint64_t pc = f->pcs[s->first + i];
		size_t n = then ? pc_frames_then(f, t, pc, s->view, &ids) : pc_frames(f, t, pc, &ids);
		for (size_t j = 0; j < n; j++)
			node = node_id(f, t, node, ids[j]);
	}
	s->node = node;
	s->resolved = 1;
	return node;
}
