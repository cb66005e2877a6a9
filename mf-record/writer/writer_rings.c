/*
 * writer_rings.c - drain the rings, merge the threads' events by key.
 *
 * Each slot has a queue here (a "lane") holding the events copied out of
 * its ring, in the order the thread made them.  Lanes with events sit in a
 * min-heap keyed by their first event's key; the next event is the top
 * lane's first.  A thread usually makes several events in a row, so the
 * top lane is written while its first key stays below the next lane's,
 * touching the heap once per run rather than once per event.
 *
 * Why the frontier: a drain reads the launcher's key before any ring
 * (clock_key_now).  An event that made a later one possible (the free
 * before an address is reused, the allocation before its pointer is
 * freed) was published before the later one's key was taken (proto.h).
 * So once a drain has copied every ring whole, every cause of an event
 * keyed below its reading is in a lane, and writing in key order up to
 * there never writes an effect before its cause.  Events published later
 * with keys below it (a thread stopped between key and publish) are only
 * late: nothing already written depended on them.
 */
#include "writer_rings.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "../proto.h"
#include "writer_clock.h"

/*
 * How long a pending free may hold up the stream while the process lives.
 * A thread stopped between publishing it and settling it for this long is
 * more likely dead inside the hook (cancelled, or longjmp'd out of a
 * signal handler) than slow; waiting for ever would buffer every later
 * event.  The free is dropped, counted as lost.
 */
#define SETTLE_PATIENCE_NS 2000000000ull

/*
 * How many bytes of events a lane holds before draining leaves the rest in
 * the ring.  Copying out faster than the writer writes gains nothing when
 * the writer is the slower: the backlog would only grow (hundreds of
 * megabytes, every page of it faulted in).  A thread finding its ring full
 * sleeps until the launcher makes room, which is the CPU time the writer
 * lacked.  Twice the ring leaves room for the drains made while
 * symbolizing.  While a pending free holds the stream up, every ring is
 * drained whole: its settle may be behind the events its lane holds.
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
	uint64_t last_key;	/* of the last event copied in */
};

struct rings {
	struct mf_shared_header *hdr;
	void *shm;
	struct writer *w;
	struct lane lanes[MF_SLOTS];
	uint32_t heap[MF_SLOTS];	/* lane indexes */
	size_t nheap;
	uint64_t frontier;	/* events keyed below it can be written */
	int tsc;		/* keys are time stamp counter readings */
	struct clock_rate rate;	/* and this turns them into times, */
	/*
	 * 20 us in keys (0 with counter keys): how far out of order keys can
	 * be (plain rdtsc), and the window whose keys all get one time.
	 */
	uint64_t ticks_20us;
	uint64_t window_key, window_ns;	/* the current window's first key and its time */
	int heap_dirty;		/* lanes other than the top moved on: rebuild the heap */
	int merging;		/* rings_process holds the heap's top: drains must not push */
	uint32_t deferred[MF_SLOTS];	/* lanes that got events meanwhile, pushed after */
	size_t ndeferred;
	uint64_t keyed;		/* events with a key copied out */
	uint64_t lost;		/* pending frees dropped */
	uint64_t stalled_since_ns;	/* when a pending free began holding the stream up, or 0 */
	unsigned char *stack_sent;	/* stack_sent[id]: its MF_EV_STACK was taken */
	size_t cap_sent;
};

static void hand_over(struct rings *r, struct lane *l, const struct mf_event *ev, int nested);

/* ticks_20us from the rate just measured; the current window starts again. */
static void measure_windows(struct rings *r)
{
	if (r->rate.ns_per_tick <= 0)
		return;
	r->ticks_20us = (uint64_t)(20000 / r->rate.ns_per_tick);
	r->window_key = 0;
}

