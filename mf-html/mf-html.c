/*
 * mf-html - write one self-contained interactive HTML flame graph from
 * folded stacks (docs/FORMAT.md, "Folded stacks"; plain flamegraph.pl input
 * works too).
 *
 * The page (page.html, page.css, page.js, compiled in as assets.c) gets the
 * data as one JSON object inside <script type="application/json">:
 *
 *	{"title":null|"TEXT", "hide":["REGEX",...],
 *	 "meta":[["KEY","RAW JSON"(,STACK)],...], "frames":["FRAME",...],
 *	 "counted":true|false, ("diff":true,)
 *	 "stacks":[SHARED,N,F1..FN,VALUE,COUNT(,BEFORE,COUNT_BEFORE),...]}
 *
 * That is the readable form; a page of PACK_MIN_STACKS stacks or more gets
 * the packed form of pack.h instead, the same data in a fraction of the
 * bytes: "words", "names" and "files" tables, and "frames" and "stacks" as
 * strings; its memory records and temporal series leave "meta" for
 * "series" (pack_series.h).
 *
 * Frames are interned and unescaped (\xHH back to the byte).  Each stack is
 * prefix-compressed against the one before it (input is sorted, so most
 * stacks share a long prefix): SHARED frames of the previous stack, then N
 * new frame ids.  A diff (mf-diff's output, "diff":true) gives each stack
 * its AFTER as VALUE and COUNT, then its BEFORE and count before; the
 * page draws it as a differential graph.  Metadata values travel as strings and are parsed by the
 * page, so one malformed value cannot break the page; a per-stack key
 * (stack_*) carries the index of the stack line it precedes.  Every string is
 * escaped so that nothing in the input can close the <script> element.
 * docs/REPORT.md describes the page.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "folded.h"
#include "intern.h"
#include "memrec.h"
#include "num.h"
#include "output.h"
#include "pack.h"
#include "pack_series.h"
#include "syntax.h"

/* assets.c, generated from the page's files by mf-html/build.mk. */
extern const char mf_page_html[], mf_page_css[], mf_page_js[];
/* The temporal mode (docs/REPORT.md), after the page's own style and script. */
extern const char mf_temporal_css[], mf_temporal_js[];

static const char usage_text[] =
	"usage: mf-html [-o FILE] [-f] [--title TEXT] [--hide REGEX]... [--max-memory-records N] [FILE]\n";

/*
 * --max-memory-records N: the memory records (# memory=[MS,HEAP,RSS]) are
 * set aside and downsampled to at most N by memrec.h, exactly as the
 * reducers do, then written after the other metadata.  The page sees N as
 * the key max_memory_records and draws the temporal chart's per-slice heap
 * with at most N points too (docs/REPORT.md).
 */
struct memory_records {
	uint64_t max;		/* 0: no --max-memory-records, every record stays where it is */
	struct memory kept;
};

struct report {
	struct intern frames;	/* frame text, unescaped */
	struct buf meta;	/* ["key","raw"],... */
	uint64_t *nums;		/* the stacks: SHARED,N,F...,VALUE,COUNT,... */
	size_t nums_len, nums_cap;
	uint32_t *prev, *cur;	/* frame ids of the previous and current stack */
	size_t prev_len, prev_cap, cur_len, cur_cap;
	size_t nstacks;
	uint64_t total;		/* of all values, so an overflow is caught here, not in the page */
	uint64_t total_before;	/* the same for a diff's BEFORE */
	int all_counted;
	int diff;		/* the input is a diff: stacks carry BEFORE too */
	struct buf frame;	/* scratch: one unescaped frame */
	struct memory_records memory;
	struct series_pack series;	/* the series as a packed page writes them */
};

/*
 * Set a memory record aside for --max-memory-records; 0 when its value is
 * not exactly [MS,HEAP,RSS]: then it stays as it is, and the page says
 * what is wrong with it.
 */
static int memory_set_aside(struct memory_records *m, const char *json)
{
	struct memrec rec;
	if (memrec_parse(json, &rec) != 0)
		return 0;
	memory_add(&m->kept, rec.ms, rec.heap, rec.rss);
	return 1;
}

static void add_meta_raw(struct report *r, const char *key, const char *json)
{
	if (r->meta.len)
		buf_addc(&r->meta, ',');
	buf_addc(&r->meta, '[');
	json_quote(&r->meta, key, strlen(key));
	buf_addc(&r->meta, ',');
	json_quote(&r->meta, json, strlen(json));
}

/* The records set aside, downsampled to at most max, then max itself. */
static void memory_write_meta(struct report *r)
{
	struct memory *m = &r->memory.kept;
	char json[MEMREC_JSON_SIZE];
	memory_finish(m);
	for (size_t i = 0; i < m->n; i++) {
		size_t start = r->meta.len;
		memrec_json(&m->kept[i], json);
		add_meta_raw(r, "memory", json);
		buf_addc(&r->meta, ']');
		series_note(&r->series, "memory", json, 0, start, r->meta.len);
	}
	snprintf(json, sizeof json, "%llu", (unsigned long long)r->memory.max);
	add_meta_raw(r, "max_memory_records", json);
	buf_addc(&r->meta, ']');
	memory_release(m);
}

