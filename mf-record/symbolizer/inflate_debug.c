/*
 * inflate_debug.c - a debug file with its compressed sections inflated
 * ahead of libdw (see inflate_debug.h).
 *
 * The copy keeps the file's sections in their order, with their indexes
 * (so every sh_link and e_shstrndx stays right), each at an offset of its
 * own alignment; a compressed section becomes its inflated bytes, without
 * SHF_COMPRESSED, aligned as its compression header says.  The program
 * headers are copied as they are: a debug file's segments hold no bytes
 * (its code sections are SHT_NOBITS), and libdwfl reads only their
 * addresses.  Anything but a well-formed 64-bit ELF file of this machine's
 * byte order with zlib-compressed sections is left to libdw as it is.
 */
#include "inflate_debug.h"

#include <elf.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* No real section asks for more; a larger one is a damaged file. */
#define MAX_ALIGN 65536u

struct image {
	const unsigned char *bytes;
	size_t size;
	const Elf64_Ehdr *ehdr;
	const Elf64_Shdr *shdrs;
};

/* Does [off, off + len) lie within the file? */
static int within(const struct image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

static int is_compressed(const Elf64_Shdr *sh)
{
	return (sh->sh_flags & SHF_COMPRESSED) && sh->sh_type != SHT_NOBITS;
}

/* The compression header of a compressed section, or NULL if it is not one we inflate. */
static const Elf64_Chdr *zlib_header(const struct image *im, const Elf64_Shdr *sh)
{
	if (sh->sh_size < sizeof(Elf64_Chdr) || !within(im, sh->sh_offset, sh->sh_size) ||
	    sh->sh_offset % _Alignof(Elf64_Chdr))
		return NULL;
	const Elf64_Chdr *ch = (const Elf64_Chdr *)(im->bytes + sh->sh_offset);
	if (ch->ch_type != ELFCOMPRESS_ZLIB || ch->ch_size > im->size * 1024 ||
	    ch->ch_addralign > MAX_ALIGN)
		return NULL;
	return ch;
}

/* Is the file one this copies, with at least one section to inflate? */
static int worth_copying(struct image *im)
{
	if (im->size < sizeof(Elf64_Ehdr))
		return 0;
	im->ehdr = (const Elf64_Ehdr *)im->bytes;
	const Elf64_Ehdr *e = im->ehdr;
	if (memcmp(e->e_ident, ELFMAG, SELFMAG) != 0 || e->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->e_ident[EI_DATA] != NATIVE_DATA || e->e_shentsize != sizeof(Elf64_Shdr) ||
	    e->e_shnum == 0 || e->e_shstrndx >= e->e_shnum || e->e_shoff % 8 ||
	    !within(im, e->e_shoff, (uint64_t)e->e_shnum * sizeof(Elf64_Shdr)) ||
	    (e->e_phnum && (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phnum >= PN_XNUM ||
			    !within(im, e->e_phoff, (uint64_t)e->e_phnum * sizeof(Elf64_Phdr)))))
		return 0;
	im->shdrs = (const Elf64_Shdr *)(im->bytes + e->e_shoff);
	int any = 0;
	for (size_t i = 1; i < e->e_shnum; i++) {
		const Elf64_Shdr *sh = &im->shdrs[i];
		if (is_compressed(sh)) {
			if (!zlib_header(im, sh))
				return 0;
			any = 1;
		} else if (sh->sh_addralign > MAX_ALIGN ||
			   (sh->sh_type != SHT_NOBITS && !within(im, sh->sh_offset, sh->sh_size))) {
			return 0;
		}
	}
	return any;
}

static uint64_t align_up(uint64_t off, uint64_t align)
{
	return align > 1 ? (off + align - 1) / align * align : off;
}

/*
 * Lay the copy out: new section headers in shdrs (e_shnum of them),
 * returns the copy's size (its section headers last).
 */
static uint64_t lay_out(const struct image *im, Elf64_Shdr *shdrs, Elf64_Ehdr *ehdr)
{
	*ehdr = *im->ehdr;
	uint64_t off = sizeof *ehdr;
	if (ehdr->e_phnum) {
		ehdr->e_phoff = off;
		off += (uint64_t)ehdr->e_phnum * sizeof(Elf64_Phdr);
	}
	shdrs[0] = im->shdrs[0];
	for (size_t i = 1; i < ehdr->e_shnum; i++) {
		Elf64_Shdr sh = im->shdrs[i];
		if (is_compressed(&sh)) {
			const Elf64_Chdr *ch = zlib_header(im, &sh);
			sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
			sh.sh_size = ch->ch_size;
			sh.sh_addralign = ch->ch_addralign;
		}
		off = align_up(off, sh.sh_addralign);
		sh.sh_offset = off;
		if (sh.sh_type != SHT_NOBITS)
			off += sh.sh_size;
		shdrs[i] = sh;
	}
	ehdr->e_shoff = align_up(off, 8);
	return ehdr->e_shoff + (uint64_t)ehdr->e_shnum * sizeof(Elf64_Shdr);
}

/*
 * Filling the copy's sections: workers take the next section in turn, so
 * a second thread inflates the others while one does .debug_info (half of
 * the bytes of a big file).  The launcher waits for the copy meanwhile.
 */
struct filling {
	const struct image *im;
	unsigned char *out;
	const Elf64_Shdr *shdrs;	/* the copy's */
	size_t nsections;
	atomic_size_t next;
	atomic_int failed;
};

/* Copy or inflate section i; 0 if it does not inflate to its size. */
static int fill_section(struct filling *f, struct libdeflate_decompressor *d, size_t i)
{
	const Elf64_Shdr *from = &f->im->shdrs[i], *to = &f->shdrs[i];
	if (to->sh_type == SHT_NOBITS)
		return 1;
	const unsigned char *src = f->im->bytes + from->sh_offset;
	if (!is_compressed(from)) {
		memcpy(f->out + to->sh_offset, src, to->sh_size);
		return 1;
	}
	size_t got;
	return libdeflate_zlib_decompress(d, src + sizeof(Elf64_Chdr),
					  from->sh_size - sizeof(Elf64_Chdr),
					  f->out + to->sh_offset, to->sh_size, &got) ==
		       LIBDEFLATE_SUCCESS && got == to->sh_size;
}

static void *fill_sections(void *arg)
{
	struct filling *f = arg;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	if (!d) {
		atomic_store(&f->failed, 1);
		return NULL;
	}
	for (size_t i; !atomic_load(&f->failed) && (i = atomic_fetch_add(&f->next, 1)) < f->nsections;)
		if (i > 0 && !fill_section(f, d, i))
			atomic_store(&f->failed, 1);
	libdeflate_free_decompressor(d);
	return NULL;
}

/* Write the copy into out (size bytes, zeroed); 0 if a section does not inflate. */
static int fill(const struct image *im, unsigned char *out, const Elf64_Ehdr *ehdr,
		const Elf64_Shdr *shdrs)
{
	memcpy(out, ehdr, sizeof *ehdr);
	if (ehdr->e_phnum)
		memcpy(out + ehdr->e_phoff, im->bytes + im->ehdr->e_phoff,
		       (size_t)ehdr->e_phnum * sizeof(Elf64_Phdr));
	memcpy(out + ehdr->e_shoff, shdrs, (size_t)ehdr->e_shnum * sizeof *shdrs);
	struct filling f = { .im = im, .out = out, .shdrs = shdrs, .nsections = ehdr->e_shnum };
	pthread_t helper;
	int helped = pthread_create(&helper, NULL, fill_sections, &f) == 0;
	fill_sections(&f);
	if (helped)
		pthread_join(helper, NULL);
	return !atomic_load(&f.failed);
}

/* The copy of the image in a new memfd, or -1. */
static int copy_inflated(const struct image *im)
{
	Elf64_Ehdr ehdr;
	size_t nshdrs = im->ehdr->e_shnum;
	Elf64_Shdr *shdrs = malloc(nshdrs * sizeof *shdrs);
	if (!shdrs)
		return -1;
	uint64_t size = lay_out(im, shdrs, &ehdr);
	int out = memfd_create("mf-record debug file", MFD_CLOEXEC);
	unsigned char *bytes = MAP_FAILED;
	if (out >= 0 && size <= SIZE_MAX && ftruncate(out, (off_t)size) == 0)
		bytes = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, out, 0);
	int ok = bytes != MAP_FAILED && fill(im, bytes, &ehdr, shdrs);
	if (bytes != MAP_FAILED)
		munmap(bytes, size);
	free(shdrs);
	if (!ok && out >= 0) {
		close(out);
		out = -1;
	}
	return out;
}

int inflate_debug_file(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return fd;
	struct image im = { .size = (size_t)st.st_size };
	void *map = mmap(NULL, im.size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return fd;
	im.bytes = map;
	int out = worth_copying(&im) ? copy_inflated(&im) : -1;
	munmap(map, im.size);
	if (out < 0)
		return fd;
	close(fd);
	return out;
}
