/*
 * writer_output.c - the output thread and its queue of buffers (see
 * writer_output.h).
 */
#include "writer_output.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

const char *text_error(struct writer_output *t)
{
	pthread_mutex_lock(&t->lock);
	const char *error = t->error;
	pthread_mutex_unlock(&t->lock);
	return error;
}

/*
 * Write n bytes of p, unless an error ended the capture: then they are
 * dropped.  A write error dies, or with soft ends the capture.  The
 * caller has out to itself (the output thread, or the writer's thread
 * while that one is idle).
 */
static void put(struct writer_output *t, const char *p, size_t n)
{
	if (text_error(t))
		return;
	char *error = output_try_write(t->out, p, n);
	if (!error)
		return;
	if (!t->soft)
		die("%s", error);
	/* Set once out is no longer touched: whoever reads it may abandon out. */
	pthread_mutex_lock(&t->lock);
	t->error = error;
	pthread_mutex_unlock(&t->lock);
}

static void *write_handed(void *arg)
{
	struct writer_output *t = arg;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->handed && !t->finished)
			pthread_cond_wait(&t->changed, &t->lock);
		if (!t->handed)
			break;
		size_t i = t->first;
		pthread_mutex_unlock(&t->lock);
		/* A write error dies here (without soft), as it would in the other thread. */
		put(t, t->texts[i], t->lens[i]);
		pthread_mutex_lock(&t->lock);
		t->first = (t->first + 1) % TEXT_BUFFERS;
		t->handed--;
		pthread_cond_broadcast(&t->changed);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

void text_start(struct writer_output *t, struct output *out, int soft)
{
	*t = (struct writer_output){ .line = BUF_INIT, .out = out, .soft = soft };
	for (int i = 0; i < TEXT_BUFFERS; i++)
		t->texts[i] = xmalloc(TEXT_BYTES);
	t->text = t->texts[0];
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->changed, NULL);
	output_drop_behind(out);
	int err = pthread_create(&t->thread, NULL, write_handed, t);
	if (err)
		die("cannot start a thread: %s", strerror(err));
	pthread_setname_np(t->thread, "mf-output");	/* for top, perf and bench/long.sh */
	t->aside = 1;
}

/* Wait until the output thread has written all it was handed. */
static void output_idle(struct writer_output *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->handed)
		pthread_cond_wait(&t->changed, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void text_flush(struct writer_output *t)
{
	if (!t->aside) {
		put(t, t->text, t->text_len);
		t->text_len = 0;
		return;
	}
	if (t->text_len == 0)
		return;
	pthread_mutex_lock(&t->lock);
	size_t i = (t->first + t->handed) % TEXT_BUFFERS;	/* t->text */
	t->lens[i] = t->text_len;
	t->handed++;
	pthread_cond_broadcast(&t->changed);
	/* Every buffer handed: wait for the oldest to be written. */
	while (t->handed == TEXT_BUFFERS)
		pthread_cond_wait(&t->changed, &t->lock);
	t->text = t->texts[(t->first + t->handed) % TEXT_BUFFERS];
	pthread_mutex_unlock(&t->lock);
	t->text_len = 0;
}

void text_write(struct writer_output *t, const char *s, size_t n)
{
	if (n > TEXT_BYTES) {
		text_flush(t);
		if (t->aside)
			output_idle(t);	/* out is not the output thread's alone */
		put(t, s, n);
		return;
	}
	char *p = text_room(t, n);
	memcpy(p, s, n);
	text_commit(t, p, p + n);
}

void text_end_line(struct writer_output *t)
{
	buf_addc(&t->line, '\n');
	text_write(t, t->line.data, t->line.len);
	buf_clear(&t->line);
}

void text_finish(struct writer_output *t)
{
	text_flush(t);
	if (!t->aside)
		return;
	pthread_mutex_lock(&t->lock);
	t->finished = 1;
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->aside = 0;
}

void text_release(struct writer_output *t)
{
	for (int i = 0; i < TEXT_BUFFERS; i++)
		free(t->texts[i]);
	buf_release(&t->line);
	free(t->error);
}
