/*
 * sym_perfmap.c - the names of a process's generated code from its perf
 * map (sym_perfmap.h).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "sym_perfmap.h"

struct perfmap {
	char path[64];
	off_t read;		/* bytes of whole lines read so far */
	struct perfmap_entry *entries;	/* in the file's order */
	size_t n, cap;
};

struct perfmap *perfmap_new(pid_t pid)
{
	struct perfmap *p = xcalloc(1, sizeof(*p));

	snprintf(p->path, sizeof(p->path), "/tmp/perf-%d.map", (int)pid);
	return p;
}

void perfmap_free(struct perfmap *p)
{
	if (!p)
		return;
	free(p->entries);
	free(p);
}

const char *perfmap_path(const struct perfmap *p)
{
	return p->path;
}

static const char *intern_span(struct intern *strings, const char *s, size_t n)
{
	return intern_str(strings, intern(strings, s, n));
}

/* Whether [from, to) is a decimal number from 1 to 10^8; its value in *v. */
static int is_number(const char *from, const char *to, unsigned *v)
{
	unsigned long n = 0;

	if (from >= to || to - from > 9)
		return 0;
	for (const char *c = from; c < to; c++) {
		if (!isdigit((unsigned char)*c))
			return 0;
		n = n * 10 + (unsigned long)(*c - '0');
	}
	*v = (unsigned)n;
	return n > 0;
}

/* The last ':' in [from, to), or NULL. */
static const char *last_colon(const char *from, const char *to)
{
	while (to > from && to[-1] != ':')
		to--;
	return to > from ? to - 1 : NULL;
}

/* Whether word (n bytes) is FILE:LINE or FILE:LINE:COLUMN; sets *file_len, *line. */
static int is_location(const char *word, size_t n, size_t *file_len, unsigned *line)
{
	const char *end = word + n, *c1 = last_colon(word, end), *c2;
	unsigned middle;

	if (!c1 || !is_number(c1 + 1, end, line))
		return 0;
	c2 = last_colon(word, c1);
	if (c2 && is_number(c2 + 1, c1, &middle)) {	/* FILE:LINE:COLUMN */
		*line = middle;
		c1 = c2;
	}
	*file_len = (size_t)(c1 - word);
	return c1 > word;
}

/* One line "START SIZE NAME" (without its newline); malformed lines are skipped. */
static void add_line(struct perfmap *p, char *line, struct intern *strings)
{
	char *rest;
	uint64_t start = strtoull(line, &rest, 16), size;
	const char *name, *space;
	size_t len, file_len;
	struct perfmap_entry *e;
	unsigned lineno;

	if (rest == line || *rest != ' ')
		return;
	size = strtoull(rest + 1, &rest, 16);
	if (*rest != ' ' || size == 0 || start > UINT64_MAX - size)
		return;
	name = rest + 1;
	len = strlen(name);
	p->entries = xgrow(p->entries, &p->cap, p->n + 1, sizeof(*e));
	e = &p->entries[p->n++];
	e->start = start;
	e->end = start + size;
	e->file = NULL;
	e->line = 0;
	space = strrchr(name, ' ');
	if (space && is_location(space + 1, len - (size_t)(space + 1 - name), &file_len, &lineno)) {
		e->file = intern_span(strings, space + 1, file_len);
		e->line = lineno;
		len = (size_t)(space - name);
	}
	e->name = intern_span(strings, name, len);
}

/* Read the lines the file gained since the last reading. */
static void read_more(struct perfmap *p, struct intern *strings)
{
	struct stat st;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (stat(p->path, &st) != 0 || st.st_size <= p->read || !(f = fopen(p->path, "re")))
		return;
	if (fseeko(f, p->read, SEEK_SET) == 0) {
		while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
			line[n - 1] = '\0';
			add_line(p, line, strings);
			p->read += n;
		}
	}
	free(line);
	fclose(f);
}

const struct perfmap_entry *perfmap_find(struct perfmap *p, uint64_t addr,
					 struct intern *strings)
{
	read_more(p, strings);
	for (size_t i = p->n; i-- > 0;)
		if (addr >= p->entries[i].start && addr < p->entries[i].end)
			return &p->entries[i];
	return NULL;
}
