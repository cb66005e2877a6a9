/* reduce.c - totals per stack and the output every reducer shares. */
#include "reduce.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"
#include "syntax.h"

void stacktab_init(struct stacktab *t, int split_threads)
{
	memset(t, 0, sizeof *t);
	t->split_threads = split_threads;
}

void stacktab_release(struct stacktab *t)
{
	hash_release(&t->index);
	free(t->stack);
	free(t->stack_index);
	free(t->thread);
	free(t->bytes);
	free(t->count);
	memset(t, 0, sizeof *t);
}

/* Room for slot i in every per-slot array, new entries zeroed. */
static void reserve(struct stacktab *t, size_t i)
{
	if (i < t->cap)
		return;
	size_t old = t->cap, cap;
	cap = old;
	t->stack = xgrow(t->stack, &cap, i + 1, sizeof *t->stack);
	cap = old;
	t->stack_index = xgrow(t->stack_index, &cap, i + 1, sizeof *t->stack_index);
	cap = old;
	t->thread = xgrow(t->thread, &cap, i + 1, sizeof *t->thread);
	cap = old;
	t->bytes = xgrow(t->bytes, &cap, i + 1, sizeof *t->bytes);
	cap = old;
	t->count = xgrow(t->count, &cap, i + 1, sizeof *t->count);
	memset(t->stack + old, 0, (cap - old) * sizeof *t->stack);
	memset(t->thread + old, 0, (cap - old) * sizeof *t->thread);
	memset(t->bytes + old, 0, (cap - old) * sizeof *t->bytes);
	memset(t->count + old, 0, (cap - old) * sizeof *t->count);
	t->cap = cap;
	t->direct = t->split_threads ? 0 : cap;
}

size_t stacktab_slot_new(struct stacktab *t, uint32_t thread, uint64_t stack,
			 uint32_t stack_index)
{
	size_t slot;
	if (!t->split_threads) {
		/* The reader's dense stack index is the slot: no hashing. */
		slot = stack_index;
		if (slot < t->cap && t->stack[slot])
			return slot;
		reserve(t, slot);
		thread = 0;
	} else {
		int added;
		uint64_t *v = hash_put(&t->index, (uint64_t)thread << 32 | stack_index, &added);
		if (!added)
			return (size_t)*v;
		slot = t->n;
		*v = slot;
		reserve(t, slot);
	}
	t->stack[slot] = stack;
	t->stack_index[slot] = stack_index;
	t->thread[slot] = thread;
	if (slot >= t->n)
		t->n = slot + 1;
	return slot;
}

/* Stack nodes of the reader, per thread, mapped to nodes of the tree. */
struct folding {
	const struct ev_reader *r;
	struct foldtree *tree;
	uint32_t root;		/* where the stacks go: FOLDTREE_ROOT, or a process frame */
	int functions;
	struct hash nodes;	/* thread << 32 | stack index + 1 -> tree node */
	uint64_t *path;		/* scratch: stack indexes + 1 not mapped yet */
	size_t path_cap;
};

/* The tree node under which a thread's stacks go: its frame, or the root. */
static uint32_t thread_node(struct folding *f, uint32_t thread, int split)
{
	if (!split)
		return f->root;
	struct buf b = BUF_INIT;
	ev_thread_frame(f->r, thread, &b);
	uint32_t node = foldtree_child(f->tree, f->root, b.data, b.len);
	buf_release(&b);
	return node;
}

static uint32_t frame_node(struct folding *f, uint32_t parent, uint32_t index)
{
	size_t len, loc_len;
	const char *text = ev_stack_frame_text(f->r, index, &len), *loc;
	if (f->functions)
		len = folded_frame_split(text, len, &loc, &loc_len);
	return foldtree_child(f->tree, parent, text, len);
}

/*
 * The tree node of stack index + 1 in thread: found by walking up to the
 * nearest stack already mapped, then mapping the ones below it, so each
 * stack node is walked once whatever the depths.
 */
static uint32_t stack_node(struct folding *f, uint32_t thread, uint64_t index1, int split)
{
	size_t n = 0;
	uint64_t *v;
	int added;
	for (;;) {
		v = hash_put(&f->nodes, (uint64_t)thread << 32 | index1, &added);
		if (!added)
			break;
		if (!index1) {
			*v = thread_node(f, thread, split);
			break;
		}
		f->path = xgrow(f->path, &f->path_cap, n + 1, sizeof *f->path);
		f->path[n++] = index1;
		index1 = ev_stack_parent(f->r, (uint32_t)(index1 - 1));
	}
	uint32_t node = (uint32_t)*v;
	while (n--) {
		node = frame_node(f, node, (uint32_t)(f->path[n] - 1));
		*hash_get(&f->nodes, (uint64_t)thread << 32 | f->path[n]) = node;
	}
	return node;
}

