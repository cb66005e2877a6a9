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

/*
 * Append the names as "scopes", "params" and "names" tables (the names
 * holding their own parts) and "nameparts": each name's scope and
 * parameter list.
 */
static void pack_names(struct buf *b, const struct intern *names)
{
	struct intern scopes = INTERN_INIT, params = INTERN_INIT;
	struct buf parts = BUF_INIT;
	buf_adds(b, "\"names\":[");
	for (size_t i = 0; i < names->count; i++) {
		const char *name = intern_str(names, (uint32_t)i);
		size_t n = intern_len(names, (uint32_t)i), q, p;
		name_split(name, n, &q, &p);
		pack_number(&parts, intern(&scopes, name, q));
		pack_number(&parts, intern(&params, name + p, n - p));
		if (i)
			buf_addc(b, ',');
		json_quote(b, name + q, p - q);
	}
	buf_adds(b, "],");
	pack_table(b, "scopes", &scopes);
	pack_table(b, "params", &params);
	pack_field(b, "nameparts", &parts);
	intern_release(&scopes);
	intern_release(&params);
}

void pack_frames(struct buf *b, const struct intern *frames)
{
	struct intern names = INTERN_INIT, files = INTERN_INIT;
	struct buf codes = BUF_INIT;
	for (size_t i = 0; i < frames->count; i++) {
		const char *text = intern_str(frames, (uint32_t)i), *loc;
		size_t loc_len, file_len = 0;
		size_t func_len = folded_frame_split(text, intern_len(frames, (uint32_t)i), &loc, &loc_len);
		pack_number(&codes, intern(&names, text, func_len));
		if (!loc_len) {
			pack_number(&codes, 0);
			continue;
		}
		int64_t line = location_line(loc, loc_len, &file_len);
		uint64_t file = intern(&files, loc, line < 0 ? loc_len : file_len);
		pack_number(&codes, 2 * file + (line < 0 ? 1 : 2));
		if (line >= 0)
			pack_number(&codes, (uint64_t)line);
	}
	pack_names(b, &names);
	buf_addc(b, ',');
	pack_table(b, "files", &files);
	pack_field(b, "frames", &codes);
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

void pack_stacks(struct buf *b, const uint64_t *nums, size_t n, size_t per_stack)
{
	size_t count_cap = 0;
	struct callees c = { HASH_INIT, NULL };
	uint64_t *prev = NULL;	/* the frames of the stack before */
	size_t prev_cap = 0;
	for (size_t i = 0; i < n;) {
		uint64_t shared = nums[i], fresh = nums[i + 1];
		pack_number(b, shared);
		pack_number(b, fresh);
		i += 2;
		prev = xgrow(prev, &prev_cap, shared + fresh, sizeof *prev);
		for (uint64_t k = 0; k < fresh; k++, i++) {
			uint64_t depth = shared + k, caller1 = depth ? prev[depth - 1] + 1 : 0;
			if (nums[i] + 1 >= count_cap) {	/* room for it as a caller */
				size_t old = count_cap;
				c.count = xgrow(c.count, &count_cap, nums[i] + 2, sizeof *c.count);
				memset(c.count + old, 0, (count_cap - old) * sizeof *c.count);
			}
			pack_callee(b, &c, caller1, nums[i]);
			prev[depth] = nums[i];
		}
		for (size_t k = 0; k < per_stack; k++)
			pack_number(b, nums[i++]);
	}
	free(prev);
	free(c.count);
	hash_release(&c.rank);
}
