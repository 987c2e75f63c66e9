/* SPDX-License-Identifier: MIT */
/*
 * echo_server PORT: an echo server on 127.0.0.1:PORT (0 = any free port),
 * one task per connection. Prints the port it listens on. A connection
 * idle for 30 s is closed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/echo.h"

struct server {
	uint16_t port;
	int ret;
};

static int server_main(aring_loop *loop, void *arg)
{
	struct server *s = arg;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, ret;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return s->ret = fd;
	ret = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (ret == 0)
		ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 128, NULL);
	if (ret == 0 && getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -1;
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return s->ret = ret;
	}
	printf("echo_server: listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	s->ret = echo_serve(loop, fd, ECHO_SERVER_TIMEOUT_NS, 0);
	aring_close(loop, fd, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct server s = { 0 };
	aring_loop *loop;
	char *end;
	unsigned long port;
	int ret;

	if (argc != 2 || (port = strtoul(argv[1], &end, 10)) > 65535 || *end) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	s.port = (uint16_t)port;
	signal(SIGPIPE, SIG_IGN); /* a write to a reset connection gives -EPIPE */
	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "echo_server: aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	ret = aring_spawn(loop, server_main, &s, NULL);
	if (ret == 0)
		ret = aring_run(loop);
	aring_loop_free(loop);
	if (ret < 0 || s.ret < 0) {
		fprintf(stderr, "echo_server: %s\n", strerror(ret < 0 ? -ret : -s.ret));
		return 1;
	}
	return 0;
}
