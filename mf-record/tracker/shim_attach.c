/*
 * shim_attach.c - the tracker loaded into a running process (mf-record -p).
 *
 * mf-record's injector (launcher/attach.c) makes the process dlopen this
 * library and then call mf_attach_start("LAUNCHER_PID SOCKET"); at the end it
 * calls mf_attach_stop().  Loaded that late, the hooks interpose nothing:
 * every module's calls to malloc are already bound to libc.  So
 * mf_attach_start rewrites the relocations (R_X86_64_JUMP_SLOT, PLT calls,
 * and R_X86_64_GLOB_DAT, calls through the GOT and address-takings) of
 * every loaded module that name a function the tracker hooks, to point at
 * the hook; modules loaded later are rewritten by the hook of dlopen.
 * mf_attach_stop puts back every entry that still points at a hook and
 * stops tracking.  The library is never unloaded: a pointer to a hook taken
 * while attached may be called any time later, and a hook of a stopped
 * tracker only calls the real function.
 *
 * Not seen: calls through function pointers taken before attaching;
 * allocations by the dynamic loader (dlopen's own); dlopen calls of
 * modules with a DT_RUNPATH or DT_RPATH (glibc searches the caller's path,
 * and the hook would be the caller), whose libraries are rewritten at the
 * next dlopen of another module.
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

/* Results of mf_attach_start, which the injector turns into messages. */
enum { ATTACH_OK = 0, ATTACH_AGAIN = 1, ATTACH_NO_REGION = 2, ATTACH_NO_HOOKS = 3 };

/* --- is this a late load? --- */

struct load_order {
	uintptr_t self;		/* an address in this library */
	int index, self_at, libc_at;
};

static int note_order(struct dl_phdr_info *info, size_t size, void *data)
{
	struct load_order *o = data;
	uintptr_t start, end;

	(void)size;
	if (segment_of(info, o->self, &start, &end))
		o->self_at = o->index;
	if (o->libc_at < 0 && info->dlpi_name && strstr(info->dlpi_name, "/libc.so"))
		o->libc_at = o->index;
	o->index++;
	return 0;
}

/* Preloaded, the tracker comes before libc in the load order; dlopened, after. */
int shim_loaded_late(void)
{
	struct load_order o = { (uintptr_t)&shim_loaded_late, 0, -1, -1 };

	dl_iterate_phdr(note_order, &o);
	return o.libc_at >= 0 && o.self_at > o.libc_at;
}

/* --- the hooks and the entries rewritten --- */

static void *attach_dlopen(const char *file, int mode);

/*
 * The functions the tracker hooks (shim_alloc.c, shim_map.c,
 * shim_names.c); hook is found in this library.
 */
static struct hook {
	const char *name;
	void *hook;
} hooks[] = {
	{ "malloc", NULL }, { "calloc", NULL }, { "realloc", NULL }, { "reallocarray", NULL },
	{ "free", NULL }, { "posix_memalign", NULL }, { "aligned_alloc", NULL },
	{ "memalign", NULL }, { "valloc", NULL }, { "pvalloc", NULL }, { "mmap", NULL },
	{ "mmap64", NULL }, { "munmap", NULL }, { "mremap", NULL }, { "mprotect", NULL }, { "dlclose", NULL },
	{ "pthread_setname_np", NULL }, { "prctl", NULL },
	{ "dlopen", (void *)attach_dlopen },
};
#define NHOOKS (sizeof hooks / sizeof *hooks)

static void *(*real_dlopen)(const char *, int);

/* An entry rewritten: where, what it held, and what it holds now. */
struct patch {
	uintptr_t at, was, hook;
};
#define MAX_PATCHES 16384u
static struct patch patches[MAX_PATCHES];
static uint32_t npatches;
static uintptr_t self_base;
static int attached;
/* Rewriting and restoring: one at a time (dlopen may run in several threads). */
static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;

/* This library's own definition of name (not libc's, which the global scope would give). */
static void *own_symbol(void *self, const char *name)
{
	Dl_info info;
	void *p = dlsym(self, name);

	if (!p || !dladdr(p, &info) || (uintptr_t)info.dli_fbase != self_base)
		return NULL;
	return p;
}

