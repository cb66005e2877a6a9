/* folded.c - folded-stack reading, writing and escaping. */
#include "folded.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"

void folded_open(struct folded_reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	input_open(&r->in, path);
}

void folded_open_input(struct folded_reader *r, struct input *in)
{
	memset(r, 0, sizeof *r);
	r->in = *in;
	memset(in, 0, sizeof *in);
}

void folded_close(struct folded_reader *r)
{
	input_close(&r->in);
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * "# key=value" -> key and value split in place (the '=' becomes NUL).
 * Returns 0 when the line is a plain comment.
 */
static int split_meta(char *line, size_t len, struct folded_line *out)
{
	if (len < 4 || line[1] != ' ')
		return 0;
	char *key = line + 2, *p = key;
	while (is_key_char(*p))
		p++;
	if (p == key || *p != '=')
		return 0;
	*p = '\0';
	out->kind = FOLDED_META;
	out->key = key;
	out->json = p + 1;
	return 1;
}

/* The last white-space-separated field of line[0..end), or NULL when there is none. */
static char *last_field(char *line, char *end)
{
	for (char *p = end; p > line; p--)
		if (p[-1] == ' ' || p[-1] == '\t')
			return p;
	return NULL;
}

/*
 * A diff line's BEFORE, the number before AFTER that ends line[0..end):
 * parsed into out, and the new end of the stack returned.
 */
static char *parse_before(struct folded_reader *r, char *line, char *end,
			  struct folded_line *out)
{
	char *num = last_field(line, end);
	if (!num || num == end)
		input_error(&r->in, "expected 'FRAME;FRAME;... BEFORE AFTER' in a diff, found one value");
	size_t numlen = (size_t)(end - num);
	if (parse_u64n(num, numlen, &out->before))
		input_error(&r->in, "expected 'FRAME;FRAME;... BEFORE AFTER' in a diff, found '%s' before AFTER",
			    printable(num, numlen > 40 ? 40 : numlen));
	while (num > line && (num[-1] == ' ' || num[-1] == '\t'))
		num--;
	out->diff = 1;
	out->count_before = r->has_count ? r->count_before : 0;
	return num;
}

static void parse_stack(struct folded_reader *r, char *line, size_t len,
			struct folded_line *out)
{
	char *space = memrchr(line, ' ', len);
	/* flamegraph.pl accepts any white space before the value; so do we. */
	char *tab = memrchr(line, '\t', len);
	if (tab && (!space || tab > space))
		space = tab;
	if (!space)
		input_error(&r->in, "expected 'FRAME;FRAME;... VALUE', found no value");
	char *num = space + 1;
	size_t numlen = len - (size_t)(num - line);
	if (parse_u64n(num, numlen, &out->value))
		input_error(&r->in, "expected a whole number of at most 20 digits after the stack, found '%s'",
			    printable(num, numlen > 40 ? 40 : numlen));
	char *end = space;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (r->diff)
		end = parse_before(r, line, end, out);
	if (end == line)
		input_error(&r->in, "expected 'FRAME;FRAME;... VALUE', found an empty stack");
	*end = '\0';
	out->kind = FOLDED_STACK;
	out->stack = line;
	out->stack_len = (size_t)(end - line);
	out->has_count = r->has_count;
	out->count = r->count;
	r->has_count = 0;
}

/* "# counts=[BEFORE,AFTER]" of a diff: the counts of the next stack line. */
static void parse_counts(struct folded_reader *r, const char *json)
{
	const char *comma = strchr(json, ','), *end = json + strlen(json);
	if (json[0] != '[' || !comma || end[-1] != ']' ||
	    parse_u64n(json + 1, (size_t)(comma - json - 1), &r->count_before) ||
	    parse_u64n(comma + 1, (size_t)(end - 1 - comma - 1), &r->count))
		input_error(&r->in, "expected '# counts=[BEFORE,AFTER]' with whole numbers, found '%s'",
			    printable(json, 40));
	r->has_count = 1;
}

int folded_next(struct folded_reader *r, struct folded_line *out)
{
	memset(out, 0, sizeof *out);
	while (input_getline(&r->in)) {
		char *line = r->in.line;
		size_t len = r->in.len;
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (line[0] != '#') {
			parse_stack(r, line, len, out);
			r->stacks++;
			return 1;
		}
		if (!split_meta(line, len, out))
			continue;
		if (r->diff && strcmp(out->key, "counts") == 0) {
			parse_counts(r, out->json);
			continue;
		}
		if (strcmp(out->key, "count") == 0) {
			if (r->diff)
				input_error(&r->in, "expected '# counts=[BEFORE,AFTER]' in a diff, found '# count='");
			if (parse_u64(out->json, &r->count))
				input_error(&r->in, "expected '# count=N' with a whole number N, found '%s'",
					    printable(out->json, 40));
			r->has_count = 1;
			r->count_line = r->in.lineno;
			continue;
		}
		if (strcmp(out->key, "reducer") == 0 && r->stacks && !r->diff !=
		    !(strcmp(out->json, "\"diff\"") == 0))
			input_error(&r->in, "expected a diff's '# reducer=' line before its first stack line");
		if (strcmp(out->key, "reducer") == 0)
			r->diff = strcmp(out->json, "\"diff\"") == 0;
		return 1;
	}
	/* Every mf writer writes at least its format line: nothing at all means
	 * the stage before failed, and an empty report would hide it. */
	if (r->in.lineno == 0)
		die("%s: empty input: expected folded stacks (docs/FORMAT.md)", r->in.name);
	return 0;
}

void json_quote(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_grow(b, n + 2);
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_add(b, esc, 6);
		} else if (c == '<' || c == '>' || c == '&') {
			/* Keep a value harmless inside an HTML <script>. */
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_add(b, esc, 6);
		} else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			/* U+2028, U+2029: line terminators to older JavaScript. */
			buf_adds(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

size_t folded_frame_split(const char *frame, size_t n, const char **loc, size_t *loc_len)
{
	*loc = frame + n;
	*loc_len = 0;
	if (n < 4 || frame[n - 1] != ')')
		return n;
	/* The location is the last " (...)" group; it holds no parentheses. */
	for (size_t i = n - 1; i-- > 0;) {
		if (frame[i] == ')')
			return n;
		if (frame[i] == '(') {
			if (i == 0 || frame[i - 1] != ' ' || i + 1 == n - 1)
				return n;
			*loc = frame + i + 1;
			*loc_len = n - 1 - (i + 1);
			return i - 1;
		}
	}
	return n;
}

void folded_meta_str(struct output *out, const char *key, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	json_quote(&b, s, n);
	folded_meta_json(out, key, b.data);
	buf_release(&b);
}

void folded_meta_u64(struct output *out, const char *key, uint64_t v)
{
	output_printf(out, "# %s=%llu\n", key, (unsigned long long)v);
}

void folded_meta_json(struct output *out, const char *key, const char *json)
{
	output_puts(out, "# ");
	output_puts(out, key);
	output_puts(out, "=");
	output_puts(out, json);
	output_puts(out, "\n");
}

void folded_write_stack(struct output *out, const char *stack, size_t n,
			uint64_t value, uint64_t count)
{
	output_printf(out, "# count=%llu\n", (unsigned long long)count);
	output_write(out, stack, n);
	output_printf(out, " %llu\n", (unsigned long long)value);
}

void folded_set_add(struct folded_set *s, const char *stack, size_t n,
		    uint64_t value, uint64_t count)
{
	uint32_t id = intern(&s->stacks, stack, n);
	if (id >= s->cap) {
		size_t cap = s->cap;
		s->values = xgrow(s->values, &cap, (size_t)id + 1, sizeof *s->values);
		cap = s->cap;
		s->counts = xgrow(s->counts, &cap, (size_t)id + 1, sizeof *s->counts);
		memset(s->values + s->cap, 0, (cap - s->cap) * sizeof *s->values);
		memset(s->counts + s->cap, 0, (cap - s->cap) * sizeof *s->counts);
		s->cap = cap;
	}
	if (s->values[id] + value < value || s->counts[id] + count < count)
		die("the total of a stack overflows 64 bits");
	s->values[id] += value;
	s->counts[id] += count;
}

uint64_t folded_set_total(const struct folded_set *s, uint64_t *count)
{
	uint64_t total = 0, n = 0;
	for (size_t i = 0; i < s->stacks.count; i++) {
		if (total + s->values[i] < total || n + s->counts[i] < n)
			die("the total of all stacks overflows 64 bits");
		total += s->values[i];
		n += s->counts[i];
	}
	if (count)
		*count = n;
	return total;
}

static void write_sorted(const struct folded_set *s, struct output *out, int counted)
{
	size_t n = s->stacks.count;
	uint32_t *order = intern_sorted(&s->stacks);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = order[i];
		const char *stack = intern_str(&s->stacks, id);
		size_t n = intern_len(&s->stacks, id);
		if (id < s->series_cap)
			folded_series_write(&s->series[id], out);
		if (counted) {
			folded_write_stack(out, stack, n, s->values[id], s->counts[id]);
		} else {
			output_write(out, stack, n);
			output_printf(out, " %llu\n", (unsigned long long)s->values[id]);
		}
	}
	free(order);
}

void folded_set_write(const struct folded_set *s, struct output *out)
{
	write_sorted(s, out, 1);
}

void folded_set_write_uncounted(const struct folded_set *s, struct output *out)
{
	write_sorted(s, out, 0);
}

void folded_set_release(struct folded_set *s)
{
	intern_release(&s->stacks);
	free(s->values);
	free(s->counts);
	for (size_t i = 0; i < s->series_cap; i++)
		folded_series_release(&s->series[i]);
	free(s->series);
	memset(s, 0, sizeof *s);
}

/* Per-stack series. */

int folded_is_series(const char *key)
{
	return strncmp(key, "stack_", 6) == 0;
}

/* The leading integers of an entry: 1 for stack_live, 2 for stack_lifetimes, else 0 (any). */
static size_t known_lead(const char *key)
{
	if (strcmp(key, "stack_live") == 0)
		return 1;
	if (strcmp(key, "stack_lifetimes") == 0)
		return 2;
	return 0;
}

struct series_parser {
	const struct input *in;
	const char *key, *p;
};

noreturn static void series_error(const struct series_parser *sp, const char *what)
{
	if (!*sp->p)
		input_error(sp->in, "expected %s in '# %s=', found the end of the line", what, sp->key);
	input_error(sp->in, "expected %s in '# %s=', found '%s'", what, sp->key, printable(sp->p, 24));
}

static void expect_char(struct series_parser *sp, char c, const char *what)
{
	if (*sp->p != c)
		series_error(sp, what);
	sp->p++;
}

/* A JSON integer: -?(0|[1-9][0-9]*), within 64 bits. */
static int64_t parse_series_int(struct series_parser *sp)
{
	const char *start = sp->p, *p = sp->p;
	int neg = *p == '-';
	p += neg;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9') ||
	    (neg && *p == '0'))
		series_error(sp, "an integer");
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (limit - d) / 10) {
			sp->p = start;
			series_error(sp, "an integer of at most 64 bits");
		}
		v = v * 10 + d;
	}
	sp->p = p;
	return neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
}

