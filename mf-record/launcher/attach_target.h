/*
 * attach_target.h - what the injector (attach.c) reads of a running
 * process: its state, its libraries' places, their functions' addresses.
 */
#ifndef MF_ATTACH_TARGET_H
#define MF_ATTACH_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "attach.h"

/* Die with "cannot attach to process PID: why". */
noreturn void attach_refuse(pid_t pid, const char *why);
/* Die with the reason attaching is not permitted (ptrace_scope, another user). */
noreturn void attach_not_permitted(pid_t pid);
/* Whether the process is gone, a zombie, or dying. */
int attach_exiting(pid_t pid);

#define TARGET_MAX_RANGES 64u
/* From /proc/PID/maps: libc, the dynamic loader, libdl and libpthread. */
struct target_maps {
	struct { uint64_t lo, hi; } locked[TARGET_MAX_RANGES];	/* their code */
	size_t nlocked;
	struct { uint64_t start; char *path; } libs[TARGET_MAX_RANGES];	/* where each is loaded */
	size_t nlibs;
};
void attach_read_maps(pid_t pid, struct target_maps *m);
void attach_free_maps(struct target_maps *m);
/* Whether pc is in code that may hold a lock of libc or of the loader. */
int attach_in_runtime(const struct target_maps *m, uint64_t pc);
/* The address in pid of the function name of one of those libraries, or 0. */
uint64_t attach_find_function(pid_t pid, const struct target_maps *m, const char *name);

#endif
