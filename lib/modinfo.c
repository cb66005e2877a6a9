/* modinfo.c - the `module` metadata: which module each frame of the output is in. */
#include "modinfo.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "folded.h"
#include "hash.h"
#include "intern.h"
#include "reduce.h"

void modinfo_init(struct modinfo *m, const struct ev_reader *r)
{
	m->r = r;
	m->stack_seen = xcalloc(ev_nstacks(r) + 1, 1);
	m->frame_used = xcalloc(ev_nframes(r) + 1, 1);
}

void modinfo_release(struct modinfo *m)
{
	free(m->stack_seen);
	free(m->frame_used);
	memset(m, 0, sizeof *m);
}

void modinfo_add_stack(struct modinfo *m, uint32_t index)
{
	/* Stop at a node already walked: each node is walked once in all. */
	for (uint64_t i = (uint64_t)index + 1; i && !m->stack_seen[i - 1]; i = ev_stack_parent(m->r, (uint32_t)(i - 1))) {
		m->stack_seen[i - 1] = 1;
		m->frame_used[ev_stack_frame(m->r, (uint32_t)(i - 1))] = 1;
	}
}

void modinfo_add_all(struct modinfo *m)
{
	for (size_t i = 0; i < ev_nstacks(m->r); i++)
		modinfo_add_stack(m, (uint32_t)i);
}

void modinfo_write_stacktab(struct output *out, const struct ev_reader *r,
			    const struct stacktab *t, const uint64_t *count)
{
	struct modinfo m;
	modinfo_init(&m, r);
	for (size_t i = 0; i < t->n; i++)
		if (t->stack[i] && count[i])
			modinfo_add_stack(&m, t->stack_index[i]);
	modinfo_write(&m, out);
	modinfo_release(&m);
}

/* One module of the output: its id, whether a frame had a line, its files. */
struct module {
	uint64_t id;
	int lines;
	struct intern files;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "libc.so.6", "libfoo.so": a shared object, not an executable. */
static int is_shared_object(const char *name)
{
	for (const char *p = strstr(name, ".so"); p; p = strstr(p + 1, ".so"))
		if (p[3] == '\0' || p[3] == '.')
			return 1;
	return 0;
}

/*
 * Modules of outermost frames: a program's stacks start in its own
 * executable (_start), a thread's in libc (clone3), the loader's own
 * start-up in ld-linux.  The capture does not say which module is the
 * executable, so it is the one of these that is not a shared object, or
 * the one named like argv[0].
 */
static int is_program(const struct ev_reader *r, const struct hash *outermost, uint64_t id)
{
	const char *name = base_name(ev_module_path(r, id));
	if (r->argc && strcmp(name, base_name(r->argv[0])) == 0)
		return 1;
	return hash_get(outermost, id) && !is_shared_object(name);
}

static void find_outermost(const struct ev_reader *r, struct hash *outermost)
{
	for (size_t i = 0; i < ev_nstacks(r); i++)
		if (ev_stack_parent(r, (uint32_t)i) == 0) {
			uint64_t id = ev_frame_at(r, ev_stack_frame(r, (uint32_t)i))->module;
			if (id)
				*hash_put(outermost, id, NULL) = 1;
		}
}

/* The n bytes at offset of fd, all of them, or 0. */
static int read_at(int fd, void *p, size_t n, uint64_t offset)
{
	return offset <= (uint64_t)INT64_MAX && pread(fd, p, n, (off_t)offset) == (ssize_t)n;
}

/* The GNU build id among the notes in[0..n), as lower-case hex in hex. */
static int build_id_note(const unsigned char *in, size_t n, struct buf *hex)
{
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= n) {
		Elf64_Nhdr h;
		memcpy(&h, in + off, sizeof h);
		size_t name = off + sizeof h, desc = name + ((h.n_namesz + 3u) & ~3u);
		if (h.n_namesz > n || h.n_descsz > n || desc + h.n_descsz > n)
			return 0;
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 && memcmp(in + name, "GNU", 4) == 0 &&
		    h.n_descsz > 0 && h.n_descsz <= 64) {
			for (size_t i = 0; i < h.n_descsz; i++)
				buf_printf(hex, "%02x", in[desc + i]);
			return 1;
		}
		off = desc + ((h.n_descsz + 3u) & ~3u);
	}
	return 0;
}

