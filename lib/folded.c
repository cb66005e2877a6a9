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
		input_error(&r->in, "expected a whole number of at most 20 digits after the stack, found '%.*s'",
			    numlen > 40 ? 40 : (int)numlen, num);
	char *end = space;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
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
			return 1;
		}
		if (!split_meta(line, len, out))
			continue;
		if (strcmp(out->key, "count") == 0) {
			if (parse_u64(out->json, &r->count))
				input_error(&r->in, "expected '# count=N' with a whole number N, found '%.40s'",
					    out->json);
			r->has_count = 1;
			r->count_line = r->in.lineno;
			continue;
		}
		return 1;
	}
	/* Every mf writer writes at least its format line: nothing at all means
	 * the stage before failed, and an empty report would hide it. */
	if (r->in.lineno == 0)
		die("%s: empty input: expected folded stacks (docs/FORMAT.md)", r->in.name);
	return 0;
}

void folded_escape_frame(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_grow(b, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\' || c == ';') {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			buf_add(b, esc, 4);
		} else {
			buf_addc(b, (char)c);
		}
	}
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

static const struct intern *sort_table;

static int by_text(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	size_t nx = intern_len(sort_table, x), ny = intern_len(sort_table, y);
	int c = memcmp(intern_str(sort_table, x), intern_str(sort_table, y), nx < ny ? nx : ny);
	return c ? c : (nx > ny) - (nx < ny);
}

static void write_sorted(const struct folded_set *s, struct output *out, int counted)
{
	size_t n = s->stacks.count;
	uint32_t *order = xmalloc(n * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_table = &s->stacks;
	qsort(order, n, sizeof *order, by_text);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = order[i];
		const char *stack = intern_str(&s->stacks, id);
		size_t n = intern_len(&s->stacks, id);
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
	memset(s, 0, sizeof *s);
}
