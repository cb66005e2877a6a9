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
	memset(m, 0, sizeof *m);
	if (r)
		modinfo_begin(m, r);
}

void modinfo_release(struct modinfo *m)
{
	free(m->stack_seen);
	free(m->frame_used);
	for (uint32_t i = 0; i < m->paths.count; i++)
		intern_release(&m->mods[i].files);
	free(m->mods);
	intern_release(&m->paths);
	memset(m, 0, sizeof *m);
}

void modinfo_begin(struct modinfo *m, const struct ev_reader *r)
{
	modinfo_end(m);
	m->r = r;
	m->stack_seen = xcalloc(ev_nstacks(r) + 1, 1);
	m->frame_used = xcalloc(ev_nframes(r) + 1, 1);
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

void modinfo_add_stacktab(struct modinfo *m, const struct stacktab *t, const uint64_t *count)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->stack[i] && count[i])
			modinfo_add_stack(m, t->stack_index[i]);
}

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

/* The facts of path id in m, created empty when new. */
static struct modinfo_module *module_of(struct modinfo *m, const char *path)
{
	uint32_t id = intern(&m->paths, path, strlen(path));
	if (id >= m->cap) {
		size_t old = m->cap;
		m->mods = xgrow(m->mods, &m->cap, (size_t)id + 1, sizeof *m->mods);
		memset(m->mods + old, 0, (m->cap - old) * sizeof *m->mods);
	}
	return &m->mods[id];
}

/*
 * The facts of one module of the current capture (its M record id) merged
 * into m: "program" or "lines" in any capture is so in the merged line.
 */
static struct modinfo_module *take_module(struct modinfo *m, const struct hash *outermost,
					  uint64_t id)
{
	struct modinfo_module *mod = module_of(m, ev_module_path(m->r, id));
	if (is_program(m->r, outermost, id))
		mod->program = 1;
	return mod;
}

void modinfo_end(struct modinfo *m)
{
	if (!m->r)
		return;
	struct hash taken = HASH_INIT, outermost = HASH_INIT;	/* taken: M id -> path id */
	find_outermost(m->r, &outermost);
	for (uint32_t f = 0; f < ev_nframes(m->r); f++) {
		const struct ev_frame *fr = ev_frame_at(m->r, f);
		if (!m->frame_used[f] || !fr->module)
			continue;
		int added;
		uint64_t *slot = hash_put(&taken, fr->module, &added);
		struct modinfo_module *mod;
		if (added) {
			mod = take_module(m, &outermost, fr->module);
			*slot = (uint64_t)(mod - m->mods);
		} else {
			mod = &m->mods[*slot];
		}
		if (fr->file && fr->line) {
			mod->lines = 1;
			intern(&mod->files, fr->file, strlen(fr->file));
		}
	}
	hash_release(&taken);
	hash_release(&outermost);
	free(m->stack_seen);
	free(m->frame_used);
	m->stack_seen = m->frame_used = NULL;
	m->r = NULL;
}

static void write_module(const char *path, const struct modinfo_module *mod, struct output *out)
{
	struct buf b = BUF_INIT, id = BUF_INIT;
	buf_adds(&b, "{\"path\":");
	json_quote(&b, path, strlen(path));
	buf_printf(&b, ",\"program\":%s,\"lines\":%s", mod->program ? "true" : "false",
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

void modinfo_write(struct modinfo *m, struct output *out)
{
	modinfo_end(m);
	for (uint32_t i = 0; i < m->paths.count; i++)
		write_module(intern_str(&m->paths, i), &m->mods[i], out);
}
