/*
 * shim_signal - a SIGALRM handler does free(malloc(8882)) every 1 ms
 * while main does free(malloc(8883)) 30000 times from recursion depths
 * 70..129 (stacks too deep for the shim's shortcut are unwound every
 * time, so signals also land while the shim is unwinding).  The number of
 * handler calls that allocated goes to stderr.
 *
 * A handler's malloc that interrupts glibc's own malloc or free is
 * undefined behaviour in glibc itself, tracked or not: main's every
 * malloc(8883) grows the heap and its free shrinks it again (sbrk), and a
 * signal delivered on return from that system call found the top chunk
 * half made (a sysmalloc assertion, seen once in some thirty runs).  So
 * the handler allocates only when the code it interrupted is not libc's:
 * in main, or in the tracker, unwinding or recording.
 */
#define _GNU_SOURCE
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

static volatile sig_atomic_t calls;
/* Where libc's code is mapped: [libc_lo, libc_hi). */
static uintptr_t libc_lo, libc_hi;

/* dl_iterate_phdr's callback: note libc's executable segment. */
static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (!strstr(info->dlpi_name, "/libc.so."))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			libc_lo = info->dlpi_addr + ph->p_vaddr;
			libc_hi = libc_lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* The instruction the signal interrupted. */
static uintptr_t interrupted_at(const void *context)
{
	const ucontext_t *uc = context;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
#error "where a signal context keeps the program counter is not known here"
#endif
}

static void handler(int sig, siginfo_t *info, void *context)
{
	uintptr_t pc = interrupted_at(context);
	(void)sig;
	(void)info;
	if (pc >= libc_lo && pc < libc_hi)
		return;	/* perhaps inside glibc's malloc: see above */
	free(malloc(8882));
	calls++;
}

static void dive(int n)
{
	if (n > 0) {
		dive(n - 1);
		return;
	}
	free(malloc(8883));
}

int main(void)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct sigaction sa;

	if (!dl_iterate_phdr(find_libc, NULL)) {
		fprintf(stderr, "shim_signal: cannot find libc's code\n");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 30000; i++)
		dive(70 + i % 60);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	fprintf(stderr, "%d\n", (int)calls);
	return 0;
}
