/*
 * writer_python.h - the launcher's side of Python frames: the code
 * objects the tracker copied (MF_EV_PYCODE, proto.h) become names, files
 * and lines; writer_frames.c weaves a stack's Python frames into its
 * native ones.
 *
 *	python_code(p, id, ev);			// as MF_EV_PYCODE arrive
 *	c = python_code_of(p, id);		// when a stack names code id
 *	line = python_line(c, offset);		// the line of an instruction
 */
#ifndef MF_WRITER_PYTHON_H
#define MF_WRITER_PYTHON_H

#include <stdint.h>

#include "hash.h"
#include "../proto.h"

/* The module path of every Python frame (docs/FORMAT.md). */
#define PYTHON_MODULE "[python]"

struct py_code {
	char *qualname, *filename;	/* UTF-8 */
	int64_t first_line;
	unsigned char *table;		/* CPython's location table */
	uint32_t table_len;
};

struct writer_python {
	struct hash ids;		/* code id -> index + 1 in codes */
	struct py_code *codes;
	size_t ncodes, cap_codes;
};

#define WRITER_PYTHON_INIT { HASH_INIT, NULL, 0, 0 }

void python_release(struct writer_python *p);
/* An MF_EV_PYCODE record; dies on one the tracker cannot have sent. */
void python_code(struct writer_python *p, const struct mf_event *ev);
/* The code object of id; dies when it was never sent. */
const struct py_code *python_code_of(const struct writer_python *p, uint64_t id);
/* The line of the instruction at byte offset of code c, 0 when it has none. */
unsigned python_line(const struct py_code *c, int64_t offset);

#endif