/* Compare the leading integers of two entries. */
static int cmp_lead(const int64_t *a, const int64_t *b, size_t lead)
{
	for (size_t i = 0; i < lead; i++)
		if (a[i] != b[i])
			return (a[i] > b[i]) - (a[i] < b[i]);
	return 0;
}

static int64_t *series_push(struct folded_series *se)
{
	size_t width = se->lead + 2;
	se->v = xgrow(se->v, &se->cap, (se->n + 1) * width, sizeof *se->v);
	return se->v + se->n++ * width;
}

/* One entry "[I,I,...]" appended to se; its width fixes se->lead if unknown. */
static void parse_entry(struct series_parser *sp, struct folded_series *se)
{
	int64_t v[64];
	size_t n = 0;
	expect_char(sp, '[', "'[' starting an entry");
	for (;;) {
		if (n == 64)
			series_error(sp, "entries of at most 64 integers");
		v[n++] = parse_series_int(sp);
		if (*sp->p != ',')
			break;
		sp->p++;
	}
	expect_char(sp, ']', "',' or ']' in an entry");
	if (!se->lead && n >= 3)
		se->lead = n - 2;
	if (n != se->lead + 2)
		input_error(sp->in, "expected entries of %zu integers in '# %s=', found one of %zu",
			    se->lead ? se->lead + 2 : 3, sp->key, n);
	for (size_t i = 0; i < se->lead; i++)
		if (v[i] < 0)
			input_error(sp->in, "expected slice numbers of 0 or more in '# %s='", sp->key);
	if (v[n - 2] == 0 && v[n - 1] == 0)
		input_error(sp->in, "expected no entry of count 0 and bytes 0 in '# %s='", sp->key);
	if (se->n && cmp_lead(se->v + (se->n - 1) * n, v, se->lead) >= 0)
		input_error(sp->in, "expected the entries of '# %s=' sorted by their slices, each once",
			    sp->key);
	memcpy(series_push(se), v, n * sizeof *v);
}

