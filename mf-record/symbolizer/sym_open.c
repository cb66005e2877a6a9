/*
 * sym_open.c - open the file a module of the recorded process was loaded
 * from: the mapped file itself, or a file at its path proved to be it;
 * never a FIFO or a device (sym_open.h says why).
 *
 * The mapping of a module is the first file-backed line of /proc/PID/maps
 * that starts inside the module's address range; /proc/PID/map_files/
 * names it by the same range (without maps' zero padding).  A file opened
 * by path is the mapped one when the program's note segments (which hold
 * the build id) read the same in the process's memory as in the file; for
 * a file without a build id, when its device and inode are the mapping's.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "sym_open.h"

/* One line of /proc/PID/maps. */
struct mapping {
	unsigned long long lo, hi, inode;
	unsigned major, minor;
};

/* Note segments larger than this are not compared (build id notes are ~36 bytes). */
enum { MAX_NOTES = 1 << 16 };

int sym_open_regular(const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * The module's mapping in pid's maps: the first line with an inode that
 * starts in [start rounded down to a page, end).  Returns whether there is
 * one (not when the process ended or unmapped the module).
 */
static int find_mapping(pid_t pid, uint64_t start, uint64_t end,
			struct mapping *found)
{
	uint64_t from = start & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	char name[64], *line = NULL;
	size_t cap = 0;
	struct mapping m;
	int ok = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(name, "re")))
		return 0;
	while (!ok && getline(&line, &cap, f) > 0)
		ok = sscanf(line, "%llx-%llx %*s %*x %x:%x %llu", &m.lo, &m.hi,
			    &m.major, &m.minor, &m.inode) == 5 &&
		     m.inode != 0 && m.lo >= from && m.lo < end;
	free(line);
	fclose(f);
	if (ok)
		*found = m;
	return ok;
}

/* The mapped file itself, through /proc/PID/map_files/; -1 if it cannot be opened. */
static int open_mapped(pid_t pid, const struct mapping *m)
{
	char name[96];
	const char *why;

	snprintf(name, sizeof(name), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 m->lo, m->hi);
	return sym_open_regular(name, &why);
}

/*
 * Whether len bytes at addr in pid's memory are the bytes at want: 1 yes,
 * 0 no, -1 unknown (the memory cannot be read: the process may just have
 * ended).
 */
static int memory_is(pid_t pid, uint64_t addr, const void *want, size_t len)
{
	char name[64];
	void *have = malloc(len ? len : 1);
	int fd, same = -1;

	snprintf(name, sizeof(name), "/proc/%d/mem", (int)pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && have && addr <= INT64_MAX - len &&
	    pread(fd, have, len, (off_t)addr) == (ssize_t)len)
		same = memcmp(have, want, len) == 0;
	if (fd >= 0)
		close(fd);
	free(have);
	return same;
}

/*
 * Whether the note segments of the ELF file elf (the build id among
 * them) are in pid's memory, loaded with bias: the same bytes at their
 * addresses.  1 yes, 0 no (a file with no note segment is not proved the
 * same), -1 unknown (pid's memory cannot be read).
 */
static int notes_in_memory(pid_t pid, Elf *elf, uint64_t bias)
{
	size_t nph, size;
	const char *raw = elf_rawfile(elf, &size);
	GElf_Phdr ph;
	int notes = 0, same;

	if (!raw || elf_getphdrnum(elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (ph.p_filesz > MAX_NOTES || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset)
			return 0;
		same = memory_is(pid, bias + ph.p_vaddr, raw + ph.p_offset, ph.p_filesz);
		if (same != 1)
			return same;
		notes++;
	}
	return notes > 0;
}

/*
 * Whether the file open on fd is the one mapped at m, loaded with bias:
 * by build id when it has one, else by device and inode.  When the
 * process's memory cannot be read any more (it ended since its maps were
 * read), there is nothing to check against, as when it had ended before:
 * the file is taken.
 */
static int is_mapped_file(pid_t pid, int fd, uint64_t bias, const struct mapping *m)
{
	struct stat st;
	const void *id;
	Elf *elf;
	int same;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && dwelf_elf_gnu_build_id(elf, &id) > 0)
		same = notes_in_memory(pid, elf, bias) != 0;
	else
		same = fstat(fd, &st) == 0 && st.st_ino == m->inode &&
		       major(st.st_dev) == m->major && minor(st.st_dev) == m->minor;
	elf_end(elf);
	return same;
}

/* The file at path (relative to pid's working directory), if it is the one mapped at m. */
static int open_checked(pid_t pid, const char *path, uint64_t bias,
			const struct mapping *m, const char **why)
{
	struct buf where = BUF_INIT;
	int fd;

	if (path[0] != '/')
		buf_printf(&where, "/proc/%d/cwd/", (int)pid);
	buf_adds(&where, path);
	fd = sym_open_regular(buf_str(&where), why);
	buf_release(&where);
	if (fd >= 0 && !is_mapped_file(pid, fd, bias, m)) {
		close(fd);
		*why = "the file there is not the one that was loaded";
		fd = -1;
	}
	return fd;
}

/*
 * The file at path when the process no longer maps it: nothing to check
 * it against.  A relative path is the program's, relative to its working
 * directory (a plugin loaded and unloaded before the recorder heard of
 * it), never to ours.
 */
static int open_unmapped(pid_t pid, const char *path, const char **why)
{
	struct buf where = BUF_INIT;
	int fd;

	if (path[0] == '/')
		return sym_open_regular(path, why);
	buf_printf(&where, "/proc/%d/cwd/%s", (int)pid, path);
	fd = sym_open_regular(buf_str(&where), why);
	if (fd < 0)
		*why = "a relative path, and the program no longer maps the file";
	buf_release(&where);
	return fd;
}

/* Whether the file open on fd has build id id (idlen bytes); any file when idlen is 0. */
static int has_build_id(int fd, const unsigned char *id, size_t idlen)
{
	Elf *elf;
	const void *have;
	ssize_t n;

	if (idlen == 0)
		return 1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, &have) : -1;
	n = n == (ssize_t)idlen && memcmp(have, id, idlen) == 0;
	elf_end(elf);
	return (int)n;
}

/* fd if it has the build id, else -1 (closing it) with *why set. */
static int keep_if_build(int fd, const unsigned char *id, size_t idlen, const char **why)
{
	if (fd < 0 || has_build_id(fd, id, idlen))
		return fd;
	close(fd);
	*why = "the file there is not the one that was loaded";
	return -1;
}

int sym_open_module(pid_t pid, const char *path, uint64_t bias,
		    uint64_t start, uint64_t end, const unsigned char *id,
		    size_t idlen, const char **why)
{
	struct mapping m;
	int fd;

	if (pid <= 0)
		return sym_open_regular(path, why);
	if (find_mapping(pid, start, end, &m)) {
		fd = open_mapped(pid, &m);
		if (fd < 0)
			fd = open_checked(pid, path, bias, &m, why);
		else if (!has_build_id(fd, id, idlen))
			fd = keep_if_build(fd, id, idlen, why);
		if (fd >= 0)
			return keep_if_build(fd, id, idlen, why);
		if (!idlen)
			return -1;
		/* Another library is mapped there now: this one was unloaded. */
	}
	return keep_if_build(open_unmapped(pid, path, why), id, idlen, why);
}
