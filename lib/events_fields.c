/* events_fields.c - the fields of a record: words, numbers, ids (events_private.h). */
#include "events_private.h"

#include "err.h"
#include "num.h"

/*
 * Split the line after its type into at most max words; with text set,
 * whatever follows the max-th word (possibly empty) is the text field.
 */
void split(const struct input *in, struct fields *fs, size_t max, int text)
{
	const char *p = in->line + 1, *end = in->line + in->len;
	fs->n = 0;
	fs->rest = NULL;
	fs->rest_len = 0;
	while (p < end) {
		if (*p != ' ')
			input_error(in, "expected one space between fields");
		p++;
		if (text && fs->n == max) {
			fs->rest = p;
			fs->rest_len = (size_t)(end - p);
			return;
		}
		/* Fields are short: a plain loop beats memchr's setup. */
		const char *q = p;
		while (q < end && *q != ' ')
			q++;
		if (fs->n == MAX_FIELDS)
			input_error(in, "too many fields");
		fs->f[fs->n] = p;
		fs->len[fs->n] = (size_t)(q - p);
		fs->n++;
		p = q;
	}
	if (text && fs->n == max) {
		fs->rest = end;
		fs->rest_len = 0;
	}
}

uint64_t num(const struct input *in, const struct fields *fs, size_t i,
		    const char *what)
{
	uint64_t v;
	if (parse_u64n(fs->f[i], fs->len[i], &v))
		input_error(in, "expected %s as a whole number of at most 20 digits, found '%s'",
			    what, printable(fs->f[i], fs->len[i] > 40 ? 40 : fs->len[i]));
	return v;
}

uint64_t id_field(const struct input *in, const struct fields *fs, size_t i,
			 const char *what)
{
	uint64_t v = num(in, fs, i, what);
	if (v == 0 || v == HASH_EMPTY)
		input_error(in, "expected %s to be a positive id, found '%s'", what,
			    printable(fs->f[i], fs->len[i]));
	return v;
}

void expect(const struct input *in, const struct fields *fs, size_t min,
		   size_t max, const char *form)
{
	if (fs->n < min || fs->n > max)
		input_error(in, "expected '%s'", form);
}

/* Dense index of id in ids, or die naming what is undefined. */
size_t lookup(const struct input *in, const struct hash *ids, uint64_t id,
		     const char *what)
{
	uint64_t *idx = hash_get(ids, id);
	if (!idx)
		input_error(in, "undefined %s %llu", what, (unsigned long long)id);
	return (size_t)*idx;
}

size_t define(const struct input *in, struct hash *ids, uint64_t id,
		     size_t next, const char *what)
{
	int added;
	uint64_t *idx = hash_put(ids, id, &added);
	if (!added)
		input_error(in, "%s %llu defined twice", what, (unsigned long long)id);
	*idx = next;
	return next;
}
