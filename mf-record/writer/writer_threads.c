/* writer_threads.c - the thread table and its T records (see writer_threads.h). */
#include "writer_threads.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "syntax.h"

void threads_release(struct writer_threads *th)
{
	for (size_t i = 0; i < th->cap; i++)
		free(th->threads[i].name);
	free(th->threads);
	hash_release(&th->pthreads);
}

static struct writer_thread *thread_at(struct writer_threads *th, uint32_t thread)
{
	if (thread >= th->cap) {
		size_t old = th->cap;
		th->threads = xgrow(th->threads, &th->cap, thread + 1, sizeof *th->threads);
		memset(th->threads + old, 0, (th->cap - old) * sizeof *th->threads);
	}
	return &th->threads[thread];
}

/* "T THREAD TID NAME", unless the thread already has this name and tid. */
static void write_thread(struct writer_threads *th, struct writer_output *t, uint32_t thread,
			 uint64_t tid, const char *name, size_t len)
{
	struct writer_thread *w = thread_at(th, thread);
	if (w->name && w->tid == tid && strlen(w->name) == len && memcmp(w->name, name, len) == 0)
		return;
	free(w->name);
	w->name = xstrndup(name, len);
	w->tid = tid;
	buf_addc(&t->line, EV_THREAD);
	buf_addc(&t->line, ' ');
	buf_addu64(&t->line, thread);
	buf_addc(&t->line, ' ');
	buf_addu64(&t->line, tid);
	buf_addc(&t->line, ' ');
	syntax_escape(&t->line, w->name, SYNTAX_TEXT);
	text_end_line(t);
}

void threads_introduce(struct writer_threads *th, struct writer_output *t, uint32_t thread,
		       uint64_t pthread, uint64_t tid, const char *name, size_t len)
{
	*(uint64_t *)hash_put(&th->pthreads, pthread, NULL) = thread;
	write_thread(th, t, thread, tid, name, len);
}

void threads_rename(struct writer_threads *th, struct writer_output *t, uint64_t pthread,
		    const char *name, size_t len)
{
	uint64_t *number = hash_get(&th->pthreads, pthread);
	if (number)
		write_thread(th, t, (uint32_t)*number, th->threads[*number].tid, name, len);
}

void threads_anonymous(struct writer_threads *th, struct writer_output *t, uint32_t thread)
{
	write_thread(th, t, thread, 0, "", 0);
}