static int find_hooks(void)
{
	Dl_info info;
	void *self;

	if (!dladdr((void *)&shim_loaded_late, &info))
		return -1;
	self_base = (uintptr_t)info.dli_fbase;
	self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
	if (!self)
		return -1;
	for (size_t i = 0; i < NHOOKS; i++)
		if (!hooks[i].hook && !(hooks[i].hook = own_symbol(self, hooks[i].name)))
			return -1;
	real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_DEFAULT, "dlopen");
	return real_dlopen ? 0 : -1;
}

static const struct hook *hook_named(const char *name, int with_dlopen)
{
	for (size_t i = 0; i < NHOOKS; i++)
		if (strcmp(name, hooks[i].name) == 0)
			return with_dlopen || hooks[i].hook != (void *)attach_dlopen ? &hooks[i] : NULL;
	return NULL;
}

/* What one module's relocations are, from its dynamic section. */
struct module {
	uintptr_t base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const ElfW(Rela) *rela[2];	/* DT_RELA, DT_JMPREL */
	size_t relasz[2];
	uintptr_t relro_start, relro_end;	/* whole pages made read-only after relocation */
	int has_search_path;		/* DT_RUNPATH or DT_RPATH */
};

/* glibc turns the dynamic section's addresses absolute in place, the kernel's vDSO not. */
static uintptr_t dyn_address(uintptr_t base, uintptr_t p)
{
	return p < base ? base + p : p;
}

static int read_module(struct dl_phdr_info *info, struct module *m)
{
	long page = sysconf(_SC_PAGESIZE);
	const ElfW(Dyn) *dyn = NULL;

	memset(m, 0, sizeof *m);
	m->base = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(m->base + ph->p_vaddr);
		if (ph->p_type == PT_GNU_RELRO) {
			m->relro_start = (m->base + ph->p_vaddr) & ~(uintptr_t)(page - 1);
			m->relro_end = (m->base + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)(page - 1);
		}
	}
	if (!dyn)
		return 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = dyn->d_un.d_ptr;

		switch (dyn->d_tag) {
		case DT_SYMTAB: m->symtab = (const ElfW(Sym) *)dyn_address(m->base, p); break;
		case DT_STRTAB: m->strtab = (const char *)dyn_address(m->base, p); break;
		case DT_RELA: m->rela[0] = (const ElfW(Rela) *)dyn_address(m->base, p); break;
		case DT_RELASZ: m->relasz[0] = dyn->d_un.d_val; break;
		case DT_JMPREL: m->rela[1] = (const ElfW(Rela) *)dyn_address(m->base, p); break;
		case DT_PLTRELSZ: m->relasz[1] = dyn->d_un.d_val; break;
		case DT_PLTREL: if (dyn->d_un.d_val != DT_RELA) return 0; break;
		case DT_RUNPATH: case DT_RPATH: m->has_search_path = 1; break;
		}
	}
	return m->symtab && m->strtab;
}

/* Write one entry, making a read-only (RELRO) page writable for the moment. */
static void write_entry(const struct module *m, uintptr_t at, uintptr_t value)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = at & ~(uintptr_t)(page - 1);
	int ro = start >= m->relro_start && start < m->relro_end;

	if (ro && syscall(SYS_mprotect, start, page, PROT_READ | PROT_WRITE) != 0)
		return;
	__atomic_store_n((uintptr_t *)at, value, __ATOMIC_RELEASE);
	if (ro)
		syscall(SYS_mprotect, start, page, PROT_READ);
}

#if defined(__x86_64__)
#define IS_GOT_RELOC(type) ((type) == R_X86_64_JUMP_SLOT || (type) == R_X86_64_GLOB_DAT)
#else
#error "the GOT relocations of this architecture are not known here"
#endif

static void rewrite_table(const struct module *m, const ElfW(Rela) *r, size_t size)
{
	for (size_t i = 0; i < size / sizeof *r; i++) {
		uint32_t type = ELF64_R_TYPE(r[i].r_info), sym = ELF64_R_SYM(r[i].r_info);
		const struct hook *h;
		uintptr_t at, was;

		if (!IS_GOT_RELOC(type) || sym == 0)
			continue;
		h = hook_named(m->strtab + m->symtab[sym].st_name, !m->has_search_path);
		if (!h)
			continue;
		at = m->base + r[i].r_offset;
		was = __atomic_load_n((uintptr_t *)at, __ATOMIC_ACQUIRE);
		if (was == (uintptr_t)h->hook || npatches == MAX_PATCHES)
			continue;
		patches[npatches++] = (struct patch){ at, was, (uintptr_t)h->hook };
		write_entry(m, at, (uintptr_t)h->hook);
	}
}

