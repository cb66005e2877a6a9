/*
 * shim_names.c - the interposed functions that name threads
 * (pthread_setname_np, prctl's PR_SET_NAME): MF_EV_THREAD when a thread
 * names itself, MF_EV_RENAME when it names another.  A thread's first
 * name travels with its first event (thread_claim_slot reads it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_hooks.h"

EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
	struct shim_thread *t = &shim_self;
	int r;

	RETURN_IF_UNRESOLVED(real_pthread_setname_np, ENOSYS);
	r = real_pthread_setname_np(thread, name);
	if (r == 0 && tracking(t, CALLER()) == TRACK) {
		int self = pthread_equal(thread, pthread_self());
		int first = t->number == 0;	/* claiming sends the new name */

		if (thread_slot(t) && !(first && self)) {
			if (self)
				emit_name(t, MF_EV_THREAD, 0, name);
			else
				emit_name(t, MF_EV_RENAME, (uint64_t)thread, name);
		}
	}
	return r;
}

EXPORT int prctl(int option, ...)
{
	struct shim_thread *t = &shim_self;
	unsigned long arg[4];
	va_list ap;
	int r;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		arg[i] = va_arg(ap, unsigned long);
	va_end(ap);
	RETURN_IF_UNRESOLVED(real_prctl,
			     syscall(SYS_prctl, option, arg[0], arg[1], arg[2], arg[3]));
	r = real_prctl(option, arg[0], arg[1], arg[2], arg[3]);
	if (r == 0 && option == PR_SET_NAME && tracking(t, CALLER()) == TRACK) {
		char name[16] = "";

		/* Read it back: the kernel cuts names to 15 bytes. */
		syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
		name[15] = '\0';
		if (t->number == 0)	/* claiming sends the new name */
			thread_slot(t);
		else if (thread_slot(t))
			emit_name(t, MF_EV_THREAD, 0, name);
	}
	return r;
}
