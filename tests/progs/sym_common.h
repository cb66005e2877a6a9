/*
 * sym_common.h - what the sym_* test programs tell tests/tools/symtest:
 * their modules, as dl_iterate_phdr gives them to the recorder, and
 * labelled return addresses, one line each:
 *
 *	module BIAS START END PATH	(hex, no 0x)
 *	pc LABEL ADDRESS		(hex, no 0x)
 *
 * sym_pc(label) prints its own return address: the call site of
 * sym_pc(label) in its caller, so a test knows the exact line to expect.
 *
 * Include it first: dl_iterate_phdr needs _GNU_SOURCE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static __attribute__((unused)) void sym_print(const char *label, const void *pc)
{
	printf("pc %s %lx\n", label, (unsigned long)(uintptr_t)pc);
	fflush(stdout);
}

static __attribute__((noinline, unused)) void sym_pc(const char *label)
{
	sym_print(label, __builtin_return_address(0));
	__asm__ volatile("");	/* keeps the call above out of tail position */
}

static int sym_print_module(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	char exe[4096];
	const char *path = info->dlpi_name;
	ssize_t n;

	(void)size, (void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (!path[0]) {	/* the executable */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n < 0 ? 0 : n] = '\0';
		path = exe;
	}
	printf("module %lx %lx %lx %s\n", (unsigned long)info->dlpi_addr,
	       (unsigned long)lo, (unsigned long)hi, path);
	return 0;
}

/* Every module loaded now (again: symtest takes repeats in its stride). */
static __attribute__((unused)) void sym_print_modules(void)
{
	dl_iterate_phdr(sym_print_module, NULL);
	fflush(stdout);
}
