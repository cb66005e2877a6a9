/*
 * rec_teardown.c - 1000 blocks of 1001..2000 bytes made in order and
 * freed in the same order (a structure torn down front to back), then
 * 1000 blocks of 3001..4000 bytes freed back to front.  Each free's f
 * record takes its shortest form.
 */
#include <stdlib.h>

#define N 1000

int main(void)
{
	static void *block[N];
	for (int i = 0; i < N; i++)
		block[i] = malloc(1001 + i);
	for (int i = 0; i < N; i++)
		free(block[i]);
	for (int i = 0; i < N; i++)
		block[i] = malloc(3001 + i);
	for (int i = N; i-- > 0;)
		free(block[i]);
	return 0;
}
