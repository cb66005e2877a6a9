/*
 * sym_perfmap.h - names for code a runtime generated (JIT), from the perf
 * map it writes: /tmp/perf-PID.map, one line per piece of code,
 *
 *	START SIZE NAME
 *
 * START and SIZE in hex, NAME to the end of the line.  Node
 * (--perf-basic-prof), Java agents, LuaJIT, wasmtime and others write it.
 * The file only grows: it is read again, from where the last reading
 * stopped, whenever an address in no module is looked up and the file
 * has grown since, so an address takes the name the map had for it when
 * it was looked up (code put at a reused address later gets the later
 * entry).  A NAME whose last word is FILE:LINE or FILE:LINE:COLUMN (as
 * node writes "JS:~grow /src/app.js:12:5") carries a location: the name
 * is what comes before it.
 *
 * Ownership: the map owns its entries; names and files are interned in
 * the intern table given at each reading, which must outlive the map.
 */
#ifndef MF_SYM_PERFMAP_H
#define MF_SYM_PERFMAP_H

#include <stdint.h>
#include <sys/types.h>

#include "intern.h"

struct perfmap_entry {
	uint64_t start, end;
	const char *name;	/* interned */
	const char *file;	/* interned, or NULL */
	unsigned line;		/* 0 when none */
};

struct perfmap;

/* The map of process pid (its path: perfmap_path), not read yet. */
struct perfmap *perfmap_new(pid_t pid);
void perfmap_free(struct perfmap *p);
/* "/tmp/perf-PID.map", owned by the map. */
const char *perfmap_path(const struct perfmap *p);

/*
 * The latest entry covering addr, after reading what the file gained
 * since the last call (its strings interned into strings); NULL if none.
 * A missing or unreadable file has no entries.  Valid until the next call.
 */
const struct perfmap_entry *perfmap_find(struct perfmap *p, uint64_t addr,
					 struct intern *strings);

#endif
