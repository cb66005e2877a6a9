/*
 * attach_static.c - a statically linked program (tests/build.mk links it
 * with -static), which mf-record -p must refuse: "ready", then sleeps
 * until killed.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}