static void add_meta(struct report *r, const struct folded_line *l)
{
	if (r->memory.max && strcmp(l->key, "memory") == 0 && memory_set_aside(&r->memory, l->json))
		return;
	size_t start = r->meta.len;
	add_meta_raw(r, l->key, l->json);
	/* Per-stack keys (stack_live, ... of docs/TEMPORAL.md) belong to the
	 * stack line that follows: say which. */
	if (strncmp(l->key, "stack_", 6) == 0) {
		buf_addc(&r->meta, ',');
		buf_addu64(&r->meta, r->nstacks);
	}
	buf_addc(&r->meta, ']');
	series_note(&r->series, l->key, l->json, r->nstacks, start, r->meta.len);
}

static void add_number(struct report *r, uint64_t v)
{
	r->nums = xgrow(r->nums, &r->nums_cap, r->nums_len + 1, sizeof *r->nums);
	r->nums[r->nums_len++] = v;
}

/* Split the stack into interned frames, then write it prefix-compressed. */
static void add_stack(struct report *r, struct folded_reader *fr, const struct folded_line *l)
{
	r->cur_len = 0;
	const char *p = l->stack, *end = l->stack + l->stack_len;
	for (;;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;
		if (stop == p)
			input_error(&fr->in, "expected a frame between ';' separators, found an empty one");
		buf_clear(&r->frame);
		syntax_unescape(&r->frame, p, (size_t)(stop - p));
		r->cur = xgrow(r->cur, &r->cur_cap, r->cur_len + 1, sizeof *r->cur);
		r->cur[r->cur_len++] = intern(&r->frames, r->frame.data, r->frame.len);
		if (!semi)
			break;
		p = semi + 1;
	}
	size_t shared = 0;
	while (shared < r->prev_len && shared < r->cur_len && r->prev[shared] == r->cur[shared])
		shared++;
	add_number(r, shared);
	add_number(r, r->cur_len - shared);
	for (size_t i = shared; i < r->cur_len; i++)
		add_number(r, r->cur[i]);
	if (r->total + l->value < r->total)
		input_error(&fr->in, "the total of all stacks overflows 64 bits");
	r->total += l->value;
	add_number(r, l->value);
	add_number(r, l->has_count ? l->count : 0);
	if (l->diff) {
		if (r->total_before + l->before < r->total_before)
			input_error(&fr->in, "the total of all stacks overflows 64 bits");
		r->total_before += l->before;
		add_number(r, l->before);
		add_number(r, l->has_count ? l->count_before : 0);
	}
	if (!l->has_count)
		r->all_counted = 0;
	r->nstacks++;
	uint32_t *t = r->prev;
	size_t tcap = r->prev_cap;
	r->prev = r->cur;
	r->prev_cap = r->cur_cap;
	r->prev_len = r->cur_len;
	r->cur = t;
	r->cur_cap = tcap;
}

static void read_folded(struct report *r, const char *path)
{
	struct folded_reader fr;
	struct folded_line l;
	folded_open(&fr, path);
	while (folded_next(&fr, &l)) {
		if (l.kind == FOLDED_META)
			add_meta(r, &l);
		else
			add_stack(r, &fr, &l);
	}
	r->diff = fr.diff;
	folded_close(&fr);
}

/*
 * Write text with &, <, >, " as entities: --title goes into the markup.
 * A character from U+0080 is written as its number (&#xHEX;), so the page
 * stays ASCII (write_ascii says why).
 */
static void write_html_text(struct output *out, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		if ((unsigned char)s[i] >= 0x80) {
			char ref[16];
			uint32_t ch = page_char((const unsigned char *)s, n, &i);
			output_write(out, ref, (size_t)snprintf(ref, sizeof ref, "&#x%x;", (unsigned)ch));
			continue;
		}
		switch (s[i]) {
		case '&': output_puts(out, "&amp;"); break;
		case '<': output_puts(out, "&lt;"); break;
		case '>': output_puts(out, "&gt;"); break;
		case '"': output_puts(out, "&quot;"); break;
		default: output_write(out, s + i, 1);
		}
		i++;
	}
}

/*
 * Write the data block (JSON) as ASCII: each character from U+0080 as a
 * \uXXXX escape (two, a surrogate pair, above U+FFFF), the character the
 * browser would read from its UTF-8.  Such bytes are only ever inside JSON
 * strings, where the escape reads as that character.  One byte from 0x80
 * anywhere makes Chromium hold the whole page, data and script, as
 * two-byte text, which costs about 40 ms of decoding a megabyte.
 */
static void write_ascii(struct output *out, const char *s, size_t n)
{
	size_t run = 0, i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		output_write(out, s + run, i - run);
		uint32_t ch = page_char((const unsigned char *)s, n, &i);
		char esc[16];
		if (ch >= 0x10000)
			snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xd800 + ((ch - 0x10000) >> 10),
				 0xdc00 + ((ch - 0x10000) & 0x3ff));
		else
			snprintf(esc, sizeof esc, "\\u%04x", ch);
		output_puts(out, esc);
		run = i;
	}
	output_write(out, s + run, n - run);
}

