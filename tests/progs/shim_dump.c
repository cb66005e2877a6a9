/*
 * shim_dump - test tool, not a product: run a program under the shim the
 * way mf-record does (memfd, header, LD_PRELOAD, MF_SHM_FD), drain the
 * rings while it runs, and print the raw events in key order, one a line:
 *
 *   a THREAD ALLOCATOR SIZE @ADDR STACK   allocation
 *   a THREAD ALLOCATOR SIZE @ADDR STACK settles
 *                                         the new block of a realloc or
 *                                         mremap: its pending free happened
 *   f THREAD @ADDR                        free
 *   f THREAD @ADDR pending                free before a realloc or mremap
 *   x THREAD FREED                        a pending free settled: 1 it
 *                                         happened, 0 the call failed
 *   u THREAD @ADDR LEN                    munmap
 *   u THREAD @ADDR LEN pending            unmapping before an mremap
 *   r THREAD @ADDR LEN                    PROT_NONE mmap (a reservation)
 *   d THREAD @ADDR LEN                    mprotect(PROT_NONE) (a = mprotect
 *                                         making pages accessible)
 *   s ID DEPTH[+] MODULE+0xOFF...         stack (+: truncated), innermost first
 *   M PATH                                module
 *   T THREAD NAME                         thread started or renamed itself
 *   R THREAD TARGET NAME                  thread renamed thread TARGET
 *
 * @ADDR is a label: @1, @2... in order of allocation, reused labels are
 * never printed twice for different blocks; @? is an address no live
 * block starts at.  Stack ids are printed as given.  Then comment lines:
 * "# gaps N" (keys never written; always 0 with MF_CLOCK=tsc, where keys
 * are time stamp counter readings, not numbers), "# paddings N" (records skipped to
 * the end of a ring), "# attached N", "# threads N",
 * "# exit N" or "# signal N".
 *
 * Usage: shim_dump [-c|-t] PROGRAM [ARG...]
 * -c: only count the events ("# events N" and the comment lines, and
 * "# cpu PROGRAM READER", CPU seconds of each): the cost of the shim
 * alone, for bench/record.sh.
 * -t: start every line but s and M lines with "+MS ", the event's time
 * in whole milliseconds since the header's start_ns.  Always: "# time-errors
 * N" counts events stamped before start_ns or after the program ended
 * (with MF_CLOCK=tsc events carry no time: -t prints none, and none are
 * counted).  Keys come from the shared counter unless MF_CLOCK=tsc.   (the shim is ../../bin/libmf-record.so
 * from this program's directory, or $MF_SHIM)
 * SHIM_DUMP_SLOTS=N gives the region N slots instead of MF_SLOTS, and
 * adds "# dropped N" before "# gaps": the events of threads that found
 * every slot taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../mf-record/proto.h"

struct rec {
	uint64_t key;
	uint32_t sub;		/* order among records sharing a key (stacks first) */
	uint32_t thread;
	struct mf_event *ev;	/* a copy */
};

static struct rec *recs;
static size_t nrecs, caprecs;

struct pending { size_t idx[64]; int n; };
static struct pending pending[MF_SLOTS];
static uint64_t paddings;
static int count_only, with_time;
static uint64_t start_ns, end_ns, time_errors;
static uint64_t counted;

static void die(const char *what)
{
	fprintf(stderr, "shim_dump: %s: %s\n", what, strerror(errno));
	exit(3);
}

static void keep(struct mf_event *e, uint32_t thread, uint32_t slot)
{
	if (e->type == MF_EV_PYCODE || e->type == MF_EV_PYSTACK)
		return;	/* Python's records carry no key: not dumped */
	struct pending *p = &pending[slot];

	if (nrecs == caprecs) {
		caprecs = caprecs ? 2 * caprecs : 4096;
		recs = realloc(recs, caprecs * sizeof *recs);
		if (!recs)
			die("realloc");
	}
	struct rec *r = &recs[nrecs];
	r->ev = malloc(e->size);
	if (!r->ev)
		die("malloc");
	memcpy(r->ev, e, e->size);
	r->thread = thread;
	if (e->type == MF_EV_STACK) {
		if (p->n == 64) {
			fprintf(stderr, "shim_dump: too many stacks in a row\n");
			exit(3);
		}
		p->idx[p->n++] = nrecs++;
		return;
	}
	for (int i = 0; i < p->n; i++) {
		recs[p->idx[i]].key = e->key;
		recs[p->idx[i]].sub = i;
	}
	r->key = e->key;
	r->sub = p->n;
	p->n = 0;
	nrecs++;
}

