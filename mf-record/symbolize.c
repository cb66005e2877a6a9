/*
 * symbolize.c - return addresses to frames (placeholder: module+offset only).
 *
 * This first version only knows which module an address falls in; the
 * DWARF lookup comes next.  It exists so the launcher can link against the
 * interface in symbolize.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "intern.h"
#include "symbolize.h"

struct module {
	const char *path;	/* interned */
	const char *name;	/* basename of path, interned */
	uint64_t bias, start, end;
};

struct symbolizer {
	struct intern strings;
	struct module *modules;
	size_t nmodules, cap;
	struct sym_frame frame;	/* the result of the last lookup */
};

static const char *intern_cstr(struct symbolizer *s, const char *str)
{
	return intern_str(&s->strings, intern(&s->strings, str, strlen(str)));
}

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	struct intern init = INTERN_INIT;

	s->strings = init;
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	intern_release(&s->strings);
	free(s->modules);
	free(s);
}

void symbolizer_add_module(struct symbolizer *s, const char *path,
			   uint64_t bias, uint64_t start, uint64_t end)
{
	const char *slash = strrchr(path, '/');
	struct module *m;

	s->modules = xgrow(s->modules, &s->cap, s->nmodules + 1, sizeof(*m));
	m = &s->modules[s->nmodules++];
	m->path = intern_cstr(s, path);
	m->name = intern_cstr(s, slash ? slash + 1 : path);
	m->bias = bias;
	m->start = start;
	m->end = end;
}

static const struct module *module_of(const struct symbolizer *s, uint64_t pc)
{
	for (size_t i = s->nmodules; i-- > 0;)
		if (pc >= s->modules[i].start && pc < s->modules[i].end)
			return &s->modules[i];
	return NULL;
}

size_t symbolizer_lookup(struct symbolizer *s, uint64_t pc,
			 const struct sym_frame **frames)
{
	const struct module *m = module_of(s, pc - 1);
	char name[512];

	if (m)
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, m->name,
			 pc - 1 - m->bias);
	else
		snprintf(name, sizeof(name), "0x%" PRIx64, pc - 1);
	s->frame.function = intern_cstr(s, name);
	s->frame.file = NULL;
	s->frame.line = 0;
	s->frame.module = m ? m->path : NULL;
	*frames = &s->frame;
	return 1;
}
