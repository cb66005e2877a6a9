/*
 * shim_thread.c - per-thread slots and the ring writer of the preloaded
 * tracker.
 *
 * A thread claims a free slot on its first event and keeps it until its
 * pthread key destructor runs; only it writes the slot's ring, only the
 * launcher reads it, so writing an event is a few stores and one release
 * store of head.  When the ring is full, or every slot is taken, the
 * thread waits for the launcher (sched_yield) rather than drop events.
 * A signal handler may write events in the middle of another write: see
 * ring_reserve and ring_publish (shim.h).
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define read_tsc() __rdtsc()
#else
#define read_tsc() 0	/* never calibrated: every event reads the clock */
#endif

#include "shim.h"

__thread struct shim_thread shim_self __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pid_t launcher_pid;

static void on_thread_exit(void *unused)
{
	struct shim_thread *t = &shim_self;

	(void)unused;
	t->guard++;
	thread_detach(t);
	t->guard--;
}

/*
 * Reading the clock costs more than the rest of writing an event, and
 * half a millisecond is accuracy enough: a thread reuses its last reading
 * while the time stamp counter says less than that has passed.  The
 * counter's rate is measured against the clock once 20 ms have gone by;
 * until then every event reads the clock.
 */
static uint64_t start_tsc, start_ns;
static _Atomic uint64_t ticks_per_half_ms;

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void calibrate(uint64_t tsc, uint64_t ns)
{
	if (ns - start_ns < 20000000 || tsc <= start_tsc + 1000)
		return;
	atomic_store_explicit(&ticks_per_half_ms,
			      (uint64_t)((unsigned __int128)(tsc - start_tsc) * 500000 / (ns - start_ns)),
			      memory_order_relaxed);
}

uint64_t now_ns(struct shim_thread *t)
{
	uint64_t tsc = read_tsc();
	uint64_t limit = atomic_load_explicit(&ticks_per_half_ms, memory_order_relaxed);

	if (likely(tsc - t->clock_tsc < limit))
		return t->clock_ns;
	/* The time before the counter: a signal handler in between reads the clock itself. */
	t->clock_ns = clock_ns();
	atomic_signal_fence(memory_order_seq_cst);
	t->clock_tsc = tsc;
	if (unlikely(limit == 0))
		calibrate(tsc, t->clock_ns);
	return t->clock_ns;
}

void thread_init(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
	launcher_pid = getppid();
	start_tsc = read_tsc();
	start_ns = clock_ns();
}

/*
 * Waiting is only safe while the launcher lives: if it is gone (we were
 * re-parented) nobody will ever make room, so stop tracking instead of
 * hanging the program.  Returns 0 when the caller must give up.
 */
static int launcher_alive(unsigned spins)
{
	if (spins % 1024 != 1023)
		return 1;
	if (getppid() == launcher_pid)
		return 1;
	shim_give_up();
	return 0;
}

static void note_slots_used(uint32_t used)
{
	uint32_t old = atomic_load_explicit(&shim_hdr->slots_used, memory_order_relaxed);

	while (old < used && !atomic_compare_exchange_weak(&shim_hdr->slots_used, &old, used))
		;
}

static struct mf_slot *claim_free_slot(void)
{
	for (unsigned spins = 0;; spins++) {
		for (uint32_t i = 0; i < MF_SLOTS; i++) {
			struct mf_slot *s = mf_slot_at(shim_hdr, i);
			uint32_t expect = MF_SLOT_FREE;

			if (atomic_load_explicit(&s->state, memory_order_relaxed) == MF_SLOT_FREE &&
			    atomic_compare_exchange_strong(&s->state, &expect, MF_SLOT_CLAIMED)) {
				note_slots_used(i + 1);
				return s;
			}
		}
		if (!launcher_alive(spins))
			return NULL;
		sched_yield();
	}
}

/*
 * A thread's first claim takes a new thread number and announces the
 * thread; a claim after its key destructor ran (a later destructor
 * allocating) keeps the number and is silent: the launcher reads the
 * number from slot->thread, which is written before the first record.
 */
static struct mf_slot *claim(struct shim_thread *t)
{
	int first = t->number == 0;
	struct mf_slot *s;

	if (first)
		t->number = atomic_fetch_add(&shim_hdr->next_thread, 1);
	s = claim_free_slot();
	if (!s)
		return NULL;
	s->thread = t->number;
	t->head = atomic_load_explicit(&s->head, memory_order_acquire);
	t->tail = atomic_load_explicit(&s->tail, memory_order_acquire);
	t->writing = 0;
	t->slot = s;
	/* Ask for the exit hook again, even from inside a key destructor. */
	pthread_setspecific(exit_key, (void *)1);
	if (first) {
		char name[16] = "";

		syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
		name[15] = '\0';
		emit_name(t, MF_EV_THREAD, 0, name);
	}
	return t->slot;
}

struct mf_slot *thread_slot(struct shim_thread *t)
{
	struct mf_slot *s;

	if (likely(t->slot != NULL))
		return t->slot;
	t->guard++;
	s = claim(t);
	t->guard--;
	return s;
}

