/*
 * writer_rings.c - drain the rings, merge the threads' events by sequence
 * number.
 *
 * Each slot has a queue here (a "lane") holding the events copied out of
 * its ring, in increasing sequence order.  Lanes with events sit in a
 * min-heap keyed by the sequence number of their first event; the next
 * event is the top lane's first.  A thread usually makes several events in
 * a row, so the top lane is drained while its next event is the next
 * number, touching the heap once per run rather than once per event.
 */
#include "writer_rings.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "launch.h"
#include "proto.h"

/*
 * How long a missing number may hold up the stream while the process
 * lives.  A thread stopped between taking a number and publishing its event
 * for this long is more likely dead inside a hook (cancelled, or longjmp'd
 * out of a signal handler) than slow; waiting for ever would buffer every
 * later event.  Its event, if it comes after all, is written late.
 */
#define GAP_PATIENCE_NS 2000000000ull

/*
 * How many bytes of events a lane holds before draining leaves the rest in
 * the ring.  Copying out faster than the writer writes gains nothing when
 * the writer is the slower: the backlog would only grow (hundreds of
 * megabytes, every page of it faulted in).  A thread finding its ring full
 * waits a moment, which is the CPU time the writer lacked.  Twice the ring
 * leaves room for the drains made while symbolizing.  While a missing
 * number holds the stream up, every ring is drained whole: the number may
 * be behind the events a lane holds (a signal handler's events, published
 * before those of the hook it interrupted), and the thread must not wait
 * for the launcher that waits for it.
 */
#define LANE_MAX_BYTES (2u * MF_RING_BYTES)

/*
 * How far ahead of the event being written the writer hears of the events
 * to come (writer_prefetch): a program with many live blocks makes every
 * free look up an address in a table far bigger than the caches, and the
 * lookups of the next few events can wait on memory together.
 */
#define PREFETCH_BYTES (16u * sizeof(struct mf_event))

struct lane {
	unsigned char *buf;	/* copied events; 8-aligned */
	size_t pos, len, cap;
	size_t ahead;		/* the first event not yet announced to the writer */
	uint32_t thread;	/* the slot's owner when the events were copied */
	int queued;		/* in the heap, or its events being written */
};

struct rings {
	struct mf_shared_header *hdr;
	void *shm;
	struct writer *w;
	struct lane lanes[MF_SLOTS];
	uint32_t heap[MF_SLOTS];	/* lane indexes */
	size_t nheap;
	uint64_t next_seq;
	uint64_t lost;
	uint64_t gap_since_ns;	/* when the current wait for next_seq began, or 0 */
};

static void keep_rings_moving(void *rings)
{
	rings_drain(rings);
}

struct rings *rings_new(void *shm, struct writer *w)
{
	struct rings *r = xcalloc(1, sizeof *r);
	r->shm = shm;
	r->hdr = shm;
	r->w = w;
	r->next_seq = 1;
	writer_on_slow_work(w, keep_rings_moving, r);
	return r;
}

void rings_free(struct rings *r)
{
	for (size_t i = 0; i < MF_SLOTS; i++)
		free(r->lanes[i].buf);
	free(r);
}

/* ---- the heap of lanes ---- */

static uint64_t front_seq(const struct rings *r, uint32_t lane)
{
	const struct lane *l = &r->lanes[lane];
	return ((const struct mf_event *)(l->buf + l->pos))->seq;
}

static void heap_swap(struct rings *r, size_t i, size_t j)
{
	uint32_t t = r->heap[i];
	r->heap[i] = r->heap[j];
	r->heap[j] = t;
}