void folded_series_add(struct folded_series_list *list, const struct input *in,
		       const char *key, const char *json)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i].key, key) == 0)
			input_error(in, "expected one '# %s=' line per stack, found a second", key);
	struct folded_series se = { .key = NULL, .lead = known_lead(key) };
	struct series_parser sp = { in, key, json };
	expect_char(&sp, '[', "a list of entries '[[...],...]'");
	if (*sp.p == ']') {
		sp.p++;
	} else {
		for (;;) {
			parse_entry(&sp, &se);
			if (*sp.p != ',')
				break;
			sp.p++;
		}
		expect_char(&sp, ']', "',' or ']' after an entry");
	}
	if (*sp.p)
		series_error(&sp, "nothing after the list");
	se.key = xstrdup(key);
	list->items = xgrow(list->items, &list->cap, list->n + 1, sizeof *list->items);
	list->items[list->n++] = se;
}

void folded_series_end(const struct folded_series_list *list, const struct input *in)
{
	if (list->n)
		input_error(in, "expected a stack line after '# %s='", list->items[0].key);
}

static int cmp_entries(const void *a, const void *b, void *lead)
{
	return cmp_lead(*(const int64_t *const *)a, *(const int64_t *const *)b, *(size_t *)lead);
}

/* The entries of se to write: sorted by their leading integers, none of count 0 and bytes 0. */
static const int64_t **series_entries(const struct folded_series *se, size_t *n)
{
	size_t width = se->lead + 2, lead = se->lead;
	const int64_t **order = xmalloc((se->n ? se->n : 1) * sizeof *order);
	*n = 0;
	for (size_t e = 0; e < se->n; e++) {
		const int64_t *v = se->v + e * width;
		if (v[width - 2] || v[width - 1])
			order[(*n)++] = v;
	}
	if (se->merged)
		qsort_r(order, *n, sizeof *order, cmp_entries, &lead);
	return order;
}

