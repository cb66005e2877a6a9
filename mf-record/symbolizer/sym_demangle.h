/*
 * sym_demangle.h - the readable form of a mangled function name, for the
 * symbolizer (symbolize.h), with libiberty's demangler (binutils', gdb's
 * and valgrind's; libiberty-dev).  C++ names ("_Z...") become their full
 * signature; Rust names, legacy ("_ZN...17h<hash>E") and v0 ("_R..."),
 * lose their hash and their escapes
 * ("<alloc::vec::Vec<T> as core::clone::Clone>::clone").
 */
#ifndef MF_SYM_DEMANGLE_H
#define MF_SYM_DEMANGLE_H

struct buf;

/* Does name (NULL allowed) look mangled: "_Z..." or "_R..."? */
int sym_is_mangled(const char *name);

/*
 * name (one sym_is_mangled accepts) demangled into b, cleared first; 0 if
 * it is neither a C++ nor a Rust name.
 */
int sym_demangle(struct buf *b, const char *name);

#endif