static void heap_push(struct rings *r, uint32_t lane)
{
	size_t i = r->nheap++;
	r->heap[i] = lane;
	r->lanes[lane].queued = 1;
	while (i > 0 && front_seq(r, r->heap[(i - 1) / 2]) > front_seq(r, r->heap[i])) {
		heap_swap(r, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct rings *r)
{
	r->lanes[r->heap[0]].queued = 0;
	r->heap[0] = r->heap[--r->nheap];
	for (size_t i = 0;;) {
		size_t least = i, kid = 2 * i + 1;
		for (size_t k = kid; k < kid + 2 && k < r->nheap; k++)
			if (front_seq(r, r->heap[k]) < front_seq(r, r->heap[least]))
				least = k;
		if (least == i)
			return;
		heap_swap(r, i, least);
		i = least;
	}
}

/* ---- draining ---- */

static noreturn void corrupt(uint32_t slot, const char *what)
{
	die("the event ring of slot %u is corrupt: %s", slot, what);
}

static void enqueue(struct rings *r, uint32_t slot, const struct mf_event *ev)
{
	struct lane *l = &r->lanes[slot];
	if (!l->queued) {
		l->pos = l->len = l->ahead = 0;	/* nothing left in it */
	} else if (l->len + ev->size > l->cap && l->pos >= l->len / 2) {
		/*
		 * A lane that always has events waiting is never empty when
		 * a drain comes: without moving the rest to the front its
		 * buffer would grow by every event the thread ever made.
		 */
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->ahead = l->ahead > l->pos ? l->ahead - l->pos : 0;
		l->pos = 0;
	}
	if (l->len + ev->size > l->cap)
		l->buf = xgrow(l->buf, &l->cap, l->len + ev->size, 1);
	if (ev->size == sizeof *ev)
		*(struct mf_event *)(l->buf + l->len) = *ev;	/* the common size: a fixed move */
	else
		memcpy(l->buf + l->len, ev, ev->size);
	l->len += ev->size;
	if (!l->queued)
		heap_push(r, slot);
}

/* One record of slot's ring: stacks and modules now, the rest queued. */
static void take(struct rings *r, uint32_t slot, const struct mf_event *ev)
{
	if (ev->type == MF_EV_STACK) {
		uint32_t depth = ev->aux & ~MF_STACK_TRUNCATED;
		if (depth > MF_MAX_DEPTH || sizeof *ev + depth * 8u > ev->size)
			corrupt(slot, "bad stack depth");
		writer_stack(r->w, ev->seq, (const uint64_t *)(ev + 1), depth,
			     (ev->aux & MF_STACK_TRUNCATED) != 0);
		return;
	}
	if ((ev->type == MF_EV_THREAD || ev->type == MF_EV_RENAME) &&
	    (ev->aux >= MF_NAME_MAX || sizeof *ev + ev->aux > ev->size))
		corrupt(slot, "bad thread name");
	if (ev->type == MF_EV_MODULE) {
		if (ev->aux == 0 || ev->aux >= MF_PATH_MAX || sizeof *ev + ev->aux > ev->size)
			corrupt(slot, "bad module path");
		char path[MF_PATH_MAX];
		memcpy(path, ev + 1, ev->aux);
		path[ev->aux] = '\0';
		writer_module(r->w, path, ev->a, ev->b, ev->c);
	}
	enqueue(r, slot, ev);
}

static size_t drain_slot(struct rings *r, uint32_t i)
{
	struct mf_slot *s = mf_slot_at(r->shm, i);
	uint32_t state = atomic_load_explicit(&s->state, memory_order_acquire);
	if (state == MF_SLOT_FREE)
		return 0;
	/* Loaded after state: a DONE slot's head is final. */
	uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	struct lane *l = &r->lanes[i];
	size_t taken = 0;
	if (head != tail)
		l->thread = s->thread;	/* written before the records we saw */
	while (tail != head && (!l->queued || l->len - l->pos < LANE_MAX_BYTES || r->gap_since_ns)) {
		if (head - tail > MF_RING_BYTES)
			corrupt(i, "head and tail are too far apart");
		uint32_t off = (uint32_t)(tail & (MF_RING_BYTES - 1));
		const struct mf_event *ev = (const struct mf_event *)(s->ring + off);
		uint32_t room = MF_RING_BYTES - off;
		if (room < sizeof *ev || ev->size < sizeof *ev || ev->size % 8 ||
		    ev->size > room || ev->size > head - tail)
			corrupt(i, "bad record size");
		if (!(ev->type == MF_EV_NOP && ev->seq == 0))	/* padding */
			take(r, i, ev);
		tail += ev->size;
		taken++;
	}
	atomic_store_explicit(&s->tail, tail, memory_order_release);
	/* A finished thread's slot goes back once its events are written. */
	if (state == MF_SLOT_DONE && tail == head && !l->queued)
		atomic_store_explicit(&s->state, MF_SLOT_FREE, memory_order_release);
	return taken;
}

size_t rings_drain(struct rings *r)
{
	uint32_t used = atomic_load_explicit(&r->hdr->slots_used, memory_order_acquire);
	if (used > MF_SLOTS)
		used = MF_SLOTS;
	size_t taken = 0;
	for (uint32_t i = 0; i < used; i++)
		taken += drain_slot(r, i);
	return taken;
}

/* ---- merging ---- */

/* Whether to give up waiting for next_seq, the top lane's event being seq. */
static int skip_gap(struct rings *r, uint64_t seq, int process_gone)
{
	if (!process_gone) {
		uint64_t now = monotonic_ns();
		if (!r->gap_since_ns)
			r->gap_since_ns = now;
		if (now - r->gap_since_ns < GAP_PATIENCE_NS)
			return 0;
	}
	r->lost += seq - r->next_seq;
	r->next_seq = seq;
	return 1;
}

size_t rings_process(struct rings *r, size_t budget, int process_gone)
{
	size_t done = 0;
	while (r->nheap && done < budget) {
		uint32_t lane = r->heap[0];
		uint64_t seq = front_seq(r, lane);
		if (seq > r->next_seq && !skip_gap(r, seq, process_gone))
			break;	/* still being written */
		r->gap_since_ns = 0;
		heap_pop(r);
		struct lane *l = &r->lanes[lane];
		l->queued = 1;	/* a drain while we write must not queue it again */
		do {
			/*
			 * A copy: the writer may drain the rings while it
			 * symbolizes, which can move the lane's buffer.
			 * Only module records (ignored here) are longer.
			 */
			union {
				struct mf_event ev;
				unsigned char bytes[sizeof(struct mf_event) + MF_NAME_MAX];
			} copy;
			if (l->ahead < l->pos)
				l->ahead = l->pos;
			while (l->ahead < l->len && l->ahead - l->pos < PREFETCH_BYTES) {
				const struct mf_event *next = (const struct mf_event *)(l->buf + l->ahead);
				writer_prefetch(r->w, next);
				l->ahead += next->size;
			}
			const struct mf_event *ev = (const struct mf_event *)(l->buf + l->pos);
			if (ev->size == sizeof copy.ev)
				copy.ev = *ev;	/* nearly every event: a fixed-size move */
			else
				memcpy(&copy, ev, ev->size < sizeof copy ? ev->size : sizeof copy);
			l->pos += ev->size;
			if (copy.ev.seq == r->next_seq)
				r->next_seq++;
			else if (r->lost)
				r->lost--;	/* a skipped number came after all: late */
			writer_event(r->w, l->thread, &copy.ev);
			done++;
		} while (l->pos < l->len && front_seq(r, lane) == r->next_seq && done < budget);
		l->queued = 0;
		if (l->pos < l->len)
			heap_push(r, lane);
	}
	return done;
}

int rings_pending(const struct rings *r)
{
	return r->nheap != 0;
}

uint64_t rings_lost(const struct rings *r)
{
	uint64_t taken = atomic_load_explicit(&r->hdr->seq, memory_order_acquire);
	uint64_t never_written = taken > r->next_seq ? taken - r->next_seq : 0;
	return r->lost + never_written;
}

int rings_attached(const struct rings *r)
{
	return atomic_load_explicit(&r->hdr->attached, memory_order_acquire) != 0;
}
