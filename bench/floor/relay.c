/*
 * relay.c: the smallest CONNECT relay, for permc-bench's connection-setup
 * table. One thread makes blocking system calls: accept a client, read
 * its CONNECT line, connect to 127.0.0.1 on the port it names (no other
 * host, no policy, no log), answer 200, then copy the origin's bytes to
 * the client until the origin closes. It serves one connection at a time
 * and copies only towards the client: enough for a latency sample, and
 * the least work any proxy can do for one. Its added latency is the floor
 * of this machine's loopback and scheduler, with no language runtime.
 *
 * usage: relay PORT   (listens on 127.0.0.1:PORT)
 */
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char prefix[] = "CONNECT 127.0.0.1:";
static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
static const char refused[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";

static struct sockaddr_in loopback(int port) {
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: relay PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a client gone early is not the relay's end */
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = loopback(atoi(argv[1]));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 128) != 0) {
		perror("relay: listen");
		return 1;
	}
	char buf[4096];
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		ssize_t n = read(c, buf, sizeof buf - 1);
		int port = 0;
		if (n > (ssize_t)(sizeof prefix - 1)) {
			buf[n] = 0;
			if (strncmp(buf, prefix, sizeof prefix - 1) == 0) {
				char *end;
				long p = strtol(buf + sizeof prefix - 1, &end, 10);
				if (*end == ' ' && end != buf + sizeof prefix - 1)
					port = (int)p;
			}
		}
		if (port <= 0 || port > 65535) {
			if (n > 0)
				write(c, refused, sizeof refused - 1);
			close(c);
			continue;
		}
		int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in o = loopback(port);
		if (u < 0 || connect(u, (struct sockaddr *)&o, sizeof o) != 0) {
			write(c, refused, sizeof refused - 1);
		} else if (write(c, ok, sizeof ok - 1) == (ssize_t)(sizeof ok - 1)) {
			ssize_t m;
			while ((m = read(u, buf, sizeof buf)) > 0)
				if (write(c, buf, (size_t)m) != m)
					break;
		}
		if (u >= 0)
			close(u);
		close(c);
	}
}
