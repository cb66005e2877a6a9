/*
 * writer_threads.h - the thread table: each thread's T record, written
 * when the thread is introduced or renamed, and before the first record
 * of a thread the shim never introduced.
 *
 * Threads are numbered by the shim (its slot owners); a rename names the
 * thread by its pthread_t, which this table maps to the number.
 */
#ifndef MF_WRITER_THREADS_H
#define MF_WRITER_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "writer_output.h"

struct writer_thread {
	uint64_t tid;
	char *name;		/* NULL until a T record was written */
};

struct writer_threads {
	struct writer_thread *threads;	/* by number */
	size_t cap;
	struct hash pthreads;		/* pthread_t -> thread number */
};

/* An empty table is all zeros. */
void threads_release(struct writer_threads *th);
/* Thread number thread, with pthread_t pthread, is named name[0..len). */
void threads_introduce(struct writer_threads *th, struct writer_output *t, uint32_t thread,
		       uint64_t pthread, uint64_t tid, const char *name, size_t len);
/* The thread with pthread_t pthread is now named name[0..len); ignored if unknown. */
void threads_rename(struct writer_threads *th, struct writer_output *t, uint64_t pthread,
		    const char *name, size_t len);
/* Write a nameless T record for thread (threads_ensure's slow path). */
void threads_anonymous(struct writer_threads *th, struct writer_output *t, uint32_t thread);

/* Make sure thread has had its T record. */
static inline void threads_ensure(struct writer_threads *th, struct writer_output *t,
				  uint32_t thread)
{
	if (thread >= th->cap || !th->threads[thread].name)
		threads_anonymous(th, t, thread);
}

#endif