/* This library, the dynamic loader and the vDSO keep their own bindings. */
static int left_alone(struct dl_phdr_info *info)
{
	const char *name = info->dlpi_name ? info->dlpi_name : "";

	return info->dlpi_addr == self_base || strstr(name, "/ld-linux") || strstr(name, "linux-vdso");
}

static int rewrite_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module m;

	(void)size;
	(void)data;
	if (left_alone(info) || !read_module(info, &m))
		return 0;
	for (int k = 0; k < 2; k++)
		if (m.rela[k])
			rewrite_table(&m, m.rela[k], m.relasz[k]);
	return 0;
}

static void rewrite_all(void)
{
	pthread_mutex_lock(&patch_lock);
	if (attached)
		dl_iterate_phdr(rewrite_module, NULL);
	pthread_mutex_unlock(&patch_lock);
}

/* Put back the entries of one module still loaded, newest first, where they still hold the hook. */
static int restore_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module m;
	uint64_t lo, hi;

	(void)size;
	(void)data;
	if (left_alone(info) || !read_module(info, &m) || (hi = module_extent(info, &lo)) == 0)
		return 0;
	for (uint32_t i = npatches; i-- > 0;) {
		struct patch *p = &patches[i];

		if (p->at >= info->dlpi_addr + lo && p->at < info->dlpi_addr + hi &&
		    *(uintptr_t *)p->at == p->hook)
			write_entry(&m, p->at, p->was);
	}
	return 0;
}

/*
 * The hook of dlopen, while attached: the new modules' calls are rewritten
 * before dlopen returns (their constructors ran untracked).
 */
static void *attach_dlopen(const char *file, int mode)
{
	void *h = real_dlopen(file, mode);

	if (h)
		rewrite_all();
	return h;
}

/* --- what the injector calls --- */

/* The descriptor in the one message on socket c (SCM_RIGHTS), or -1. */
static int receive_fd(int c)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.space, .msg_controllen = sizeof ctl.space };
	struct cmsghdr *h;
	int fd = -1;

	if (recvmsg(c, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
	    h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(h), sizeof fd);
	return fd;
}

/*
 * "PID NAME": the launcher's process, and the abstract Unix socket on
 * which it hands over its descriptor of the region (launcher/attach.c says
 * why not /proc/PID/fd).  Returns the descriptor, or -1.
 */
static int open_region(const char *spec, pid_t *launcher)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval limit = { 10, 0 };
	const char *s = spec;
	size_t n;
	int c, fd;

	*launcher = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		*launcher = *launcher * 10 + (*s - '0');
	if (*s++ != ' ' || (n = strlen(s)) == 0 || n + 1 >= sizeof a.sun_path)
		return -1;
	memcpy(a.sun_path + 1, s, n);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -1;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
	fd = connect(c, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0 ?
	     receive_fd(c) : -1;
	close(c);
	return fd;
}

/*
 * Start tracking; spec is "LAUNCHER_PID SOCKET".  Returns ATTACH_OK, or why
 * not: tracked before (a tracker, once stopped or preloaded, does not start
 * again), the region cannot be opened or mapped, the hooks are missing.
 */
EXPORT int mf_attach_start(const char *spec)
{
	pid_t launcher;
	int fd, r;

	if (find_hooks() != 0)
		return ATTACH_NO_HOOKS;
	fd = open_region(spec, &launcher);
	if (fd < 0)
		return ATTACH_NO_REGION;
	r = shim_start_late(fd, launcher);	/* closes fd when it succeeds */
	if (r != 0) {
		close(fd);
		return r == -1 ? ATTACH_AGAIN : ATTACH_NO_REGION;
	}
	pthread_mutex_lock(&patch_lock);
	attached = 1;
	pthread_mutex_unlock(&patch_lock);
	rewrite_all();
	return ATTACH_OK;
}

/*
 * Stop tracking and put the program's bindings back.  Returns 0, or 1
 * when another thread is rewriting (the injector calls again later: the
 * interrupted thread may be the one holding the lock).
 */
EXPORT int mf_attach_stop(void)
{
	if (pthread_mutex_trylock(&patch_lock) != 0)
		return 1;
	attached = 0;
	dl_iterate_phdr(restore_module, NULL);
	npatches = 0;
	pthread_mutex_unlock(&patch_lock);
	shim_give_up();
	return 0;
}