/* The node of the frame "process PID (NAME)" of r's capture, NAME its program's base name. */
static uint32_t process_node(struct foldtree *tree, const struct ev_reader *r)
{
	struct buf text = BUF_INIT, frame = BUF_INIT;
	const char *name = r->argv && r->argv[0] ? r->argv[0] : "";
	const char *slash = strrchr(name, '/');
	buf_printf(&text, "process %llu (%s)", (unsigned long long)r->pid, slash ? slash + 1 : name);
	syntax_escape_frame(&frame, text.data, text.len);
	uint32_t node = foldtree_child(tree, FOLDTREE_ROOT, frame.data, frame.len);
	buf_release(&text);
	buf_release(&frame);
	return node;
}

/*
 * Fold table t into tree (reduce.h, "How reduce_captures() folds a
 * table") under node root (FOLDTREE_ROOT, or a process frame), adding to
 * *shown: several captures summed in one tree.
 */
static void stacktab_fold_under(const struct stacktab *t, const struct ev_reader *r,
				const uint64_t *bytes, const uint64_t *count, int flags, uint32_t root,
				struct foldtree *tree, struct shown *shown)
{
	struct folding f = { r, tree, root, flags & FOLD_FUNCTIONS, HASH_INIT, NULL, 0 };
	for (size_t i = 0; i < t->n; i++) {
		if (!t->stack[i] || !count[i])
			continue;
		uint32_t node = stack_node(&f, t->thread[i], (uint64_t)t->stack_index[i] + 1,
					   t->split_threads);
		foldtree_add(tree, node, flags & FOLD_COUNT ? count[i] : bytes[i], count[i]);
		shown->bytes += bytes[i];
		shown->count += count[i];
	}
	hash_release(&f.nodes);
	free(f.path);
}

void reduce_write_head(struct output *out, const char *reducer, int value_is_count,
		       int split_threads)
{
	folded_meta_str(out, "format", FOLDED_FORMAT, strlen(FOLDED_FORMAT));
	folded_meta_str(out, "reducer", reducer, strlen(reducer));
	folded_meta_json(out, "value", value_is_count ? "\"count\"" : "\"bytes\"");
	folded_meta_json(out, "inverted", "false");
	folded_meta_json(out, "split_threads", split_threads ? "true" : "false");
}

void reduce_write_stacks(struct output *out, const struct foldtree *tree,
			 const struct shown *shown)
{
	folded_meta_u64(out, "shown_bytes", shown->bytes);
	folded_meta_u64(out, "shown_allocations", shown->count);
	foldtree_write(tree, out);
}

void reduce_finish(struct ev_reader *r, struct output *out)
{
	output_close(out);
	if (r->truncated)
		die("%s: incomplete capture: no end record; the output covers only what was recorded",
		    r->in.name);
	ev_close(r);
}

/*
 * Capture i into red: read by the reducer, folded (under its process frame
 * when split), its modules taken, its peak and leaks summed.
 */
static void reduce_capture(struct reduction *red, size_t i, struct ev_reader *r,
			   const struct capture_reducer *reducer)
{
	struct capture_totals t;
	memset(&t, 0, sizeof t);
	reducer->read(reducer->self, r, i == 0 ? &red->memory : NULL, &t);
	uint32_t root = reducer->split_processes ? process_node(&red->tree, r) : FOLDTREE_ROOT;
	stacktab_fold_under(t.tab, r, t.bytes, t.count, reducer->flags, root, &red->tree,
			    &red->shown);
	modinfo_begin(&red->modules, r);
	modinfo_add_stacktab(&red->modules, t.tab, t.count);
	modinfo_end(&red->modules);
	if (i == 0)
		red->sums.peak_time_ms = t.peak_time_ms;
	red->sums.peak_bytes += t.peak_bytes;
	red->sums.peak_allocations += t.peak_allocations;
	red->sums.leaked_bytes += t.leaked_bytes;
	red->sums.leaked_allocations += t.leaked_allocations;
	if (reducer->done)
		reducer->done(reducer->self);
}

void reduce_captures(struct reduction *red, struct input *first, const char *const *paths,
		     size_t n, const struct capture_reducer *reducer)
{
	memset(red, 0, sizeof *red);
	red->n = n ? n : 1;
	foldtree_init(&red->tree);
	memory_init(&red->memory, reducer->max_memory_records);
	modinfo_init(&red->modules, NULL);
	if (first)
		ev_open_input(&red->first, first);
	else
		ev_open(&red->first, n ? paths[0] : NULL);
	reduce_capture(red, 0, &red->first, reducer);
	memory_finish(&red->memory);
	for (size_t i = 1; i < n; i++) {
		struct ev_reader r;
		ev_open(&r, paths[i]);
		reduce_capture(red, i, &r, reducer);
		if (r.truncated && !red->truncated)
			red->truncated = xstrdup(r.in.name);
		ev_close(&r);
	}
}

void reduce_write_modules(struct reduction *red, struct output *out)
{
	if (red->n > 1)
		folded_meta_u64(out, "processes", red->n);
	modinfo_write(&red->modules, out);
}

void reduce_write_sums(const struct reduction *red, struct output *out)
{
	folded_meta_u64(out, "peak_bytes", red->sums.peak_bytes);
	folded_meta_u64(out, "peak_time_ms", red->sums.peak_time_ms);
	folded_meta_u64(out, "peak_allocations", red->sums.peak_allocations);
	folded_meta_u64(out, "leaked_bytes", red->sums.leaked_bytes);
	folded_meta_u64(out, "leaked_allocations", red->sums.leaked_allocations);
}

