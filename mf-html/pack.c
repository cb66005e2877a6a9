/*
 * pack.c - the packed form of the page data; pack.h describes it.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "folded.h"
#include "hash.h"
#include "pack.h"

#define PACK_BASE 45

/* The 90 digit characters: '#' to '~' without '<' and '\'. */
static char pack_digit(unsigned d)
{
	char c = (char)('#' + d);
	if (c >= '<')
		c++;
	if (c >= '\\')
		c++;
	return c;
}

void pack_number(struct buf *b, uint64_t v)
{
	char digits[16];	/* 45^12 > 2^64 */
	size_t n = 0;
	do {
		unsigned d = (unsigned)(v % PACK_BASE) + (n ? PACK_BASE : 0);
		digits[n++] = pack_digit(d);
		v /= PACK_BASE;
	} while (v);
	while (n)
		buf_addc(b, digits[--n]);
}

/* The line of "FILE:LINE" as a number that gives the same text back, else -1. */
static int64_t location_line(const char *loc, size_t n, size_t *file_len)
{
	size_t i = n;
	while (i > 0 && loc[i - 1] >= '0' && loc[i - 1] <= '9')
		i--;
	size_t digits = n - i;
	if (digits == 0 || digits > 9 || i == 0 || loc[i - 1] != ':' || (loc[i] == '0' && digits > 1))
		return -1;
	int64_t line = 0;
	for (size_t j = i; j < n; j++)
		line = line * 10 + (loc[j] - '0');
	*file_len = i - 1;
	return line;
}

/* "KEY":["STRING",...], and a comma: one string table. */
static void pack_table(struct buf *b, const char *key, const struct intern *t)
{
	buf_printf(b, "\"%s\":[", key);
	for (size_t i = 0; i < t->count; i++) {
		if (i)
			buf_addc(b, ',');
		json_quote(b, intern_str(t, (uint32_t)i), intern_len(t, (uint32_t)i));
	}
	buf_adds(b, "],");
}

/* "KEY":"PACKED", which needs no escape; packed is released. */
static void pack_field(struct buf *b, const char *key, struct buf *packed)
{
	buf_printf(b, "\"%s\":\"", key);
	buf_add(b, packed->data, packed->len);
	buf_addc(b, '"');
	buf_release(packed);
}

/*
 * Where a function name splits into its scope ("ns::Class::", up to the
 * last "::" before the parameters), its own name, and its parameters
 * (from the first '(' that does not open "(anonymous namespace)"): the
 * scopes and parameter lists of C++ names repeat where the names do not.
 * Any split gives the name back; this one makes the tables small.
 */
static void name_split(const char *name, size_t n, size_t *own, size_t *params)
{
	static const char anon[] = "(anonymous namespace)";
	size_t p = 0;
	while (p < n && (name[p] != '(' || (n - p >= sizeof anon - 1 && !memcmp(name + p, anon, sizeof anon - 1))))
		p += name[p] == '(' ? sizeof anon - 1 : 1;
	size_t q = p;
	while (q >= 2 && !(name[q - 1] == ':' && name[q - 2] == ':'))
		q--;
	*own = q >= 2 ? q : 0;
	*params = p;
}

/* Whether c belongs to a word of a scope or parameter list: a name with its "::" and '~'. */
static int word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '~';
}

/*
 * Scopes and parameter lists as words: runs of word characters and runs
 * of the others ("(", "clang::Sema", "&, ", "bool", ")"), each an index in
 * one table of words, most frequent first (so most take one character).
 * A run never splits a multi-byte character: all its bytes are others.
 */
struct words {
	struct intern table;
	uint64_t *uses;		/* per word id */
	size_t uses_cap;
	uint32_t *seq;		/* per string: its number of words, then their ids */
	size_t seq_len, seq_cap;
};

static void words_add_id(struct words *w, uint32_t v)
{
	w->seq = xgrow(w->seq, &w->seq_cap, w->seq_len + 1, sizeof *w->seq);
	w->seq[w->seq_len++] = v;
}