struct rings *rings_new(void *shm, struct writer *w)
{
	struct rings *r = xcalloc(1, sizeof *r);
	r->shm = shm;
	r->hdr = shm;
	r->w = w;
	r->tsc = r->hdr->clock == MF_CLOCK_TSC;
	if (r->tsc) {
		clock_rate_start(&r->rate);
		measure_windows(r);
	}
	return r;
}

void rings_free(struct rings *r)
{
	for (size_t i = 0; i < MF_SLOTS; i++)
		free(r->lanes[i].buf);
	free(r->stack_sent);
	free(r);
}

/* ---- the heap of lanes ---- */

static uint64_t front_key(const struct rings *r, uint32_t lane)
{
	const struct lane *l = &r->lanes[lane];
	return ((const struct mf_event *)(l->buf + l->pos))->key;
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
	while (i > 0 && front_key(r, r->heap[(i - 1) / 2]) > front_key(r, r->heap[i])) {
		heap_swap(r, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* The lane at i has a later first event than before: move it down. */
static void heap_sift_down(struct rings *r, size_t i)
{
	for (;;) {
		size_t least = i, kid = 2 * i + 1;
		for (size_t k = kid; k < kid + 2 && k < r->nheap; k++)
			if (front_key(r, r->heap[k]) < front_key(r, r->heap[least]))
				least = k;
		if (least == i)
			return;
		heap_swap(r, i, least);
		i = least;
	}
}

static void heap_pop(struct rings *r)
{
	r->lanes[r->heap[0]].queued = 0;
	r->heap[0] = r->heap[--r->nheap];
	heap_sift_down(r, 0);
}

/* Lanes were written out of turn: drop the empty ones, order the rest again. */
static void heap_rebuild(struct rings *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nheap; i++) {
		struct lane *l = &r->lanes[r->heap[i]];
		if (l->pos < l->len)
			r->heap[n++] = r->heap[i];
		else
			l->queued = 0;
	}
	r->nheap = n;
	for (size_t i = n / 2; i-- > 0;)
		heap_sift_down(r, i);
	r->heap_dirty = 0;
}

/* ---- draining ---- */

static noreturn void corrupt(uint32_t slot, const char *what)
{
	die("the event ring of slot %u is corrupt: %s", slot, what);
}

/*
 * Validation: an allocation may only name a stack sent before it (in its
 * thread's program order, so taken before it is written).  Anything else
 * comes from a ring written by two processes (a fork that ran no fork
 * handlers) or otherwise corrupt, and would be written as a record every
 * reader refuses.
 */
static void note_stack_sent(struct rings *r, uint32_t slot, uint64_t id)
{
	if (id == 0 || id >= atomic_load_explicit(&r->hdr->next_stack, memory_order_acquire))
		corrupt(slot, "bad stack id");
	if (id >= r->cap_sent) {
		size_t old = r->cap_sent;
		r->stack_sent = xgrow(r->stack_sent, &r->cap_sent, id + 1, 1);
		memset(r->stack_sent + old, 0, r->cap_sent - old);
	}
	r->stack_sent[id] = 1;
}

static void check_stack_sent(const struct rings *r, uint32_t slot, uint64_t id)
{
	if (id >= r->cap_sent || !r->stack_sent[id])
		corrupt(slot, "an allocation names a stack never sent");
}

/* Add n bytes of whole records to the slot's lane. */
static void enqueue(struct rings *r, uint32_t slot, const unsigned char *records, size_t n)
{
	struct lane *l = &r->lanes[slot];
	if (!l->queued) {
		l->pos = l->len = l->ahead = 0;	/* nothing left in it */
	} else if (l->len + n > l->cap && l->pos >= l->len / 2) {
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
	if (l->len + n > l->cap)
		l->buf = xgrow(l->buf, &l->cap, l->len + n, 1);
	memcpy(l->buf + l->len, records, n);
	l->len += n;
	if (!l->queued && r->merging) {
		l->queued = 1;
		r->deferred[r->ndeferred++] = slot;
	} else if (!l->queued) {
		heap_push(r, slot);
	}
}

/*
 * Check one record of slot's ring.  Stacks and modules go to the writer
 * now (modules are also queued, for their place in time); returns whether
 * the record is queued, to be written in key order.
 */
static int take(struct rings *r, uint32_t slot, const struct mf_event *ev)
{
	if (ev->type == MF_EV_NOP)	/* padding */
		return 0;
	if (ev->type == MF_EV_STACK) {
		uint32_t depth = ev->aux & ~MF_STACK_TRUNCATED;
		if (depth > MF_MAX_DEPTH || sizeof *ev + depth * 8u > ev->size)
			corrupt(slot, "bad stack depth");
		note_stack_sent(r, slot, ev->key);
		writer_stack(r->w, ev->key, (const uint64_t *)(ev + 1), depth,
			     (ev->aux & MF_STACK_TRUNCATED) != 0);
		return 0;
	}
	if (ev->type == MF_EV_PYCODE) {
		writer_pycode(r->w, ev);
		return 0;
	}
	if (ev->type == MF_EV_PYSTACK) {
		uint32_t count = ev->aux & ~MF_STACK_TRUNCATED;
		if (count == 0 || count > MF_MAX_DEPTH || sizeof *ev + count * 16u > ev->size)
			corrupt(slot, "bad Python stack depth");
		check_stack_sent(r, slot, ev->a);
		note_stack_sent(r, slot, ev->key);
		writer_pystack(r->w, ev->key, ev->a, (const uint64_t *)(ev + 1), count,
			       (ev->aux & MF_STACK_TRUNCATED) != 0);
		return 0;
	}
	if ((ev->type == MF_EV_THREAD || ev->type == MF_EV_RENAME) &&
	    (ev->aux >= MF_NAME_MAX || sizeof *ev + ev->aux > ev->size))
		corrupt(slot, "bad thread name");
	if (ev->type == MF_EV_MODULE) {
		uint32_t len = ev->aux & 0xffff, idlen = ev->aux >> 16;
		uint32_t padded = (len + 7) & ~7u;
		if (len == 0 || len >= MF_PATH_MAX || idlen > MF_BUILD_ID_MAX ||
		    sizeof *ev + padded + idlen > ev->size)
			corrupt(slot, "bad module path");
		char path[MF_PATH_MAX];
		memcpy(path, ev + 1, len);
		path[len] = '\0';
		writer_module(r->w, ev->key, path, ev->a, ev->b, ev->c,
			      (const unsigned char *)(ev + 1) + padded, idlen);
	}
	r->lanes[slot].last_key = ev->key;
	r->keyed++;
	return 1;
}

/* Wake the slot's thread if it sleeps waiting for room (see wait_room in shim_thread.c). */
static void wake_writer(struct mf_slot *s)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->waiting, memory_order_relaxed) &&
	    atomic_exchange(&s->waiting, 0))
		syscall(SYS_futex, &s->waiting, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Copy out what slot i published.  *frontier drops to the last key copied
 * if records are left in the ring: they may be the causes of events keyed
 * above it.
 */
static size_t drain_slot(struct rings *r, uint32_t i, uint64_t *frontier)
{
	struct mf_slot *s = mf_slot_at(r->shm, i);
	uint32_t state = atomic_load_explicit(&s->state, memory_order_acquire);
	if (state == MF_SLOT_FREE)
		return 0;
	/* Loaded after state: a DONE slot's head is final. */
	uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	struct lane *l = &r->lanes[i];
	size_t taken = 0, run_len = 0;
	uint32_t run_end = 0;	/* the run of records to copy: [run_end - run_len, run_end) */
	if (head != tail)
		l->thread = s->thread;	/* written before the records we saw */
	while (tail != head && (!l->queued || l->len - l->pos < LANE_MAX_BYTES || r->stalled_since_ns)) {
		if (head - tail > MF_RING_BYTES)
			corrupt(i, "head and tail are too far apart");
		uint32_t off = (uint32_t)(tail & (MF_RING_BYTES - 1));
		const struct mf_event *ev = (const struct mf_event *)(s->ring + off);
		uint32_t room = MF_RING_BYTES - off;
		if (room < sizeof *ev || ev->size < sizeof *ev || ev->size % 8 ||
		    ev->size > room || ev->size > head - tail)
			corrupt(i, "bad record size");
		/* Queued records next to each other in the ring are copied at once. */
		if (take(r, i, ev)) {
			if (run_len && run_end != off) {
				enqueue(r, i, s->ring + run_end - run_len, run_len);
				run_len = 0;
			}
			run_len += ev->size;
			run_end = off + ev->size;
		} else if (run_len) {
			enqueue(r, i, s->ring + run_end - run_len, run_len);
			run_len = 0;
		}
		tail += ev->size;
		taken++;
	}
	if (run_len)
		enqueue(r, i, s->ring + run_end - run_len, run_len);
	if (tail != head && l->last_key < *frontier)
		*frontier = l->last_key;
	if (taken) {
		atomic_store_explicit(&s->tail, tail, memory_order_release);
		wake_writer(s);
	}
	/* A finished thread's slot goes back once its events are written. */
	if (state == MF_SLOT_DONE && tail == head && !l->queued)
		atomic_store_explicit(&s->state, MF_SLOT_FREE, memory_order_release);
	return taken;
}

size_t rings_drain(struct rings *r)
{
	uint64_t frontier = clock_key_now(r->hdr);
	uint32_t used = atomic_load_explicit(&r->hdr->slots_used, memory_order_acquire);
	if (used > MF_SLOTS)
		used = MF_SLOTS;
	size_t taken = 0;
	for (uint32_t i = 0; i < used; i++)
		taken += drain_slot(r, i, &frontier);
	if (frontier > r->frontier)
		r->frontier = frontier;
	if (r->tsc && clock_rate_update(&r->rate, monotonic_ns()))
		measure_windows(r);
	return taken;
}

/* ---- merging ---- */

/* A free or unmapping waiting to be settled (realloc, mremap). */
static int is_pending(const struct mf_event *ev)
{
	return (ev->type == MF_EV_FREE || ev->type == MF_EV_MUNMAP) && (ev->aux & MF_FREE_PENDING);
}

/*
 * How the pending free at the front of lane l was settled: 1 freed, 0 not,
 * -1 not yet known.  Its settle is the first one after it not taken by a
 * pending free in between (a signal handler's, nested).
 */
static int settled(const struct lane *l)
{
	unsigned depth = 0;
	for (size_t at = l->pos + ((const struct mf_event *)(l->buf + l->pos))->size; at < l->len;) {
		const struct mf_event *ev = (const struct mf_event *)(l->buf + at);
		if (is_pending(ev))
			depth++;
		else if (ev->type == MF_EV_SETTLE || (ev->type == MF_EV_ALLOC && (ev->aux & MF_ALLOC_SETTLES))) {
			if (depth == 0)
				return ev->type == MF_EV_ALLOC || ev->aux == 1;
			depth--;
		}
		at += ev->size;
	}
	return -1;
}

/*
 * What to do with the pending free at the front of lane l: 1 write it, 0
 * drop it, -1 wait for its settle.
 */
static int pending_free(struct rings *r, const struct lane *l, int process_gone)
{
	int freed = settled(l);
	if (freed < 0) {
		uint64_t now = monotonic_ns();
		if (!process_gone) {
			if (!r->stalled_since_ns)
				r->stalled_since_ns = now;
			if (now - r->stalled_since_ns < SETTLE_PATIENCE_NS)
				return -1;
		}
		r->lost++;
		freed = 0;
	}
	r->stalled_since_ns = 0;
	return freed;
}

/*
 * The time of key (MF_CLOCK_TSC).  The stream counts milliseconds: every
 * key of a 20 us window gets the time of the window's first, so the
 * conversion is a comparison for nearly every event.
 */
static uint64_t key_ns(struct rings *r, uint64_t key)
{
	if (key - r->window_key >= r->ticks_20us) {
		r->window_key = key;
		r->window_ns = clock_rate_ns(&r->rate, key);
	}
	return r->window_ns;
}

/* Announce the lane's next events to the writer, a few ahead of the one written. */
static void look_ahead(struct rings *r, struct lane *l)
{
	if (l->ahead < l->pos)
		l->ahead = l->pos;
	while (l->ahead < l->len && l->ahead - l->pos < PREFETCH_BYTES) {
		const struct mf_event *next = (const struct mf_event *)(l->buf + l->ahead);
		writer_prefetch(r->w, next);
		l->ahead += next->size;
	}
}

/*
 * Write the front event of lane l and move past it.  Returns 0 when it must
 * wait (a pending free not settled yet), else 1.  freed: a pending free is
 * known to have happened (its address was handed out again).  nested: it
 * is written ahead of its turn, for another event (bring_forward).
 */
static int write_front(struct rings *r, struct lane *l, int process_gone, int freed, int nested)
{
	/*
	 * A copy: the rings are drained while the writer symbolizes, which
	 * can move the lane's buffer.  Only module records (ignored here) are
	 * longer.
	 */
	union {
		struct mf_event ev;
		unsigned char bytes[sizeof(struct mf_event) + MF_NAME_MAX];
	} copy;
	const struct mf_event *ev = (const struct mf_event *)(l->buf + l->pos);
	if (is_pending(ev) && !freed) {
		freed = pending_free(r, l, process_gone);
		if (freed < 0)
			return 0;
		if (!freed) {
			l->pos += ev->size;
			return 1;
		}
	}
	if (writer_prefetch_helps(r->w))
		look_ahead(r, l);
	if (ev->size == sizeof copy.ev)
		copy.ev = *ev;	/* nearly every event: a fixed-size move */
	else
		memcpy(&copy, ev, ev->size < sizeof copy ? ev->size : sizeof copy);
	l->pos += ev->size;
	if (copy.ev.type == MF_EV_SETTLE)
		return 1;
	if (copy.ev.type == MF_EV_ALLOC) {
		check_stack_sent(r, (uint32_t)(l - r->lanes), copy.ev.c);
		copy.ev.aux &= ~MF_ALLOC_SETTLES;
	}
	else if (copy.ev.type == MF_EV_FREE || copy.ev.type == MF_EV_MUNMAP)
		copy.ev.aux = 0;
	if (r->tsc)
		copy.ev.time_ns = key_ns(r, copy.ev.key);
	hand_over(r, l, &copy.ev, nested);
	return 1;
}

/*
 * The writer met an allocation at a live address (want MF_EV_FREE), or a
 * free of an address not live (want MF_EV_ALLOC), in the event keyed key
 * from lane skip.  Keys are read with plain rdtsc, which the CPU may run a
 * little before the loads ahead of it: the other thread's free of addr (or
 * allocation of it) can carry a slightly later key than the event that
 * needed it.  Find it in another lane, within the skew, and write that
 * lane up to it first.
 */
static void bring_forward(struct rings *r, const struct lane *skip, uint64_t key,
			  uint64_t addr, int want)
{
	uint64_t limit = key + r->ticks_20us;
	for (size_t i = 0; i < r->nheap; i++) {
		struct lane *l = &r->lanes[r->heap[i]];
		if (l == skip)
			continue;
		for (size_t at = l->pos; at < l->len;) {
			const struct mf_event *ev = (const struct mf_event *)(l->buf + at);
			if (ev->key >= limit)
				break;
			if (ev->type == want && ev->a == addr) {
				while (l->pos <= at)
					if (!write_front(r, l, 0, l->pos == at && want == MF_EV_FREE, 1))
						break;
				r->heap_dirty = 1;
				return;
			}
			at += ev->size;
		}
	}
}

/*
 * Hand ev, from lane l, to the writer, doing first what it asks for: the
 * rings are drained while it symbolizes, so that the program does not
 * wait on a full ring, and another lane's event that must come first is
 * written first.  An event written ahead of its turn (nested) is written
 * as it is.
 */
static void hand_over(struct rings *r, struct lane *l, const struct mf_event *ev, int nested)
{
	uint32_t thread = l->thread;
	unsigned may_wait = 0;
	if (!nested)	/* counter keys are in order */
		may_wait = WRITER_MAY_WAIT_SYMBOLS | (r->ticks_20us ? WRITER_MAY_WAIT_ORDER : 0);
	for (;;) {
		enum writer_wait wait = writer_event(r->w, thread, ev, may_wait);
		switch (wait) {
		case WRITER_WRITTEN:
			return;
		case WRITER_AFTER_SYMBOLS:
			do
				rings_drain(r);
			while (writer_symbolize_one(r->w, ev));
			may_wait &= ~WRITER_MAY_WAIT_SYMBOLS;
			break;
		case WRITER_AFTER_FREE:
		case WRITER_AFTER_ALLOC:
			bring_forward(r, l, ev->key, ev->a,
				      wait == WRITER_AFTER_FREE ? MF_EV_FREE : MF_EV_ALLOC);
			may_wait &= ~WRITER_MAY_WAIT_ORDER;
			break;
		}
	}
}

static size_t process_below(struct rings *r, size_t budget, uint64_t frontier, int process_gone);

size_t rings_process(struct rings *r, size_t budget, int process_gone)
{
	/* An event may need another thread's keyed up to 20 us later: leave room. */
	uint64_t frontier = process_gone ? UINT64_MAX :
		r->frontier > r->ticks_20us ? r->frontier - r->ticks_20us : 0;
	return process_below(r, budget, frontier, process_gone);
}

void rings_process_before(struct rings *r, uint64_t key)
{
	enum { PATIENCE = 1000 };	/* drains before giving up */
	for (int i = 0; i < PATIENCE; i++) {
		rings_drain(r);
		process_below(r, SIZE_MAX, key, 0);
		if (!r->nheap || front_key(r, r->heap[0]) >= key)
			return;
	}
}

static size_t process_below(struct rings *r, size_t budget, uint64_t frontier, int process_gone)
{
	size_t done = 0;
	r->merging = 1;
	while (r->nheap && done < budget && front_key(r, r->heap[0]) < frontier) {
		uint32_t lane = r->heap[0];
		struct lane *l = &r->lanes[lane];
		/* The top lane's events come first while keyed no later than every other lane's. */
		uint64_t next = UINT64_MAX;
		for (size_t k = 1; k < 3 && k < r->nheap; k++)
			if (front_key(r, r->heap[k]) < next)
				next = front_key(r, r->heap[k]);
		int waiting = 0;
		do {
			if (!write_front(r, l, process_gone, 0, 0)) {
				waiting = 1;
				break;
			}
			done++;
		} while (l->pos < l->len && done < budget &&
			 front_key(r, lane) <= next && front_key(r, lane) < frontier);
		if (r->heap_dirty)
			heap_rebuild(r);
		else if (l->pos < l->len)
			heap_sift_down(r, 0);
		else
			heap_pop(r);
		if (waiting)
			break;
	}
	r->merging = 0;
	while (r->ndeferred) {
		uint32_t lane = r->deferred[--r->ndeferred];
		r->lanes[lane].queued = 0;
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
	if (r->tsc)
		return r->lost;
	/* Counter keys run from 1 without gaps: those taken and never copied are lost. */
	uint64_t taken = atomic_load_explicit(&r->hdr->counter, memory_order_acquire) - 1;
	return r->lost + (taken > r->keyed ? taken - r->keyed : 0);
}

int rings_attached(const struct rings *r)
{
	return atomic_load_explicit(&r->hdr->attached, memory_order_acquire) != 0;
}