void folded_series_write(const struct folded_series_list *list, struct output *out)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < list->n; i++) {
		const struct folded_series *se = &list->items[i];
		size_t width = se->lead + 2, n;
		const int64_t **order = series_entries(se, &n);
		buf_clear(&b);
		buf_printf(&b, "# %s=[", se->key);
		for (size_t e = 0; e < n; e++) {
			buf_adds(&b, e ? ",[" : "[");
			for (size_t j = 0; j < width; j++)
				buf_printf(&b, j ? ",%lld" : "%lld", (long long)order[e][j]);
			buf_addc(&b, ']');
		}
		buf_adds(&b, "]\n");
		output_write(out, b.data, b.len);
		free(order);
	}
	buf_release(&b);
}

void folded_series_release(struct folded_series_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].key);
		free(list->items[i].v);
		hash_release(&list->items[i].index);
		free(list->items[i].chain);
	}
	free(list->items);
	memset(list, 0, sizeof *list);
}

static int64_t add_checked(const struct input *in, const char *key, int64_t a, int64_t b)
{
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		input_error(in, "the sum of '# %s=' entries overflows 64 bits", key);
	return a + b;
}

static uint64_t lead_hash(const int64_t *e, size_t lead)
{
	uint64_t h = lead;
	for (size_t i = 0; i < lead; i++)
		h = hash_mix(h ^ (uint64_t)e[i]);
	return h == HASH_EMPTY ? 0 : h;
}

