/*
 * shim_many N - N malloc/free pairs from 3 call paths of different
 * depths, enough to wrap a ring many times (stack records of different
 * lengths make the wrap need padding).  Every 1000 pairs the thread
 * renames itself (prctl) with a name of 1 to 15 bytes: variable-length
 * records, so wrapping the ring needs padding records.
 */
#include <stdlib.h>
#include <sys/prctl.h>

static void *a(int n) { return malloc(n); }
static void *b(int n) { return a(n); }
static void *c(int n) { return b(n); }

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;

	for (int i = 0; i < n; i++) {
		void *(*f)(int) = i % 3 == 0 ? a : i % 3 == 1 ? b : c;
		free(f(i % 5000 + 1));
		if (i % 1000 == 999) {
			char name[16] = "abcdefghijklmno";

			name[i / 1000 % 15 + 1] = '\0';
			prctl(PR_SET_NAME, name);
		}
	}
	return 0;
}
