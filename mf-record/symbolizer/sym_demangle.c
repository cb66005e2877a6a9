/*
 * sym_demangle.c - C++ and Rust names made readable, with libiberty's
 * demangler (sym_demangle.h).
 */
#include <libiberty/demangle.h>

#include "buf.h"
#include "sym_demangle.h"

int sym_is_mangled(const char *name)
{
	return name && name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

static void append_demangled(const char *text, size_t n, void *b)
{
	buf_add(b, text, n);
}

/* Rust first, since a legacy Rust name ("_ZN...17h<hash>E") is also a C++ one. */
int sym_demangle(struct buf *b, const char *name)
{
	const int options = DMGL_PARAMS | DMGL_ANSI;

	buf_clear(b);
	if (rust_demangle_callback(name, options, append_demangled, b))
		return 1;
	buf_clear(b);
	return name[1] == 'Z' &&
	       cplus_demangle_v3_callback(name, options, append_demangled, b);
}
