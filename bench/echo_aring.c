/* SPDX-License-Identifier: MIT */
/*
 * The aring side of the echo benchmark, for when examples/echo_server is not
 * built: one task per connection, recv then send the bytes back.
 * Usage: echo_aring PORT   (listens on 127.0.0.1:PORT until killed)
 * Same buffer size and ring settings as bench/echo_raw.c.
 * ECHO_TIMEOUT_S=N in the environment puts an N s opt->timeout_ns on every
 * recv and send (a deadline kept by the loop); ECHO_LINKED=1 makes those
 * linked timeouts (ARING_OPT_LINKED_TIMEOUT): the bench's timeout rows.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <aring.h>

#define ECHO_BUF_BYTES 4096  /* same as echo_raw.c */

/* Every recv's and send's options: NULL without ECHO_TIMEOUT_S. */
static const struct aring_opt *op_opt;
static struct aring_opt timeout_opt;

static int conn_task(aring_loop *loop, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[ECHO_BUF_BYTES];

	for (;;) {
		int n = aring_recv(loop, fd, buf, sizeof(buf), 0, op_opt);
		int off = 0;

		if (n <= 0)
			break;
		while (off < n) {
			int w = aring_send(loop, fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL,
					   op_opt);

			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	aring_close(loop, fd, NULL);
	return 0;
}

static int acceptor(aring_loop *loop, void *arg)
{
	int port = *(int *)arg, one = 1, lfd, ret;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (lfd < 0)
		return lfd;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ret = aring_bind(loop, lfd, (struct sockaddr *)&sa, sizeof(sa), NULL);
	if (ret < 0)
		return ret;
	ret = aring_listen(loop, lfd, 1024, NULL);
	if (ret < 0)
		return ret;
	for (;;) {
		int fd = aring_accept(loop, lfd, NULL, NULL, 0, NULL);

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (aring_spawn(loop, conn_task, (void *)(intptr_t)fd, NULL) < 0)
			aring_close(loop, fd, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	aring_loop *loop;
	int port, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	port = atoi(argv[1]);
	if (getenv("ECHO_TIMEOUT_S")) {
		timeout_opt.timeout_ns = strtoull(getenv("ECHO_TIMEOUT_S"), NULL, 10) * 1000000000ull;
		if (getenv("ECHO_LINKED") && atoi(getenv("ECHO_LINKED")))
			timeout_opt.flags = ARING_OPT_LINKED_TIMEOUT;
		op_opt = &timeout_opt;
	}
	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "aring_loop_new: %d\n", ret);
		return 1;
	}
	aring_spawn(loop, acceptor, &port, NULL);
	ret = aring_run(loop);
	aring_loop_free(loop);
	return ret < 0 ? 1 : 0;
}