static void words_add(struct words *w, const char *s, size_t n)
{
	size_t count_at = w->seq_len;
	words_add_id(w, 0);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && word_char((unsigned char)s[j]) == word_char((unsigned char)s[i]))
			j++;
		uint32_t id = intern(&w->table, s + i, j - i);
		if (id >= w->uses_cap) {
			size_t old = w->uses_cap;
			w->uses = xgrow(w->uses, &w->uses_cap, id + 1, sizeof *w->uses);
			memset(w->uses + old, 0, (w->uses_cap - old) * sizeof *w->uses);
		}
		w->uses[id]++;
		words_add_id(w, id);
		w->seq[count_at]++;
		i = j;
	}
}

static const uint64_t *sort_uses;
/* Most used first; of equal use, the first seen. */
static int by_uses(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_uses[x] != sort_uses[y])
		return sort_uses[x] > sort_uses[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Append "words":[...], and the strings from..to of w (by their order of adding) as "KEY":"PACKED",. */
static void words_write(struct buf *b, struct words *w, const char *const keys[2], size_t split)
{
	size_t n = w->table.count;
	uint32_t *order = xcalloc(n ? n : 1, sizeof *order), *rank = xcalloc(n ? n : 1, sizeof *rank);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_uses = w->uses;
	qsort(order, n, sizeof *order, by_uses);
	buf_adds(b, "\"words\":[");
	for (size_t i = 0; i < n; i++) {
		rank[order[i]] = (uint32_t)i;
		if (i)
			buf_addc(b, ',');
		json_quote(b, intern_str(&w->table, order[i]), intern_len(&w->table, order[i]));
	}
	buf_adds(b, "],");
	size_t at = 0;
	for (int k = 0; k < 2; k++) {
		struct buf packed = BUF_INIT;
		for (size_t strings = 0; k ? at < w->seq_len : strings < split; strings++) {
			uint32_t len = w->seq[at++];
			pack_number(&packed, len);
			for (uint32_t j = 0; j < len; j++)
				pack_number(&packed, rank[w->seq[at++]]);
		}
		pack_field(b, keys[k], &packed);
		buf_addc(b, ',');
	}
	free(order);
	free(rank);
}

static const struct intern *sort_names;
/* Own part of a name: [own, params) of name_split. */
static const char *own_part(const struct intern *names, uint32_t id, size_t *n)
{
	const char *name = intern_str(names, id);
	size_t q, p;
	name_split(name, intern_len(names, id), &q, &p);
	*n = p - q;
	return name + q;
}

/* By own part, byte by byte; of equal ones, the first seen. */
static int by_own_part(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	size_t n, m;
	const char *s = own_part(sort_names, x, &n), *t = own_part(sort_names, y, &m);
	int c = memcmp(s, t, n < m ? n : m);
	if (c)
		return c;
	if (n != m)
		return n < m ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The bytes s and t share at their start, up to the first that is not ASCII (a JavaScript character each). */
static size_t shared_ascii(const char *s, size_t n, const char *t, size_t m)
{
	size_t i = 0;
	while (i < n && i < m && s[i] == t[i] && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/*
 * Append the names: "words", then "scopes" and "params" as words, then
 * "names", their own parts in byte order, each without what it shares with
 * the one before (front coding: sorted, C++ names share long starts), and
 * "nameparts": each name's scope, parameter list and count of characters
 * shared.  rank[id] is set to the place of name id in that order.
 */
static void pack_names(struct buf *b, const struct intern *names, uint32_t *rank)
{
	struct intern scopes = INTERN_INIT, params = INTERN_INIT;
	struct words w = { INTERN_INIT, NULL, 0, NULL, 0, 0 };
	uint32_t *parts = xcalloc(2 * names->count + 1, sizeof *parts);
	for (size_t i = 0; i < names->count; i++) {
		const char *name = intern_str(names, (uint32_t)i);
		size_t n = intern_len(names, (uint32_t)i), q, p;
		name_split(name, n, &q, &p);
		parts[2 * i] = intern(&scopes, name, q);
		parts[2 * i + 1] = intern(&params, name + p, n - p);
	}
	for (size_t i = 0; i < scopes.count; i++)
		words_add(&w, intern_str(&scopes, (uint32_t)i), intern_len(&scopes, (uint32_t)i));
	for (size_t i = 0; i < params.count; i++)
		words_add(&w, intern_str(&params, (uint32_t)i), intern_len(&params, (uint32_t)i));
	static const char *const keys[2] = { "scopes", "params" };
	words_write(b, &w, keys, scopes.count);
	uint32_t *order = xcalloc(names->count + 1, sizeof *order);
	for (size_t i = 0; i < names->count; i++)
		order[i] = (uint32_t)i;
	sort_names = names;
	qsort(order, names->count, sizeof *order, by_own_part);
	struct buf codes = BUF_INIT;
	const char *prev = "";
	size_t prev_len = 0;
	buf_adds(b, "\"names\":[");
	for (size_t i = 0; i < names->count; i++) {
		uint32_t id = order[i];
		size_t n;
		const char *name = own_part(names, id, &n);
		size_t shared = shared_ascii(prev, prev_len, name, n);
		rank[id] = (uint32_t)i;
		pack_number(&codes, parts[2 * id]);
		pack_number(&codes, parts[2 * id + 1]);
		pack_number(&codes, shared);
		if (i)
			buf_addc(b, ',');
		json_quote(b, name + shared, n - shared);
		prev = name;
		prev_len = n;
	}
	buf_adds(b, "],");
	pack_field(b, "nameparts", &codes);
	free(order);
	free(parts);
	free(w.uses);
	free(w.seq);
	intern_release(&w.table);
	intern_release(&scopes);
	intern_release(&params);
}

uint32_t page_char(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[(*i)++], lo = 0x80, hi = 0xbf;
	uint32_t ch;
	int more;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		more = 1, ch = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		more = 2, ch = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		more = 3, ch = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0xfffd;
	for (; more; more--, lo = 0x80, hi = 0xbf) {
		if (*i == n || s[*i] < lo || s[*i] > hi)
			return 0xfffd;	/* that byte starts the next character */
		ch = ch << 6 | (s[(*i)++] & 0x3f);
	}
	return ch;
}

/*
 * A character's place in JavaScript's order of strings, which compares
 * UTF-16 code units: a character from U+10000 is two, the first from
 * 0xd800, so it comes before U+E000..U+FFFF.
 */
static uint32_t page_order(uint32_t ch)
{
	return ch >= 0xe000 && ch <= 0xffff ? ch + 0x110000 : ch;
}

/* Texts s (n bytes) and t (m) as the page compares them: JavaScript's < on the strings it reads. */
static int page_compare(const char *s, size_t n, const char *t, size_t m)
{
	const unsigned char *a = (const unsigned char *)s, *b = (const unsigned char *)t;
	size_t i = 0, j = 0;
	while (i < n && j < m) {
		if (a[i] == b[j] && a[i] < 0x80) {
			i++, j++;	/* the common case, ASCII, without decoding */
			continue;
		}
		uint32_t x = page_order(page_char(a, n, &i)), y = page_order(page_char(b, m, &j));
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (i < n) - (j < m);
}

static const struct intern *sort_frames;
/* By text as the page compares them; of texts the page reads alike, the first seen. */
static int by_page_text(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = page_compare(intern_str(sort_frames, x), intern_len(sort_frames, x),
			     intern_str(sort_frames, y), intern_len(sort_frames, y));
	return c ? c : (x > y) - (x < y);
}

/* The frames' ids in the order of their texts (by_page_text), and place[id] each one's place in it. */
static uint32_t *frames_in_text_order(const struct intern *frames, uint32_t *place)
{
	uint32_t *order = xcalloc(frames->count + 1, sizeof *order);
	for (size_t i = 0; i < frames->count; i++)
		order[i] = (uint32_t)i;
	sort_frames = frames;
	qsort(order, frames->count, sizeof *order, by_page_text);
	for (size_t i = 0; i < frames->count; i++)
		place[order[i]] = (uint32_t)i;
	return order;
}

void pack_frames(struct buf *b, const struct intern *frames, uint32_t *place)
{
	struct intern names = INTERN_INIT, files = INTERN_INIT;
	struct buf codes = BUF_INIT;
	/* Per frame: its name's id, its location code, its line. */
	uint64_t *f = xcalloc(3 * frames->count + 1, sizeof *f);
	uint32_t *order = frames_in_text_order(frames, place);
	for (size_t k = 0; k < frames->count; k++) {
		size_t i = order[k];
		const char *text = intern_str(frames, (uint32_t)i), *loc;
		size_t loc_len, file_len = 0;
		size_t func_len = folded_frame_split(text, intern_len(frames, (uint32_t)i), &loc, &loc_len);
		f[3 * k] = intern(&names, text, func_len);
		if (!loc_len)
			continue;
		int64_t line = location_line(loc, loc_len, &file_len);
		uint64_t file = intern(&files, loc, line < 0 ? loc_len : file_len);
		f[3 * k + 1] = 2 * file + (line < 0 ? 1 : 2);
		f[3 * k + 2] = line < 0 ? 0 : (uint64_t)line;
	}
	uint32_t *rank = xcalloc(names.count + 1, sizeof *rank);
	pack_names(b, &names, rank);
	pack_number(&codes, frames->count);
	for (size_t k = 0; k < frames->count; k++) {
		pack_number(&codes, rank[f[3 * k]]);
		pack_number(&codes, f[3 * k + 1]);
		if (f[3 * k + 1] % 2 == 0 && f[3 * k + 1])
			pack_number(&codes, f[3 * k + 2]);
	}
	buf_addc(b, ',');
	pack_table(b, "files", &files);
	pack_field(b, "frames", &codes);
	free(f);
	free(rank);
	free(order);
	intern_release(&names);
	intern_release(&files);
}

/*
 * The callees seen so far: (caller + 1, callee) -> its rank among the
 * caller's callees, and each caller's count of them (index caller + 1;
 * 0 is the root, the caller of a stack's first frame).
 */
struct callees {
	struct hash rank;
	uint64_t *count;
};

/* The code of frame id after its caller: its rank, or 0 and then the id. */
static void pack_callee(struct buf *b, struct callees *c, uint64_t caller1, uint64_t id)
{
	int added;
	uint64_t *rank = hash_put(&c->rank, caller1 << 32 | id, &added);
	if (added) {
		*rank = ++c->count[caller1];
		pack_number(b, 0);
		pack_number(b, id);
	} else {
		pack_number(b, *rank);
	}
}

/* Append the number of stacks of nums and of their new frames (the reader's array sizes). */
static void pack_stack_counts(struct buf *b, const uint64_t *nums, size_t n, size_t per_stack)
{
	uint64_t stacks = 0, fresh = 0;
	for (size_t i = 0; i < n; i += 2 + nums[i + 1] + per_stack) {
		stacks++;
		fresh += nums[i + 1];
	}
	pack_number(b, stacks);
	pack_number(b, fresh);
}

void pack_stacks(struct buf *b, const uint64_t *nums, size_t n, size_t per_stack, const uint32_t *place)
{
	size_t count_cap = 0;
	struct callees c = { HASH_INIT, NULL };
	uint64_t *prev = NULL;	/* the frames of the stack before */
	size_t prev_cap = 0;
	pack_stack_counts(b, nums, n, per_stack);
	for (size_t i = 0; i < n;) {
		uint64_t shared = nums[i], fresh = nums[i + 1];
		pack_number(b, shared);
		pack_number(b, fresh);
		i += 2;
		prev = xgrow(prev, &prev_cap, shared + fresh, sizeof *prev);
		for (uint64_t k = 0; k < fresh; k++, i++) {
			uint64_t depth = shared + k, caller1 = depth ? prev[depth - 1] + 1 : 0, id = place[nums[i]];
			if (id + 1 >= count_cap) {	/* room for it as a caller */
				size_t old = count_cap;
				c.count = xgrow(c.count, &count_cap, id + 2, sizeof *c.count);
				memset(c.count + old, 0, (count_cap - old) * sizeof *c.count);
			}
			pack_callee(b, &c, caller1, id);
			prev[depth] = id;
		}
		for (size_t k = 0; k < per_stack; k++)
			pack_number(b, nums[i++]);
	}
	free(prev);
	free(c.count);
	hash_release(&c.rank);
}