/* A PT_NOTE segment (offset, size) of fd holding the build id. */
static int build_id_segment(int fd, uint64_t offset, uint64_t size, struct buf *hex)
{
	unsigned char notes[4096];
	if (size > sizeof notes || !read_at(fd, notes, (size_t)size, offset))
		return 0;
	return build_id_note(notes, (size_t)size, hex);
}

/*
 * The build id of the ELF file at path (the host's byte order), from its
 * note segments, as hex; 0 when the file is not there or not such a file.
 * Only a regular file is read, opened without blocking: a capture may
 * name anything.
 */
static int build_id(const char *path, struct buf *hex)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	Elf64_Ehdr eh;
	int found = 0;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_at(fd, &eh, sizeof eh, 0) &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh.e_ident[EI_DATA] == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB) &&
	    eh.e_phentsize == sizeof(Elf64_Phdr)) {
		for (unsigned i = 0; i < eh.e_phnum && i < 256 && !found; i++) {
			Elf64_Phdr ph;
			if (!read_at(fd, &ph, sizeof ph, eh.e_phoff + (uint64_t)i * sizeof ph))
				break;
			if (ph.p_type == PT_NOTE)
				found = build_id_segment(fd, ph.p_offset, ph.p_filesz, hex);
		}
	}
	close(fd);
	return found;
}

static void write_module(const struct ev_reader *r, const struct hash *outermost,
			 const struct module *mod, struct output *out)
{
	const char *path = ev_module_path(r, mod->id);
	struct buf b = BUF_INIT, id = BUF_INIT;
	buf_adds(&b, "{\"path\":");
	json_quote(&b, path, strlen(path));
	buf_printf(&b, ",\"program\":%s,\"lines\":%s", is_program(r, outermost, mod->id) ? "true" : "false",
		   mod->lines ? "true" : "false");
	/* Only a module without line information needs a hint to its debug file. */
	if (!mod->lines && build_id(path, &id))
		buf_printf(&b, ",\"build_id\":\"%s\"", buf_str(&id));
	buf_adds(&b, ",\"files\":[");
	for (uint32_t i = 0; i < mod->files.count; i++) {
		if (i)
			buf_addc(&b, ',');
		json_quote(&b, intern_str(&mod->files, i), intern_len(&mod->files, i));
	}
	buf_adds(&b, "]}");
	folded_meta_json(out, "module", b.data);
	buf_release(&b);
	buf_release(&id);
}

void modinfo_write(const struct modinfo *m, struct output *out)
{
	struct hash index = HASH_INIT, outermost = HASH_INIT;
	struct module *mods = NULL;
	size_t n = 0, cap = 0;
	for (uint32_t f = 0; f < ev_nframes(m->r); f++) {
		const struct ev_frame *fr = ev_frame_at(m->r, f);
		if (!m->frame_used[f] || !fr->module)
			continue;
		int added;
		uint64_t *slot = hash_put(&index, fr->module, &added);
		if (added) {
			mods = xgrow(mods, &cap, n + 1, sizeof *mods);
			mods[n] = (struct module){ fr->module, 0, INTERN_INIT };
			*slot = n++;
		}
		struct module *mod = &mods[*slot];
		if (fr->file && fr->line) {
			mod->lines = 1;
			intern(&mod->files, fr->file, strlen(fr->file));
		}
	}
	find_outermost(m->r, &outermost);
	for (size_t i = 0; i < n; i++) {
		write_module(m->r, &outermost, &mods[i], out);
		intern_release(&mods[i].files);
	}
	free(mods);
	hash_release(&index);
	hash_release(&outermost);
}
