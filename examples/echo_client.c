/* SPDX-License-Identifier: MIT */
/*
 * echo_client PORT: connects to 127.0.0.1:PORT, reads lines from stdin
 * through the ring (10 s timeout per read), sends each to the server and
 * prints the echo. Exits 0 at the end of stdin or on a read timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples/echo.h"

static int client_main(aring_loop *loop, void *arg)
{
	uint16_t port = *(uint16_t *)arg;
	struct sockaddr_in a;
	int fd, ret;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	ret = aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = echo_client(loop, STDIN_FILENO, STDOUT_FILENO, fd, ECHO_CLIENT_TIMEOUT_NS);
	aring_close(loop, fd, NULL);
	return ret;
}

int main(int argc, char **argv)
{
	aring_loop *loop;
	aring_task *t;
	unsigned long port;
	uint16_t p;
	char *end;
	int ret, result = 0;

	if (argc != 2 || (port = strtoul(argv[1], &end, 10)) == 0 || port > 65535 || *end) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	p = (uint16_t)port;
	signal(SIGPIPE, SIG_IGN); /* a write to a reset connection gives -EPIPE */
	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "echo_client: aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	ret = aring_spawn(loop, client_main, &p, &t);
	if (ret == 0)
		ret = aring_join(loop, t, &result);
	aring_loop_free(loop);
	if (ret < 0 || result < 0) {
		fprintf(stderr, "echo_client: %s\n", strerror(ret < 0 ? -ret : -result));
		return 1;
	}
	return 0;
}
