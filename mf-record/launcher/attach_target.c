/*
 * attach_target.c - what mf-record learns about a running process before
 * and while it loads the tracker into it: whether it can (attach_check),
 * where its libraries are (/proc/PID/maps) and where a function of its
 * libc is (the library's dynamic symbols, read from the file).
 */
#include "attach_target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "num.h"

pid_t attach_parse_pid(const char *usage, const char *text)
{
	return (pid_t)option_u64(usage, "-p", text, 1, INT_MAX);
}

noreturn void attach_refuse(pid_t pid, const char *why)
{
	die("cannot attach to process %d: %s", (int)pid, why);
}

/* The real user of process pid, from /proc/PID/status (readable by all), or -1. */
static long process_uid(pid_t pid)
{
	char path[64], line[256];
	long uid = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "Uid:", 4) == 0) {
			uid = strtol(line + 4, NULL, 10);
			break;
		}
	fclose(f);
	return uid;
}

/* The permission error, with the reason a user can do something about. */
noreturn void attach_not_permitted(pid_t pid)
{
	long uid = process_uid(pid);
	if (geteuid() != 0 && uid >= 0 && (uid_t)uid != geteuid())
		die("cannot attach to process %d: not permitted: it belongs to another user (uid %ld)",
		    (int)pid, uid);
	int scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	if (scope > 0)
		die("cannot attach to process %d: not permitted: /proc/sys/kernel/yama/ptrace_scope is %d "
		    "(0 lets a user attach to its own processes; root can at 1 and 2)", (int)pid, scope);
	attach_refuse(pid, "not permitted (it is not dumpable, or mf-record lacks CAP_SYS_PTRACE)");
}

/* The error of opening something of /proc/PID, as the user's words. */
static noreturn void proc_error(pid_t pid, int err)
{
	if (err == ENOENT || err == ESRCH)
		attach_refuse(pid, "no such process");
	if (err == EACCES || err == EPERM)
		attach_not_permitted(pid);
	errno = err;
	die_errno("cannot attach to process %d", (int)pid);
}

/* The whole of /proc/PID/NAME, NUL-terminated (*len without it); dies on error. */
static char *read_proc(pid_t pid, const char *name, size_t *len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		proc_error(pid, errno);
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			close(fd);
			proc_error(pid, err);
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

/* The value of "FIELD:" in /proc/PID/status, or NULL. */
static const char *status_field(const char *status, const char *field)
{
	size_t n = strlen(field);
	for (const char *line = status; *line; line = strchrnul(line, '\n') + (strchr(line, '\n') != NULL)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			line += n + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			return line;
		}
		if (!strchr(line, '\n'))
			break;
	}
	return NULL;
}

int attach_exiting(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1;
	char line[256];
	int exiting = 1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "State:", 6) == 0) {
			const char *s = line + 6;
			while (*s == ' ' || *s == '\t')
				s++;
			exiting = *s == 'Z' || *s == 'X';
			break;
		}
	fclose(f);
	return exiting;
}

static void check_status(pid_t pid)
{
	char *status = read_proc(pid, "status", NULL);
	const char *state = status_field(status, "State");
	const char *tracer = status_field(status, "TracerPid");
	if (state && (*state == 'Z' || *state == 'X')) {
		free(status);
		attach_refuse(pid, "it is exiting");
	}
	if (tracer && atoi(tracer) != 0) {
		char why[96];
		snprintf(why, sizeof why, "it is already traced by process %d", atoi(tracer));
		free(status);
		attach_refuse(pid, why);
	}
	free(status);
}

/* The process's program: a dynamically linked 64-bit ELF of this machine. */
static void check_program(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && kill(pid, 0) == 0)
			attach_refuse(pid, "it runs no program (a kernel thread, or it is exiting)");
		proc_error(pid, errno);
	}
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		attach_refuse(pid, "its program is not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		attach_refuse(pid, "it is not an x86-64 program, as the tracker is");
	int dynamic = 0;
	for (unsigned i = 0; i < eh.e_phnum && !dynamic; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof ph)
			break;
		dynamic = ph.p_type == PT_INTERP;
	}
	close(fd);
	if (!dynamic)
		attach_refuse(pid, "it is statically linked, so the tracker cannot be loaded into it");
}

static char **command_line(pid_t pid)
{
	size_t len;
	char *text = read_proc(pid, "cmdline", &len);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\0';
	if (len && text[len - 1] != '\0')
		n++;
	char **argv = xcalloc(n + 2, sizeof *argv);
	size_t k = 0;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		argv[k++] = xstrdup(text + i);
	if (k == 0)
		argv[k++] = xstrdup("?");
	free(text);
	return argv;
}

char **attach_check(pid_t pid)
{
	if (kill(pid, 0) != 0 && errno == ESRCH)
		attach_refuse(pid, "no such process");
	if (pid == getpid())
		attach_refuse(pid, "it is mf-record itself");
	check_status(pid);
	check_program(pid);
	return command_line(pid);
}