/* The readable form: "frames":[TEXT,...] and the stacks' numbers in decimal. */
static void readable_frames(struct buf *b, const struct intern *frames)
{
	buf_adds(b, "\"frames\":[");
	for (size_t i = 0; i < frames->count; i++) {
		if (i)
			buf_addc(b, ',');
		json_quote(b, intern_str(frames, (uint32_t)i), intern_len(frames, (uint32_t)i));
	}
	buf_addc(b, ']');
}

static void readable_stacks(struct buf *b, const uint64_t *nums, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_addu64(b, nums[i]);
	}
}

static void write_data(struct output *out, struct report *r, const char *title,
		       char **hide, size_t nhide)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"title\":");
	if (title)
		json_quote(&b, title, strlen(title));
	else
		buf_adds(&b, "null");
	buf_adds(&b, ",\"hide\":[");
	for (size_t i = 0; i < nhide; i++) {
		if (i)
			buf_addc(&b, ',');
		json_quote(&b, hide[i], strlen(hide[i]));
	}
	buf_adds(&b, "],\"meta\":[");
	int packed = r->nstacks >= PACK_MIN_STACKS;
	if (packed)
		series_write_meta(&b, &r->series, buf_str(&r->meta), r->meta.len);
	else
		buf_add(&b, buf_str(&r->meta), r->meta.len);
	buf_adds(&b, "],");
	uint32_t *place = NULL;	/* a packed page's frame ids: each frame's place in text order */
	if (packed) {
		place = xcalloc(r->frames.count + 1, sizeof *place);
		series_write_fields(&b, &r->series);
		pack_frames(&b, &r->frames, place);
	} else {
		readable_frames(&b, &r->frames);
	}
	buf_printf(&b, ",\"counted\":%s,%s\"stacks\":%s",
		   r->all_counted && r->nstacks ? "true" : "false", r->diff ? "\"diff\":true," : "",
		   packed ? "\"" : "[");
	if (packed)
		pack_stacks(&b, r->nums, r->nums_len, r->diff ? 4 : 2, place);
	else
		readable_stacks(&b, r->nums, r->nums_len);
	buf_adds(&b, packed ? "\"}" : "]}");
	write_ascii(out, b.data, b.len);
	buf_release(&b);
	free(place);
}

/* The page template with its <!--MF:NAME--> markers filled in. */
static void write_page(struct output *out, struct report *r, const char *title,
		       char **hide, size_t nhide)
{
	const char *p = mf_page_html;
	for (;;) {
		const char *mark = strstr(p, "<!--MF:");
		if (!mark) {
			output_puts(out, p);
			return;
		}
		output_write(out, p, (size_t)(mark - p));
		const char *name = mark + 7, *close = strstr(name, "-->");
		size_t n = (size_t)(close - name);
		if (n == 5 && !memcmp(name, "TITLE", 5))
			write_html_text(out, title ? title : "mf flame graph");
		else if (n == 5 && !memcmp(name, "STYLE", 5)) {
			output_puts(out, mf_page_css);
			output_puts(out, mf_temporal_css);
		} else if (n == 6 && !memcmp(name, "SCRIPT", 6)) {
			output_puts(out, mf_page_js);
			output_puts(out, mf_temporal_js);
		} else if (n == 4 && !memcmp(name, "DATA", 4))
			write_data(out, r, title, hide, nhide);
		p = close + 3;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "hide", required_argument, NULL, 'H' },
		{ "max-memory-records", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outpath = NULL, *title = NULL;
	static char **hide;
	size_t nhide = 0;
	uint64_t max_records = 0;
	int force = 0, c;

	set_progname(argv[0]);
	hide = xcalloc((size_t)argc, sizeof *hide);
	while ((c = getopt_long(argc, argv, ":fho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'h': output_help(usage_text, MEMORY_RECORDS_HELP, NULL);
		case 'H':
			if (!*optarg)
				usage_error(usage_text, "--hide needs a non-empty regular expression");
			hide[nhide++] = optarg;
			break;
		case 'm':
			max_records = memory_records_option(usage_text, optarg);
			break;
		case 'o': outpath = optarg; break;
		case 't': title = optarg; break;
		default: bad_option(usage_text, c, argv);
		}
	}
	if (argc - optind > 1)
		usage_error(usage_text, "expected at most one FILE, found %d", argc - optind);

	/* Static: an input error exits with it still reachable, not leaked. */
	static struct report r = { .all_counted = 1, .series = SERIES_PACK_INIT };
	r.memory.max = max_records;
	if (max_records)
		memory_init(&r.memory.kept, max_records);
	read_folded(&r, optind < argc ? argv[optind] : "-");
	if (r.memory.max)
		memory_write_meta(&r);

	struct output out;
	output_open(&out, outpath, force);
	write_page(&out, &r, title, hide, nhide);
	output_close(&out);
	series_release(&r.series);
	return 0;
}
