/*
 * events_header.c - the event-stream reader's header (the H record), its
 * opening and closing, and the metadata every reducer passes through.
 */
#include "events_private.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "folded.h"
#include "output.h"

/*
 * The ARGV words one by one: a space separates two words (a space inside
 * an argument is escaped), so "./app a\x20b " is "./app", "a b" and "".
 * An empty ARGV is no word at all (mf-record always writes argv[0]).
 */
char **read_words(const char *s, size_t n, size_t *count)
{
	size_t cap = 0;
	char **argv = NULL;
	const char *end = s + n;
	*count = 0;
	for (;;) {
		const char *space = memchr(s, ' ', (size_t)(end - s));
		const char *word_end = space ? space : end;
		argv = xgrow(argv, &cap, *count + 1, sizeof *argv);
		argv[(*count)++] = syntax_unescape_str(s, (size_t)(word_end - s));
		if (!space)
			break;
		s = space + 1;
	}
	return argv;
}

void read_header(struct ev_reader *r)
{
	struct input *in = &r->in;
	struct fields fs;
	if (!input_getline(in))
		die("%s: empty input: expected an mf event stream (docs/FORMAT.md)", in->name);
	if (in->len < 1 || in->line[0] != EV_HEADER) {
		if (syntax_guess(in->line, in->len) == SYNTAX_FOLDED)
			input_error(in, "expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' "
					"of an event stream; this looks like folded stacks");
		input_error(in, "expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream");
	}
	split(in, &fs, 5, 1);
	expect(in, &fs, 5, 5, "H 2 KIND PID START_MS INTERVAL_MS ARGV");
	uint64_t version = num(in, &fs, 0, "VERSION");
	if (version < SYNTAX_VERSION_OLDEST || version > SYNTAX_VERSION)
		input_error(in, "unsupported event stream version %llu (this reader knows versions %d and %d)",
			    (unsigned long long)version, SYNTAX_VERSION_OLDEST, SYNTAX_VERSION);
	if (fs.len[1] == 4 && memcmp(fs.f[1], "full", 4) == 0)
		r->aggregate = 0;
	else if (fs.len[1] == 9 && memcmp(fs.f[1], "aggregate", 9) == 0)
		r->aggregate = 1;
	else
		input_error(in, "expected KIND 'full' or 'aggregate', found '%s'",
			    printable(fs.f[1], fs.len[1]));
	r->pid = num(in, &fs, 2, "PID");
	r->start_ms = num(in, &fs, 3, "START_MS");
	r->interval_ms = num(in, &fs, 4, "INTERVAL_MS");
	if (r->interval_ms == 0)
		input_error(in, "expected INTERVAL_MS of at least 1");
	/* Words of ARGV are escaped; decoding keeps the spaces between them. */
	r->command = syntax_unescape_str(fs.rest, fs.rest_len);
	if (fs.rest_len)
		r->argv = read_words(fs.rest, fs.rest_len, &r->argc);
}

void ev_open(struct ev_reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	input_open(&r->in, path);
	read_header(r);
}

void ev_open_input(struct ev_reader *r, struct input *in)
{
	memset(r, 0, sizeof *r);
	r->in = *in;
	memset(in, 0, sizeof *in);
	read_header(r);
}

void ev_close(struct ev_reader *r)
{
	for (size_t i = 0; i < r->priv.nmodules; i++)
		free(r->priv.modules[i]);
	for (size_t i = 0; i < r->priv.nframes; i++) {
		free(r->priv.frames[i].file);
		free(r->priv.frames[i].function);
		free(r->priv.frames[i].text);
	}
	for (size_t i = 0; i < r->priv.nthreads; i++)
		free(r->priv.threads[i].name);
	free(r->priv.modules);
	free(r->priv.frames);
	free(r->priv.stack_parent);
	free(r->priv.stack_frame);
	free(r->priv.stack_id);
	free(r->priv.threads);
	free(r->priv.thread_numbers);
	free(r->priv.pool);
	free(r->priv.recent);
	free(r->command);
	for (size_t i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->how);
	for (size_t i = 0; i < r->priv.nexecs; i++) {
		for (size_t k = 0; k < r->priv.execs[i].argc; k++)
			free(r->priv.execs[i].argv[k]);
		free(r->priv.execs[i].argv);
	}
	free(r->priv.execs);
	free(r->priv.gone);
	hash_release(&r->priv.module_ids);
	hash_release(&r->priv.frame_ids);
	free(r->priv.stack_direct);
	free(r->priv.thread_direct);
	hash_release(&r->priv.stack_ids);
	hash_release(&r->priv.thread_ids);
	hash_release(&r->priv.live);
	buf_release(&r->priv.scratch);
	input_close(&r->in);
	memset(r, 0, sizeof *r);
}

void ev_require_full(const struct ev_reader *r, const char *what)
{
	if (r->aggregate)
		die("%s: %s need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate",
		    r->in.name, what);
}

/* "# KEY=[...]": the arguments as JSON strings, unambiguous where command is not. */
static void write_argv(struct output *out, const char *key, char *const *argv, size_t argc)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '[');
	for (size_t i = 0; i < argc; i++) {
		if (i)
			buf_addc(&b, ',');
		json_quote(&b, argv[i], strlen(argv[i]));
	}
	buf_addc(&b, ']');
	folded_meta_json(out, key, b.data);
	buf_release(&b);
}

void ev_write_metadata(const struct ev_reader *r, struct output *out)
{
	folded_meta_str(out, "command", r->command, strlen(r->command));
	write_argv(out, "argv", r->argv, r->argc);
	for (size_t i = 0; i < r->priv.nexecs; i++)
		write_argv(out, "exec", r->priv.execs[i].argv, r->priv.execs[i].argc);
	folded_meta_u64(out, "pid", r->pid);
	folded_meta_u64(out, "start_ms", r->start_ms);
	folded_meta_u64(out, "duration_ms", r->ended ? r->end_ms : r->now_ms);
	folded_meta_u64(out, "interval_ms", r->interval_ms);
	if (r->ended)
		folded_meta_str(out, "ended", r->how, strlen(r->how));
	folded_meta_u64(out, "total_allocations", r->aggregate ? r->end_allocs : r->nallocs);
	folded_meta_u64(out, "total_frees", r->aggregate ? r->end_frees : r->nfrees - r->discarded);
	if (!r->aggregate)
		folded_meta_u64(out, "total_bytes", r->total_bytes);
	folded_meta_u64(out, "untracked_frees", r->untracked);
	if (r->double_frees)
		folded_meta_u64(out, "double_frees", r->double_frees);
	if (r->lost)
		folded_meta_u64(out, "lost_events", r->lost);
	for (size_t i = 0; i < r->priv.nthreads; i++) {
		struct buf b = BUF_INIT;
		const char *name = r->priv.threads[i].name ? r->priv.threads[i].name : "";
		buf_printf(&b, "{\"thread\":%u,\"tid\":%llu,\"name\":", r->priv.thread_numbers[i],
			   (unsigned long long)r->priv.threads[i].tid);
		json_quote(&b, name, strlen(name));
		buf_addc(&b, '}');
		folded_meta_json(out, "thread", b.data);
		buf_release(&b);
	}
	if (r->truncated)
		folded_meta_json(out, "truncated", "true");
}
