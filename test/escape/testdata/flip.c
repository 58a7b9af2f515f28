/* Races the unix-socket broker: one thread flips the path in a sockaddr_un
   between an allowlisted socket and another, while the main thread
   connects with that very buffer, over and over, and prints what each
   connected socket sends. The broker must act on its own copy: the other
   socket must never answer. Usage: flip ALLOWED OTHER ROUNDS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un addr;
static const char *paths[2];
static volatile int stop;

static void *flipper(void *arg) {
	(void)arg;
	for (unsigned long i = 0; !stop; i++)
		memcpy(addr.sun_path, paths[i & 1], strlen(paths[i & 1]) + 1);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 4 || strlen(argv[1]) != strlen(argv[2]) || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: flip ALLOWED OTHER ROUNDS (paths of one length)\n");
		return 2;
	}
	paths[0] = argv[1];
	paths[1] = argv[2];
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, paths[0]);
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);
	int rounds = atoi(argv[3]), ok = 0, refused = 0;
	for (int i = 0; i < rounds; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0) {
			perror("socket");
			return 1;
		}
		if (connect(s, (struct sockaddr *)&addr, sizeof addr) == 0) {
			char buf[64] = {0};
			ssize_t n = read(s, buf, sizeof buf - 1);
			if (n > 0)
				printf("got %s", buf);
			ok++;
		} else {
			refused++;
		}
		close(s);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("connected %d refused %d\n", ok, refused);
	return 0;
}