void attach_free_argv(char **argv)
{
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* ---- /proc/PID/maps ---- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Libraries whose code may hold a lock the injected calls take. */
static int runtime_library(const char *path)
{
	const char *b = base_name(path);
	return strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libc-", 5) == 0 ||
	       strncmp(b, "ld-linux", 8) == 0 || strncmp(b, "libdl", 5) == 0 ||
	       strncmp(b, "libpthread", 10) == 0 || strncmp(b, "ld-musl", 7) == 0;
}

void attach_read_maps(pid_t pid, struct target_maps *m)
{
	char *maps = read_proc(pid, "maps", NULL);
	memset(m, 0, sizeof *m);
	for (char *line = maps; *line;) {
		char *end = strchrnul(line, '\n');
		int more = *end != '\0';
		*end = '\0';
		unsigned long long lo, hi, off;
		char perms[8];
		int at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &off, &at) == 4 && at > 0) {
			const char *path = line + at;
			if (path[0] == '/' && runtime_library(path)) {
				if (perms[2] == 'x' && m->nlocked < TARGET_MAX_RANGES) {
					m->locked[m->nlocked].lo = lo;
					m->locked[m->nlocked].hi = hi;
					m->nlocked++;
				}
				if (off == 0 && m->nlibs < TARGET_MAX_RANGES) {
					m->libs[m->nlibs].start = lo;
					m->libs[m->nlibs].path = xstrdup(path);
					m->nlibs++;
				}
			}
		}
		line = more ? end + 1 : end;
	}
	free(maps);
}

void attach_free_maps(struct target_maps *m)
{
	for (size_t i = 0; i < m->nlibs; i++)
		free(m->libs[i].path);
	m->nlibs = 0;
}

int attach_in_runtime(const struct target_maps *m, uint64_t pc)
{
	for (size_t i = 0; i < m->nlocked; i++)
		if (pc >= m->locked[i].lo && pc < m->locked[i].hi)
			return 1;
	return 0;
}

/* ---- symbols ---- */

/* The value of the dynamic symbol name in the ELF file fd (default version first), or 0. */
static uint64_t dynamic_symbol(int fd, const char *name, uint64_t *first_load)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr))
		return 0;
	*first_load = UINT64_MAX;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof ph)
			return 0;
		if (ph.p_type == PT_LOAD && ph.p_vaddr < *first_load)
			*first_load = ph.p_vaddr & ~(uint64_t)4095;
	}
	Elf64_Shdr *sh = xcalloc(eh.e_shnum ? eh.e_shnum : 1, sizeof *sh);
	uint64_t found = 0;
	int found_default = 0;
	if (pread(fd, sh, eh.e_shnum * sizeof *sh, (off_t)eh.e_shoff) != (ssize_t)(eh.e_shnum * sizeof *sh))
		goto out;
	const Elf64_Shdr *dynsym = NULL, *versym = NULL;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
		if (sh[i].sh_type == SHT_GNU_versym)
			versym = &sh[i];
	}
	if (!dynsym || dynsym->sh_link >= eh.e_shnum || dynsym->sh_entsize != sizeof(Elf64_Sym))
		goto out;
	const Elf64_Shdr *strtab = &sh[dynsym->sh_link];
	size_t nsyms = dynsym->sh_size / sizeof(Elf64_Sym);
	Elf64_Sym *syms = xmalloc(dynsym->sh_size + 1);
	char *strs = xmalloc(strtab->sh_size + 1);
	uint16_t *vers = versym ? xcalloc(nsyms + 1, sizeof *vers) : NULL;
	if (pread(fd, syms, dynsym->sh_size, (off_t)dynsym->sh_offset) == (ssize_t)dynsym->sh_size &&
	    pread(fd, strs, strtab->sh_size, (off_t)strtab->sh_offset) == (ssize_t)strtab->sh_size &&
	    (!vers || pread(fd, vers, nsyms * 2, (off_t)versym->sh_offset) == (ssize_t)(nsyms * 2))) {
		strs[strtab->sh_size] = '\0';
		for (size_t i = 0; i < nsyms; i++) {
			const Elf64_Sym *s = &syms[i];
			if (s->st_shndx == SHN_UNDEF || s->st_value == 0 || s->st_name >= strtab->sh_size ||
			    ELF64_ST_TYPE(s->st_info) != STT_FUNC || strcmp(strs + s->st_name, name) != 0)
				continue;
			int is_default = !vers || !(vers[i] & 0x8000);
			if (!found || (is_default && !found_default)) {
				found = s->st_value;
				found_default = is_default;
			}
		}
	}
	free(syms);
	free(strs);
	free(vers);
out:
	free(sh);
	return found;
}

uint64_t attach_find_function(pid_t pid, const struct target_maps *m, const char *name)
{
	for (size_t i = 0; i < m->nlibs; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, m->libs[i].path);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		uint64_t first_load = 0, value = dynamic_symbol(fd, name, &first_load);
		close(fd);
		if (value)
			return m->libs[i].start - first_load + value;
	}
	return 0;
}
