/* rec_stdout.c - prints to standard output while allocating. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	for (int i = 0; i < 100; i++) {
		free(malloc(64));
		printf("hello %d\n", i);
	}
	return 0;
}
