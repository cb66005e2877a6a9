/*
 * shim_exec.c - the exec family: a recorded process that replaces its
 * program (execve) takes the tracker along, so the new program continues
 * the process's capture (docs/FORMAT.md, `X`).
 *
 * Why here and not in the environment: the tracker takes itself out of
 * LD_PRELOAD and MF_FOLLOW out of the environment when it starts, so the
 * program and the processes it forks see the user's environment, not
 * mf's.  Only the program this process execs needs them back: each call
 * of the family passes it the environment it was given with LD_PRELOAD
 * naming the tracker first (then the user's libraries, in their order)
 * and MF_FOLLOW naming the launcher's socket, whose new program asks
 * there for a region (proto.h, MF_FOLLOW_EXEC).  A process not recorded
 * (a fork without --follow-fork) passes its environment on untouched.
 *
 * No allocation: vfork's child runs in its parent's memory, and an exec
 * that fails (no such file) leaves the program as it was.  The new
 * environment is built on the stack.  glibc's own exec functions call
 * the system call directly, so each function of the family is
 * interposed, not execve alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

static const char preload_key[] = "LD_PRELOAD=";

/* Does the environment entry e set the variable key ("NAME=")? */
static int sets(const char *e, const char *key)
{
	return strncmp(e, key, strlen(key)) == 0;
}

/* Whether e is dropped from the environment passed on: the variables mf sets itself. */
static int is_mf_variable(const char *e)
{
	return sets(e, preload_key) || sets(e, MF_ENV_FOLLOW "=") || sets(e, MF_ENV_SHM_FD "=");
}

static size_t count_entries(char *const *envp)
{
	size_t n = 0;

	while (envp && envp[n])
		n++;
	return n;
}

/* The user's LD_PRELOAD value in envp, or "". */
static const char *user_preload(char *const *envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (sets(envp[i], preload_key))
			return envp[i] + strlen(preload_key);
	return "";
}

/*
 * "LD_PRELOAD=SELF:USER" into preload (room for it: preload_room), the
 * user's entries of this library taken out; "LD_PRELOAD=SELF" when none
 * is left.
 */
static void write_preload(char *preload, const char *self, const char *user)
{
	size_t k = strlen(preload_key), n = strlen(self);
	char *rest;

	memcpy(preload, preload_key, k);
	memcpy(preload + k, self, n);
	rest = preload + k + n + 1;
	strcpy(rest, user);
	if (drop_own_entries(rest, self) > 0)
		rest[-1] = ':';
	else
		rest[-1] = '\0';
}

/* Bytes write_preload needs. */
static size_t preload_room(const char *self, const char *user)
{
	return strlen(preload_key) + strlen(self) + 1 + strlen(user) + 1;
}

/*
 * The environment passed on, envp's entries but mf's, then the preload
 * and follow entries; env has room for count_entries(envp) + 3 pointers.
 */
static void build_env(char **env, char *const *envp, char *preload, char *follow)
{
	size_t n = 0;

	for (size_t i = 0; envp && envp[i]; i++)
		if (!is_mf_variable(envp[i]))
			env[n++] = envp[i];
	env[n++] = preload;
	env[n++] = follow;
	env[n] = NULL;
}

typedef int exec_fn(const void *target, char *const argv[], char *const envp[]);

/*
 * Call exec with envp, or, when this process is recorded, with envp made
 * to pass the tracker on.  Returns what exec returned (it failed), with
 * its errno.
 */
static int exec_with(exec_fn *exec, const void *target, char *const argv[], char *const envp[])
{
	const char *value = shim_exec_follow(), *self = own_path();

	if (!value || !self)
		return exec(target, argv, envp);
	{
		const char *user = user_preload(envp);
		char *env[count_entries(envp) + 3];
		char preload[preload_room(self, user)];
		char follow[sizeof MF_ENV_FOLLOW + strlen(value) + 1];

		write_preload(preload, self, user);
		strcpy(follow, MF_ENV_FOLLOW "=");
		strcat(follow, value);
		build_env(env, envp, preload, follow);
		return exec(target, argv, env);
	}
}

typedef int real_exec_fn(const char *, char *const[], char *const[]);
typedef int real_fexec_fn(int, char *const[], char *const[]);
static real_exec_fn *real_execve, *real_execvpe;
static real_fexec_fn *real_fexecve;

/* libc's definition of name, not ours; NULL if there is none. */
static void *real(const char *name, void *ours)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f || f == ours)
		f = dlsym(RTLD_DEFAULT, name);	/* loaded late (mf-record -p) */
	return f == ours ? NULL : f;
}

/*
 * Found once, before the program runs: dlsym may allocate, which no exec
 * may do (see above); with the guard up the tracker does not record it.
 */
__attribute__((constructor)) static void resolve_exec(void)
{
	shim_self.guard++;
	real_execve = (real_exec_fn *)real("execve", (void *)execve);
	real_execvpe = (real_exec_fn *)real("execvpe", (void *)execvpe);
	real_fexecve = (real_fexec_fn *)real("fexecve", (void *)fexecve);
	shim_self.guard--;
}

static int missing(void)
{
	errno = ENOSYS;
	return -1;
}

static int call_execve(const void *path, char *const argv[], char *const envp[])
{
	return real_execve ? real_execve(path, argv, envp) : missing();
}

static int call_execvpe(const void *file, char *const argv[], char *const envp[])
{
	return real_execvpe ? real_execvpe(file, argv, envp) : missing();
}

static int call_fexecve(const void *fd, char *const argv[], char *const envp[])
{
	return real_fexecve ? real_fexecve(*(const int *)fd, argv, envp) : missing();
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_with(call_execve, path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return exec_with(call_execve, path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_with(call_execvpe, file, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_with(call_execvpe, file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return exec_with(call_fexecve, &fd, argv, envp);
}

/* The arguments of an execl-style call after arg, up to its NULL. */
static size_t count_args(va_list ap)
{
	size_t n = 1;

	while (va_arg(ap, const char *))
		n++;
	return n;
}

/* argv (room for n + 1) from arg and the n - 1 after it; leaves ap after the NULL. */
static void collect_args(char **argv, size_t n, const char *arg, va_list ap)
{
	argv[0] = (char *)arg;
	for (size_t i = 1; i < n; i++)
		argv[i] = va_arg(ap, char *);
	(void)va_arg(ap, char *);	/* the NULL */
	argv[n] = NULL;
}

/*
 * An execl-style call: arg and the arguments in ap up to a NULL, then,
 * with env_follows (execle), the environment; else environ.
 */
static int exec_list(exec_fn *exec, const char *target, const char *arg, va_list ap,
		     int env_follows)
{
	va_list count;
	size_t n;

	va_copy(count, ap);
	n = count_args(count);
	va_end(count);
	{
		char *argv[n + 1];
		char *const *envp = environ;

		collect_args(argv, n, arg, ap);
		if (env_follows)
			envp = va_arg(ap, char *const *);
		return exec_with(exec, target, argv, envp);
	}
}

/* execl, execlp and execle differ only in how they exec and where the environment comes from. */
#define EXEC_LIST_FUNCTION(name, exec, env_follows)			\
	EXPORT int name(const char *target, const char *arg, ...)	\
	{								\
		va_list ap;						\
		int r;							\
									\
		va_start(ap, arg);					\
		r = exec_list(exec, target, arg, ap, env_follows);	\
		va_end(ap);						\
		return r;						\
	}

EXEC_LIST_FUNCTION(execl, call_execve, 0)
EXEC_LIST_FUNCTION(execlp, call_execvpe, 0)
EXEC_LIST_FUNCTION(execle, call_execve, 1)