/* Read what the slot published; give it back when its thread is done. */
static void drain(void *shm, uint32_t i)
{
	struct mf_slot *s = mf_slot_at(shm, i);
	uint32_t state = atomic_load_explicit(&s->state, memory_order_acquire);
	uint64_t head, tail;

	if (state == MF_SLOT_FREE)
		return;
	head = atomic_load_explicit(&s->head, memory_order_acquire);
	tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	while (tail < head) {
		struct mf_event *e = (struct mf_event *)(s->ring + (tail & (MF_RING_BYTES - 1)));

		if (e->size < sizeof *e || e->size % 8) {
			fprintf(stderr, "shim_dump: slot %u: bad record size %u\n", i, e->size);
			exit(3);
		}
		if (e->type == MF_EV_NOP)
			paddings++;
		else if (count_only)
			counted += e->type != MF_EV_STACK && e->type != MF_EV_PYCODE &&
				   e->type != MF_EV_PYSTACK;
		else
			keep(e, s->thread, i);
		tail += e->size;
	}
	atomic_store_explicit(&s->tail, tail, memory_order_release);
	/* Wake the thread if it sleeps waiting for room, as mf-record does. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_exchange(&s->waiting, 0))
		syscall(SYS_futex, &s->waiting, FUTEX_WAKE, 1, NULL, NULL, 0);
	if (state == MF_SLOT_DONE)
		atomic_store_explicit(&s->state, MF_SLOT_FREE, memory_order_release);
}

static int by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->sub > y->sub) - (x->sub < y->sub);
}

/* --- address labels --- */

#define NBUCKETS (1u << 16)
struct label { uint64_t addr, id; struct label *next; };
static struct label *buckets[NBUCKETS];
static uint64_t next_label = 1;

static struct label **find_label(uint64_t addr)
{
	struct label **l = &buckets[(addr >> 4) * 2654435761u % NBUCKETS];

	while (*l && (*l)->addr != addr)
		l = &(*l)->next;
	return l;
}

static uint64_t label_new(uint64_t addr)
{
	struct label **l = find_label(addr);

	if (!*l) {
		*l = calloc(1, sizeof **l);
		(*l)->addr = addr;
	}
	(*l)->id = next_label++;
	return (*l)->id;
}

static void print_label_end(uint64_t addr)
{
	struct label **l = find_label(addr), *dead = *l;

	if (!dead) {
		printf("@?");
		return;
	}
	printf("@%llu", (unsigned long long)dead->id);
	*l = dead->next;
	free(dead);
}

static void print_label(uint64_t addr)
{
	struct label **l = find_label(addr);

	if (*l)
		printf("@%llu", (unsigned long long)(*l)->id);
	else
		printf("@?");
}

/* The pending frees of each thread, innermost last; a settle ends the last one's block. */
static struct { uint64_t addr[8]; int n; } pend[MF_SLOTS * 4];

static void settle(uint32_t thread, int freed)
{
	struct label **l, *dead;

	if (thread >= MF_SLOTS * 4 || pend[thread].n == 0)
		return;
	l = find_label(pend[thread].addr[--pend[thread].n]);
	if (!freed || !*l)
		return;
	dead = *l;
	*l = dead->next;
	free(dead);
}

/* --- modules, for printing stacks --- */

struct module { char *name; uint64_t start, end; };
static struct module modules[1024];
static int nmodules;

static void print_frame(uint64_t pc)
{
	for (int i = 0; i < nmodules; i++)
		if (pc >= modules[i].start && pc < modules[i].end) {
			printf(" %s+0x%llx", modules[i].name,
			       (unsigned long long)(pc - modules[i].start));
			return;
		}
	printf(" 0x%llx", (unsigned long long)pc);
}

static const char *allocator_names[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
	"memalign", "valloc", "pvalloc", "mmap", "mremap", "mprotect",
};

static int tsc;

static void print_time(const struct mf_event *e)
{
	if (tsc)
		return;
	if (e->time_ns < start_ns || e->time_ns > end_ns)
		time_errors++;
	if (with_time && e->type != MF_EV_MODULE)
		printf("+%llu ", (unsigned long long)(e->time_ns - start_ns) / 1000000);
}

static void print(const struct rec *r)
{
	const struct mf_event *e = r->ev;
	const char *text = (const char *)(e + 1);
	const uint64_t *pcs = (const uint64_t *)(e + 1);

	if (e->type != MF_EV_STACK)
		print_time(e);

	switch (e->type) {
	case MF_EV_ALLOC: {
		uint32_t how = e->aux & ~MF_ALLOC_SETTLES;

		if (e->aux & MF_ALLOC_SETTLES)
			settle(r->thread, 1);
		printf("a %u %s %llu @%llu %llu%s\n", r->thread,
		       how < MF_ALLOCATOR_COUNT ? allocator_names[how] : "?",
		       (unsigned long long)e->b, (unsigned long long)label_new(e->a),
		       (unsigned long long)e->c, e->aux & MF_ALLOC_SETTLES ? " settles" : "");
		break;
	}
	case MF_EV_FREE:
		printf("f %u ", r->thread);
		if (e->aux & MF_FREE_PENDING) {
			print_label(e->a);
			printf(" pending\n");
			if (r->thread < MF_SLOTS * 4 && pend[r->thread].n < 8)
				pend[r->thread].addr[pend[r->thread].n++] = e->a;
			break;
		}
		print_label_end(e->a);
		printf("\n");
		break;
	case MF_EV_SETTLE:
		settle(r->thread, e->aux);
		printf("x %u %u\n", r->thread, e->aux);
		break;
	case MF_EV_MUNMAP:
		printf("u %u ", r->thread);
		if (e->aux & MF_FREE_PENDING) {
			print_label(e->a);
			printf(" %llu pending\n", (unsigned long long)e->b);
			if (r->thread < MF_SLOTS * 4 && pend[r->thread].n < 8)
				pend[r->thread].addr[pend[r->thread].n++] = e->a;
			break;
		}
		print_label_end(e->a);
		printf(" %llu\n", (unsigned long long)e->b);
		break;
	case MF_EV_RESERVE:
		printf("r %u @%llu %llu\n", r->thread, (unsigned long long)label_new(e->a),
		       (unsigned long long)e->b);
		break;
	case MF_EV_DECOMMIT:
		printf("d %u ", r->thread);
		print_label(e->a);
		printf(" %llu\n", (unsigned long long)e->b);
		break;
	case MF_EV_STACK:
		printf("s %llu %u%s", (unsigned long long)e->key, e->aux & ~MF_STACK_TRUNCATED,
		       e->aux & MF_STACK_TRUNCATED ? "+" : "");
		for (uint32_t i = 0; i < (e->aux & ~MF_STACK_TRUNCATED); i++)
			print_frame(pcs[i]);
		printf("\n");
		break;
	case MF_EV_MODULE:	/* aux: the path's length, the build id's << 16 */
		printf("M %.*s\n", (int)(e->aux & 0xffff), text);
		if (nmodules < 1024) {
			char *path = strndup(text, e->aux & 0xffff);
			modules[nmodules++] = (struct module){ strdup(basename(path)), e->b, e->c };
			free(path);
		}
		break;
	case MF_EV_THREAD:
		printf("T %u %.*s\n", r->thread, (int)e->aux, text);
		break;
	case MF_EV_RENAME: {
		uint32_t target = 0;

		for (size_t i = 0; i < nrecs; i++)
			if (recs[i].ev->type == MF_EV_THREAD && recs[i].ev->b == e->b)
				target = recs[i].thread;
		printf("R %u %u %.*s\n", r->thread, target, (int)e->aux, text);
		break;
	}
	default:
		printf("? type %u\n", e->type);
	}
}

static void *create_region(int *fd)
{
	const char *want = getenv("SHIM_DUMP_SLOTS");
	uint32_t slots = want && atoi(want) > 0 && atoi(want) <= (int)MF_SLOTS ? (uint32_t)atoi(want) : MF_SLOTS;
	struct mf_shared_header *h;
	struct timespec ts;

	*fd = memfd_create("mf-record", 0);
	if (*fd < 0)
		die("memfd_create");
	if (ftruncate(*fd, mf_shm_size(slots)) < 0)
		die("ftruncate");
	h = mmap(NULL, mf_shm_size(slots), PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (h == MAP_FAILED)
		die("mmap");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	h->magic = MF_PROTO_MAGIC;
	h->version = MF_PROTO_VERSION;
	h->start_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	h->counter = 1;
	h->clock = tsc ? MF_CLOCK_TSC : MF_CLOCK_COUNTER;
	h->next_stack = 1;
	h->next_thread = 1;
	h->slots = slots;
	return h;
}

static void start(char **argv, int fd)
{
	char self[PATH_MAX], shim[PATH_MAX + 64], fdtext[16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n < 0)
		die("readlink");
	self[n] = '\0';
	if (getenv("MF_SHIM"))
		snprintf(shim, sizeof shim, "%s", getenv("MF_SHIM"));
	else
		snprintf(shim, sizeof shim, "%s/../../bin/libmf-record.so", dirname(self));
	snprintf(fdtext, sizeof fdtext, "%d", fd);
	setenv("LD_PRELOAD", shim, 1);
	setenv("MF_SHM_FD", fdtext, 1);
	execvp(argv[0], argv);
	die(argv[0]);
}

int main(int argc, char **argv)
{
	int fd, status;
	void *shm;
	pid_t pid;

	tsc = getenv("MF_CLOCK") && strcmp(getenv("MF_CLOCK"), "tsc") == 0;
	count_only = argc > 1 && strcmp(argv[1], "-c") == 0;
	with_time = argc > 1 && strcmp(argv[1], "-t") == 0;
	argv += count_only + with_time;
	argc -= count_only + with_time;
	if (argc < 2) {
		fprintf(stderr, "usage: shim_dump [-c|-t] PROGRAM [ARG...]\n");
		return 2;
	}
	shm = create_region(&fd);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		start(argv + 1, fd);
	close(fd);
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		uint32_t used = atomic_load(&((struct mf_shared_header *)shm)->slots_used);

		for (uint32_t i = 0; i < used && i < MF_SLOTS; i++)
			drain(shm, i);
		if (done == pid)
			break;
		usleep(200);
	}
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	start_ns = ((struct mf_shared_header *)shm)->start_ns;
	qsort(recs, nrecs, sizeof *recs, by_key);
	uint64_t gaps = 0, expect = count_only ? counted + 1 : 1;
	for (size_t i = 0; i < nrecs; i++) {
		print(&recs[i]);
		if (recs[i].ev->type != MF_EV_STACK && !tsc) {
			if (recs[i].key != expect)
				gaps += recs[i].key - expect;
			expect = recs[i].key + 1;
		}
	}
	struct mf_shared_header *h = shm;
	if (!tsc)
		gaps += atomic_load(&h->counter) - expect;
	if (count_only) {
		struct rusage self, child;

		getrusage(RUSAGE_SELF, &self);
		getrusage(RUSAGE_CHILDREN, &child);
		printf("# events %llu\n", (unsigned long long)counted);
		printf("# cpu %.2f %.2f\n",
		       child.ru_utime.tv_sec + child.ru_stime.tv_sec +
		       (child.ru_utime.tv_usec + child.ru_stime.tv_usec) / 1e6,
		       self.ru_utime.tv_sec + self.ru_stime.tv_sec +
		       (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6);
	}
	if (getenv("SHIM_DUMP_SLOTS"))
		printf("# dropped %llu\n", (unsigned long long)atomic_load(&h->dropped));
	printf("# gaps %llu\n", (unsigned long long)gaps);
	printf("# paddings %llu\n", (unsigned long long)paddings);
	printf("# time-errors %llu\n", (unsigned long long)time_errors);
	printf("# attached %u\n", atomic_load(&h->attached));
	printf("# threads %u\n", atomic_load(&h->next_thread) - 1);
	if (WIFEXITED(status))
		printf("# exit %d\n", WEXITSTATUS(status));
	else
		printf("# signal %d\n", WTERMSIG(status));
	return 0;
}
