/*
 * shim_thread.c - per-thread slots and the ring writer of the preloaded
 * tracker.
 *
 * A thread claims a free slot on its first event and keeps it until its
 * pthread key destructor runs; only it writes the slot's ring, only the
 * launcher reads it, so writing an event is a few stores and one release
 * store of head.  When the ring is full, the thread waits for the launcher
 * rather than drop events.  Slots are mapped the first time they are
 * claimed (proto.h) and stay mapped for the next thread.  A thread that
 * finds every slot of the region held by live threads (hdr.slots of them)
 * never waits for one to exit: that could hang a program whose threads
 * wait for each other.  Its events are counted in hdr.dropped instead, and
 * it tries again now and then.  A signal handler may write events in the middle of
 * another write: see ring_reserve and ring_publish (shim.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
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
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
void thread_launcher_is(pid_t pid)
{
	launcher_pid = pid;
}

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

/* The launcher of the region now mapped: its header says, or else (a region made by hand) our parent. */
static pid_t region_launcher(void)
{
	return shim_hdr->launcher > 0 ? shim_hdr->launcher : getppid();
}

/*
 * Whether the launcher is gone (then nobody drains the rings).  A process
 * of --follow-fork is not always the launcher's child: then it asks the
 * kernel whether that process still exists.  Never on the hot path.
 */
static int launcher_gone(void)
{
	int err = errno, gone;

	if (getppid() == launcher_pid)
		return 0;
	gone = kill(launcher_pid, 0) != 0 && errno == ESRCH;
	errno = err;
	return gone;
}

void thread_init(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
	launcher_pid = region_launcher();
	start_tsc = read_tsc();
	start_ns = clock_ns();
}

void thread_follow(struct shim_thread *t)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	memcpy(&map_lock, &fresh, sizeof fresh);
	launcher_pid = region_launcher();
	stack_cache_free(t);
	t->number = 0;
	t->announced = 0;
	t->slotless = 0;
	t->slot = NULL;
	t->writing = 0;
}

static void note_slots_used(uint32_t used)
{
	uint32_t old = atomic_load_explicit(&shim_hdr->slots_used, memory_order_relaxed);

	while (old < used && !atomic_compare_exchange_weak(&shim_hdr->slots_used, &old, used))
		;
}

/*
 * The slots this process mapped, in order: slot i's mapping also reaches
 * into slot i + 1, which is mapped from it.  Mapping takes map_lock; a
 * signal handler never claims while its own thread is claiming (the guard
 * is up), so it cannot deadlock on it.
 */
static struct mf_slot *mapped[MF_SLOTS];
static _Atomic uint32_t nmapped;

/* Map slot i (every slot before it is mapped); NULL when it cannot be. */
static struct mf_slot *map_slot(uint32_t i)
{
	char *from = i == 0 ? (char *)shim_hdr + MF_SLOT_ALIGN : (char *)mapped[i - 1] + sizeof(struct mf_slot);
	void *m = (void *)syscall(SYS_mremap, from, 0, sizeof(struct mf_slot) + MF_SLOT_ALIGN,
				  MREMAP_MAYMOVE, NULL);

	return m == MAP_FAILED ? NULL : m;
}

static int take_slot(struct mf_slot *s)
{
	uint32_t expect = MF_SLOT_FREE;

	return atomic_load_explicit(&s->state, memory_order_relaxed) == MF_SLOT_FREE &&
	       atomic_compare_exchange_strong(&s->state, &expect, MF_SLOT_CLAIMED);
}

/* A slot mapped before and given back by the launcher, or a new one, or NULL. */
static struct mf_slot *free_or_new_slot(void)
{
	uint32_t n = atomic_load_explicit(&nmapped, memory_order_acquire);
	struct mf_slot *s = NULL;

	for (uint32_t i = 0; i < n; i++)
		if (take_slot(mapped[i]))
			return mapped[i];
	pthread_mutex_lock(&map_lock);
	for (n = atomic_load_explicit(&nmapped, memory_order_relaxed);
	     n < shim_hdr->slots && (s = map_slot(n)) != NULL; n++) {
		/*
		 * Taken before others here can see it.  A new slot is free
		 * unless someone else wrote the region (tests do, by hand).
		 */
		int taken = take_slot(s);

		mapped[n] = s;
		atomic_store_explicit(&nmapped, n + 1, memory_order_release);
		note_slots_used(n + 1);
		if (taken)
			break;
		s = NULL;
	}
	pthread_mutex_unlock(&map_lock);
	return s;
}

/* Is a slot whose thread ended waiting for the launcher to drain it and give it back? */
static int slot_coming_back(void)
{
	uint32_t n = atomic_load_explicit(&nmapped, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++)
		if (atomic_load_explicit(&mapped[i]->state, memory_order_relaxed) == MF_SLOT_DONE)
			return 1;
	return 0;
}

/*
 * A free slot, or NULL when live threads hold every one.  A slot whose
 * thread ended comes back as soon as the launcher has drained it, so it
 * is worth waiting for (while the launcher lives), unlike one a live
 * thread holds: that thread may be waiting for this one.
 */
static struct mf_slot *claim_free_slot(void)
{
	for (;;) {
		struct mf_slot *s = free_or_new_slot();
		struct timespec tick = { 0, 100000 };

		if (s || !slot_coming_back())
			return s;
		if (launcher_gone()) {
			shim_give_up();
			return NULL;
		}
		nanosleep(&tick, NULL);
	}
}

/*
 * A thread's first slot comes with a new thread number and announces the
 * thread; a claim after its key destructor ran (a later destructor
 * allocating) keeps the number and is silent: the launcher reads the
 * number from slot->thread, which is written before the first record.
 */
static struct mf_slot *claim(struct shim_thread *t)
{
	struct mf_slot *s;

	if (t->number == 0)
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
	if (!t->announced) {
		char name[16] = "";

		t->announced = 1;
		syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
		name[15] = '\0';
		emit_name(t, MF_EV_THREAD, 0, name);
	}
	return t->slot;
}

/*
 * Every slot is taken: this event is not recorded, only counted.  The
 * thread looks for a slot again every 1024 events (a scan of the slots
 * per event would slow it down for nothing while none frees up).
 */
static struct mf_slot *slotless(struct shim_thread *t)
{
	atomic_fetch_add_explicit(&shim_hdr->dropped, 1, memory_order_relaxed);
	t->slotless++;
	return NULL;
}

struct mf_slot *thread_claim_slot(struct shim_thread *t)
{
	struct mf_slot *s;

	if (t->slotless % 1024 != 0)
		return slotless(t);
	t->guard++;
	s = claim(t);
	t->guard--;
	if (!s)
		return slotless(t);
	t->slotless = 0;
	return s;
}

void thread_unmap_slots(void)
{
	uint32_t n = atomic_load(&nmapped);

	for (uint32_t i = 0; i < n; i++)
		shim_munmap(mapped[i], sizeof(struct mf_slot) + MF_SLOT_ALIGN);
	atomic_store(&nmapped, 0);
}

void thread_detach(struct shim_thread *t)
{
	struct mf_slot *s = t->slot;

	/* A child forked without fork handlers holds a copy of its parent's slot: not its own. */
	if (!s || !shim_own_process())
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
		if (launcher_gone()) {
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
