/*
 * sym_debuginfo.c - find a module's separate debug file offline: by build
 * id under /usr/lib/debug/.build-id/, or by .gnu_debuglink, checked by
 * build id or CRC, handed to libdw inflated (sym_debuginfo.h).
 */
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "err.h"
#include "inflate_debug.h"
#include "sym_debuginfo.h"
#include "sym_open.h"

/* The modules are reported from their files, so this is never needed. */
static int find_no_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod, (void)userdata, (void)modname, (void)base;
	(void)file_name, (void)elfp;
	return -1;
}

static int file_crc_is(int fd, uint32_t want)
{
	unsigned char block[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;

	while ((n = read(fd, block, sizeof(block))) > 0)
		crc = crc32(crc, block, (uInt)n);
	lseek(fd, 0, SEEK_SET);
	return n == 0 && (uint32_t)crc == want;
}

/* Does the file open on fd have the module's build id? */
static int build_id_matches(Dwfl_Module *mod, int fd)
{
	const unsigned char *want;
	const void *have;
	GElf_Addr vaddr;
	int nwant = dwfl_module_build_id(mod, &want, &vaddr);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ssize_t nhave = elf ? dwelf_elf_gnu_build_id(elf, &have) : -1;
	int same = nwant > 0 && nhave == nwant && memcmp(want, have, nwant) == 0;

	elf_end(elf);
	return same;
}

/*
 * Open dir/subdir/name if it is the debug file of mod: the build id must
 * match when the module has one, else the debuglink CRC.
 */
static int try_debug_file(Dwfl_Module *mod, const char *dir, const char *subdir,
			  const char *name, uint32_t crc, char **found)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	struct buf path = BUF_INIT;
	const char *why;
	int fd, ok;

	buf_printf(&path, "%s%s%s", dir, subdir, name);
	fd = sym_open_regular(buf_str(&path), &why);	/* never a FIFO */
	if (fd < 0) {
		buf_release(&path);
		return -1;
	}
	if (dwfl_module_build_id(mod, &id, &vaddr) > 0)
		ok = build_id_matches(mod, fd);
	else
		ok = crc != 0 && file_crc_is(fd, crc);
	if (!ok) {
		close(fd);
		buf_release(&path);
		return -1;
	}
	*found = buf_detach(&path);
	return fd;
}

/*
 * The .gnu_debuglink search of gdb and libdwfl: next to the file, in its
 * .debug/ folder, and under /usr/lib/debug with the file's folder.  Only
 * for a module with an absolute path: a relative one is relative to the
 * program's working directory, not to ours.
 */
static int find_by_debuglink(Dwfl_Module *mod, const char *file_name,
			     const char *link, uint32_t crc, char **found)
{
	const char *slash;
	char *dir;
	int fd;

	if (link && link[0] == '/')
		return try_debug_file(mod, "", "", link, crc, found);
	if (!link || !file_name || file_name[0] != '/')
		return -1;
	slash = strrchr(file_name, '/');
	dir = xstrndup(file_name, slash + 1 - file_name);
	fd = try_debug_file(mod, dir, "", link, crc, found);
	if (fd < 0)
		fd = try_debug_file(mod, dir, ".debug/", link, crc, found);
	if (fd < 0)
		fd = try_debug_file(mod, "/usr/lib/debug", dir, link, crc, found);
	free(dir);
	return fd;
}

/*
 * /usr/lib/debug/.build-id/NN/NNNN....debug, where distributions install
 * debug files.  (Not dwfl_build_id_find_debuginfo: it keeps its own handle
 * on the file it finds, so libdw would read that file rather than the
 * descriptor returned, and inflate its sections itself.)
 */
static int find_by_build_id(Dwfl_Module *mod, char **found)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &id, &vaddr);
	if (n < 2)
		return -1;
	struct buf subdir = BUF_INIT, name = BUF_INIT;
	buf_printf(&subdir, "/.build-id/%02x/", id[0]);
	for (int i = 1; i < n; i++)
		buf_printf(&name, "%02x", id[i]);
	buf_printf(&name, ".debug");
	int fd = try_debug_file(mod, "/usr/lib/debug", buf_str(&subdir), buf_str(&name), 0, found);
	buf_release(&subdir);
	buf_release(&name);
	return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata,
			  const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)userdata, (void)modname, (void)base;
	int fd = find_by_build_id(mod, debuginfo_file_name);

	if (fd < 0)
		fd = find_by_debuglink(mod, file_name, debuglink_file,
				       debuglink_crc, debuginfo_file_name);
	return fd < 0 ? fd : inflate_debug_file(fd);
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_no_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL,	/* the default, ":.debug:/usr/lib/debug" */
};
Dwfl *sym_debuginfo_begin(void)
{
	elf_version(EV_CURRENT);
	return dwfl_begin(&callbacks);
}
