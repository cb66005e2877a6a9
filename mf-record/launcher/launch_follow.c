/*
 * launch_follow.c - the launcher's side of --follow-fork: see launch_follow.h.
 */
#include "launch_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "err.h"
#include "output.h"

int follow_listen(char *name, int reap)
{
	uint64_t nonce = 0;
	if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
		nonce = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	snprintf(name, MF_FOLLOW_NAME_MAX + 1, "mf-record.%ld.%016llx", (long)getpid(),
		 (unsigned long long)nonce);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	memcpy(addr.sun_path + 1, name, n);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno("--follow-fork: cannot create a socket");
	if (bind(s, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
	    listen(s, 128) != 0)
		die_errno("--follow-fork: cannot listen on a socket");
	if (reap && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		die_errno("--follow-fork: cannot become the reaper of the program's processes");
	return s;
}

int follow_accept(int listener, struct mf_follow_request *req)
{
	int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return -1;
	/* The request was sent right after connecting: wait a little for it, not for ever. */
	struct pollfd p = { conn, POLLIN, 0 };
	ssize_t n = -1;
	if (poll(&p, 1, 1000) == 1)
		n = recv(conn, req, sizeof *req, MSG_DONTWAIT);
	if (n != (ssize_t)sizeof *req || req->pid <= 0) {
		close(conn);
		return -1;
	}
	return conn;
}

void follow_grant(int conn, int region_fd)
{
	char byte = 0;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.space, .msg_controllen = sizeof control.space };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &region_fd, sizeof region_fd);
	ssize_t ignored = sendmsg(conn, &msg, MSG_NOSIGNAL);
	(void)ignored;
	close(conn);
}

char *follow_capture_path(const char *file, pid_t pid)
{
	char tag[24];
	snprintf(tag, sizeof tag, "%ld", (long)pid);
	return capture_sibling(file, tag);
}

int follow_capture_allowed(const char *path, int force, pid_t pid)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		size_t len, max;
		if (errno == ENAMETOOLONG && output_name_too_long(path, &len, &max)) {
			warn("'%s': its name is %zu bytes long, more than the %zu its directory takes: "
			     "process %ld is not recorded", path, len, max, (long)pid);
			return 0;
		}
		return 1;	/* nothing there: follow_open creates it, or says why not */
	}
	if (!force)
		warn("'%s' already exists: process %ld is not recorded (use -f to overwrite)",
		     path, (long)pid);
	else if (!S_ISREG(st.st_mode))
		warn("'%s' is not a regular file: process %ld is not recorded", path, (long)pid);
	return force && S_ISREG(st.st_mode);
}

int follow_open(struct output *out, const char *path, int force, pid_t pid)
{
	char *error = output_try_open(out, path, force);
	if (!error)
		return 1;
	warn("%s: process %ld is not recorded", error, (long)pid);
	output_discard(out);
	free(error);
	return 0;
}

int follow_watch(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int follow_ended(int pidfd)
{
	struct pollfd p = { pidfd, POLLIN, 0 };
	return pidfd < 0 || (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)));
}

int follow_exit_status(pid_t pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	/* After "(COMM)" (which may hold anything), the state is field 3, exit_code field 52. */
	char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || p[2] != 'Z')
		return -1;
	int field = 2;
	for (p += 2; *p && field < 52; p++)
		if (*p == ' ')
			field++;
	return field == 52 ? atoi(p) : -1;
}

char **follow_command(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	struct buf text = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char chunk[4096];
		ssize_t n;
		while ((n = read(fd, chunk, sizeof chunk)) > 0)
			buf_add(&text, chunk, (size_t)n);
		close(fd);
	}
	if (text.len == 0)
		buf_add(&text, "?", 2);
	if (text.data[text.len - 1] != '\0')
		buf_addc(&text, '\0');
	size_t words = 0;
	for (size_t i = 0; i < text.len; i++)
		words += text.data[i] == '\0';
	char **argv = xmalloc((words + 1) * sizeof *argv + text.len);
	char *strings = (char *)(argv + words + 1);
	memcpy(strings, text.data, text.len);
	size_t w = 0;
	for (size_t i = 0; i < text.len; i += strlen(strings + i) + 1)
		argv[w++] = strings + i;
	argv[w] = NULL;
	buf_release(&text);
	return argv;
}
