/* Calls getpid through the i386 ABI (int $0x80) from a 64-bit process
   and prints the raw result: a pid, or -errno. */
#include <stdio.h>

int main(void) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
	printf("int80 getpid: %ld\n", ret);
	return 0;
}