void reduce_write_tree(const struct reduction *red, struct output *out)
{
	memory_write(&red->memory, out);
	reduce_write_stacks(out, &red->tree, &red->shown);
}

void reduce_finish_captures(struct reduction *red, struct output *out)
{
	foldtree_release(&red->tree);
	memory_release(&red->memory);
	modinfo_release(&red->modules);
	output_close(out);
	if (red->first.truncated || red->truncated)
		die("%s: incomplete capture: no end record; the output covers only what was recorded",
		    red->first.truncated ? red->first.in.name : red->truncated);
	free(red->truncated);
	ev_close(&red->first);
}

void folded_set_add_input(struct folded_set *s, const struct input *in, const char *stack,
			  size_t n, uint64_t value, uint64_t count)
{
	int64_t id = intern_find(&s->stacks, stack, n);
	if (id >= 0 && (s->values[id] + value < value || s->counts[id] + count < count))
		input_error(in, "the total of a stack overflows 64 bits");
	folded_set_add(s, stack, n, value, count);
}

/* Item i is the first of its key unless one came before. */
static void meta_index(struct meta_list *m, size_t i)
{
	uint32_t id = intern(&m->keys, m->items[i].key, strlen(m->items[i].key));
	if (id >= m->first_cap) {
		size_t old = m->first_cap;
		m->first = xgrow(m->first, &m->first_cap, (size_t)id + 1, sizeof *m->first);
		memset(m->first + old, 0, (m->first_cap - old) * sizeof *m->first);
	}
	if (!m->first[id])
		m->first[id] = i + 1;
}

void meta_add(struct meta_list *m, const char *key, const char *json)
{
	m->items = xgrow(m->items, &m->cap, m->n + 1, sizeof *m->items);
	m->items[m->n].key = xstrdup(key);
	m->items[m->n].json = xstrdup(json);
	meta_index(m, m->n++);
}

const char *meta_get(const struct meta_list *m, const char *key)
{
	int64_t id = intern_find(&m->keys, key, strlen(key));
	if (id < 0 || !m->first[id])
		return NULL;
	return m->items[m->first[id] - 1].json;
}

/* Called a few times at the end, so it may walk every line, and index them again. */
void meta_set(struct meta_list *m, const char *key, const char *json)
{
	size_t kept = 0;
	int found = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct meta_item it = m->items[i];
		if (strcmp(it.key, key) == 0) {
			if (found) {
				free(it.key);
				free(it.json);
				continue;
			}
			found = 1;
			free(it.json);
			it.json = xstrdup(json);
		}
		m->items[kept++] = it;
	}
	m->n = kept;
	if (m->first)	/* never NULL to memset */
		memset(m->first, 0, m->first_cap * sizeof *m->first);
	for (size_t i = 0; i < m->n; i++)
		meta_index(m, i);
	if (!found)
		meta_add(m, key, json);
}

void meta_write(const struct meta_list *m, struct output *out)
{
	folded_meta_str(out, "format", FOLDED_FORMAT, strlen(FOLDED_FORMAT));
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->items[i].key, "format") != 0)
			folded_meta_json(out, m->items[i].key, m->items[i].json);
}

void meta_release(struct meta_list *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->items[i].key);
		free(m->items[i].json);
	}
	free(m->items);
	intern_release(&m->keys);
	free(m->first);
	memset(m, 0, sizeof *m);
}

void snapshot_options_parse(int argc, char **argv, const char *usage,
			    const char *time_option, struct snapshot_options *o)
{
	const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-memory-records", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "split-processes", no_argument, NULL, 'p' },
		{ "split-threads", no_argument, NULL, 's' },
		{ time_option, required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	char name[32];
	int c;

	*o = (struct snapshot_options){ .max_memory_records = MEMORY_RECORDS_DEFAULT };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fho:", options, NULL)) != -1) {
		switch (c) {
		case 'f': o->force = 1; break;
		case 'h': output_help(usage, MEMORY_RECORDS_HELP, NULL);
		case 'm': o->max_memory_records = memory_records_option(usage, optarg); break;
		case 'o': o->output = optarg; break;
		case 's': o->split_threads = 1; break;
		case 'p': o->split_processes = 1; break;
		case 'T':
			snprintf(name, sizeof name, "--%s", time_option);
			o->time_ms = option_u64(usage, name, optarg, 0, INT64_MAX);
			o->has_time = 1;
			break;
		default: bad_option(usage, c, argv);
		}
	}
	o->inputs = (const char *const *)argv + optind;
	o->ninputs = (size_t)(argc - optind);
}

void reduce_write_folded(const char *path, int force, const struct meta_list *meta,
			 const struct folded_set *set, int counted)
{
	struct output out;

	output_open(&out, path, force);
	meta_write(meta, &out);
	if (counted)
		folded_set_write(set, &out);
	else
		folded_set_write_uncounted(set, &out);
	output_close(&out);
}