/* Enter entry i of se in its index. */
static void series_index_entry(struct folded_series *se, size_t i)
{
	if (i >= UINT32_MAX)
		die("out of memory: more than 2^32 entries in a '# %s=' series", se->key);
	se->chain = xgrow(se->chain, &se->chain_cap, i + 1, sizeof *se->chain);
	uint64_t *head = hash_put(&se->index, lead_hash(se->v + i * (se->lead + 2), se->lead), NULL);
	se->chain[i] = (uint32_t)*head;
	*head = i + 1;
}

/* The entry of se with the leading integers of e, or NULL. */
static int64_t *series_find(const struct folded_series *se, const int64_t *e)
{
	size_t width = se->lead + 2;
	uint64_t *head = hash_get(&se->index, lead_hash(e, se->lead));
	for (uint64_t k = head ? *head : 0; k; k = se->chain[k - 1]) {
		int64_t *cand = se->v + (k - 1) * width;
		if (cmp_lead(cand, e, se->lead) == 0)
			return cand;
	}
	return NULL;
}

/*
 * into := into merged with from, entry by entry (folded.h), summing in
 * input order so that an overflow names the line it happens at.
 */
static void series_merge(struct folded_series *into, const struct folded_series *from,
			 const struct input *in)
{
	if (from->lead != into->lead && from->n && into->n)
		input_error(in, "expected entries of %zu integers in '# %s=', as in a stack that merges with this one",
			    into->lead + 2, into->key);
	if (!into->lead)
		into->lead = from->lead;
	size_t width = into->lead + 2;
	if (!into->merged) {
		into->merged = 1;
		for (size_t i = 0; i < into->n; i++)
			series_index_entry(into, i);
	}
	for (size_t j = 0; j < from->n; j++) {
		const int64_t *b = from->v + j * width;
		int64_t *a = series_find(into, b);
		if (!a) {
			memcpy(series_push(into), b, width * sizeof *b);
			series_index_entry(into, into->n - 1);
			continue;
		}
		for (size_t k = into->lead; k < width; k++)
			a[k] = add_checked(in, into->key, a[k], b[k]);
	}
}

void folded_set_add_series(struct folded_set *s, const struct input *in, const char *stack,
			   size_t n, struct folded_series_list *pending)
{
	if (!pending->n)
		return;
	int64_t id = intern_find(&s->stacks, stack, n);
	if (id < 0)
		die("folded_set_add_series: stack not in the set");
	if ((size_t)id >= s->series_cap) {
		size_t old = s->series_cap;
		s->series = xgrow(s->series, &s->series_cap, (size_t)id + 1, sizeof *s->series);
		memset(s->series + old, 0, (s->series_cap - old) * sizeof *s->series);
	}
	struct folded_series_list *list = &s->series[id];
	for (size_t p = 0; p < pending->n; p++) {
		struct folded_series *from = &pending->items[p], *into = NULL;
		for (size_t i = 0; i < list->n && !into; i++)
			if (strcmp(list->items[i].key, from->key) == 0)
				into = &list->items[i];
		if (into) {
			series_merge(into, from, in);
			free(from->key);
			free(from->v);
			continue;
		}
		list->items = xgrow(list->items, &list->cap, list->n + 1, sizeof *list->items);
		list->items[list->n++] = *from;
	}
	pending->n = 0;
}
