/*
 * sym_source.c - the names of source files in frames: a line table's
 * file name joined with its CU's compilation directory and cleaned
 * lexically (sym_source.h).
 */
#include <string.h>

#include "buf.h"
#include "sym_source.h"

/* Is the last component of the cleaned path in b (after root) ".."? */
static int ends_in_dotdot(const struct buf *b, size_t root)
{
	const char *last = b->len > root ? memrchr(b->data, '/', b->len) : NULL;
	size_t from = last ? (size_t)(last - b->data) + 1 : 0;

	return b->len > root && b->len - from == 2 &&
	       b->data[from] == '.' && b->data[from + 1] == '.';
}

/*
 * Clean path lexically into b: no "." components, no "dir/.." pairs, no
 * doubled slashes ("./iconv/./iconv/x.c" is "iconv/iconv/x.c",
 * "/src/tools/../progs/x.h" is "/src/progs/x.h"), so that one file has one
 * name whichever CU or include path mentions it.
 */
static void clean_path(struct buf *b, const char *path)
{
	size_t root = path[0] == '/', n;
	const char *p = path, *end;
	char *slash;

	buf_clear(b);
	if (root)
		buf_addc(b, '/');
	while (*p) {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' &&
			   (root || (b->len > 0 && !ends_in_dotdot(b, root)))) {
			if (b->len > root) {	/* "/.." is "/" */
				slash = memrchr(b->data + root, '/', b->len - root);
				b->len = slash ? (size_t)(slash - b->data) : root;
				b->data[b->len] = '\0';
			}
		} else {
			if (b->len > root)
				buf_addc(b, '/');
			buf_add(b, p, n);
		}
		p = end;
	}
	if (b->len == 0)
		buf_addc(b, '.');
}

/* Does path start with the directory dir ("a/b" starts with "a" and "a/")? */
static int starts_with_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * libdw has already joined the name with its directory entry, and entry 0
 * is the compilation directory itself: a file there comes back as
 * "COMP_DIR/NAME", which a relative COMP_DIR (glibc's "./nptl") must not
 * be put before again ("nptl/nptl/pthread_create.c").
 */
void sym_source_name(struct buf *out, struct buf *scratch, const char *comp_dir,
		     const char *src)
{
	buf_clear(scratch);
	if (comp_dir && comp_dir[0] && !starts_with_dir(src, comp_dir))
		buf_printf(scratch, "%s/", comp_dir);
	buf_adds(scratch, src);
	clean_path(out, buf_str(scratch));
}