void thread_detach(struct shim_thread *t)
{
	struct mf_slot *s = t->slot;

	if (!s)
		return;
	/* Forget the slot first: a signal handler must not write to it once DONE. */
	t->slot = NULL;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&s->state, MF_SLOT_DONE, memory_order_release);
	stack_cache_free(t);
}

static int room_for(struct shim_thread *t, uint64_t head, uint32_t need)
{
	t->tail = atomic_load_explicit(&t->slot->tail, memory_order_acquire);
	return head + need - t->tail <= MF_RING_BYTES;
}

/*
 * Sleep until the launcher has consumed enough of the ring.  Spinning
 * would take the CPU the launcher needs to make room: with more busy
 * threads than cores it gets its share only when they sleep.  The flag is
 * set before tail is read again, and the launcher reads the flag after it
 * stores tail, each with a full barrier, so one of the two always sees
 * the other.  The sleep is cut at 10 ms to check that the launcher lives.
 */
static int wait_room(struct shim_thread *t, uint64_t head, uint32_t need)
{
	struct mf_slot *s = t->slot;

	while (!room_for(t, head, need)) {
		atomic_exchange(&s->waiting, 1);
		if (!room_for(t, head, need)) {
			struct timespec tick = { 0, 10000000 };

			syscall(SYS_futex, &s->waiting, FUTEX_WAIT, 1, &tick, NULL, 0);
		}
		atomic_store_explicit(&s->waiting, 0, memory_order_relaxed);
		if (getppid() != launcher_pid) {
			shim_give_up();
			return 0;
		}
	}
	return 1;
}

/*
 * Set *p to new if it holds old, in one instruction: a signal handler runs
 * wholly before or after it.  No lock prefix: no other thread touches p.
 */
static inline int swap_if(uint64_t *p, uint64_t old, uint64_t new)
{
#if defined(__x86_64__)
	uint64_t prev;

	__asm__ volatile("cmpxchgq %2, %1" : "=a"(prev), "+m"(*p) : "r"(new), "0"(old) : "memory", "cc");
	return prev == old;
#else
	return __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
#endif
}

/*
 * Records never wrap.  A record that would cross the end of the ring, or
 * leave less than a record header before it, is preceded by a padding
 * record (MF_EV_NOP, key 0) up to the end; so every record, padding
 * included, starts at least sizeof(struct mf_event) bytes before the end.
 */
struct mf_event *ring_reserve(struct shim_thread *t, uint32_t size)
{
	t->writing++;
	atomic_signal_fence(memory_order_seq_cst);
	for (;;) {
		uint64_t head = t->head;
		uint32_t pos = head & (MF_RING_BYTES - 1);
		uint32_t room = MF_RING_BYTES - pos;
		uint32_t pad = 0;

		if (unlikely(size > room || (room > size && room - size < sizeof(struct mf_event))))
			pad = room;
		if (unlikely(head + pad + size - t->tail > MF_RING_BYTES) &&
		    !wait_room(t, head, pad + size)) {
			t->writing--;
			return NULL;
		}
		if (unlikely(!swap_if(&t->head, head, head + pad + size)))
			continue;	/* a signal handler reserved first */
		atomic_signal_fence(memory_order_seq_cst);
		if (pad) {
			struct mf_event *e = (struct mf_event *)(t->slot->ring + pos);

			e->type = MF_EV_NOP;
			e->size = pad;
			e->aux = 0;
			e->key = 0;
			e->time_ns = 0;
		}
		return (struct mf_event *)(t->slot->ring + ((head + pad) & (MF_RING_BYTES - 1)));
	}
}

void emit(struct shim_thread *t, uint16_t type, uint32_t aux, uint64_t key,
	  uint64_t a, uint64_t b, uint64_t c)
{
	struct mf_event *e = ring_reserve(t, sizeof *e);

	if (!e)
		return;
	e->type = type;
	e->size = sizeof *e;
	e->aux = aux;
	e->key = key;
	e->time_ns = shim_clock_tsc ? 0 : now_ns(t);
	e->a = a;
	e->b = b;
	e->c = c;
	ring_publish(t);
}

void emit_name(struct shim_thread *t, uint16_t type, uint64_t thread, const char *name)
{
	uint32_t len = strnlen(name, MF_NAME_MAX - 1);
	uint32_t size = sizeof(struct mf_event) + ((len + 7) & ~7u);
	struct mf_event *e;
	uint64_t key = event_key();

	e = ring_reserve(t, size);
	if (!e)
		return;
	e->type = type;
	e->size = size;
	e->aux = len;
	e->key = key;
	e->time_ns = shim_clock_tsc ? 0 : now_ns(t);
	e->a = type == MF_EV_THREAD ? (uint64_t)gettid() : 0;
	e->b = type == MF_EV_THREAD ? (uint64_t)pthread_self() : thread;
	e->c = 0;
	memset(e + 1, 0, size - sizeof *e);
	memcpy(e + 1, name, len);
	ring_publish(t);
}
