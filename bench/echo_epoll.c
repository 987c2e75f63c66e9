/* SPDX-License-Identifier: MIT */
/*
 * The baseline of the epoll backend's echo rows: a plain, hand-written epoll
 * echo server (level-triggered, non-blocking sockets, one read then write
 * back, the rest of a short write when EPOLLOUT says so). Same buffer size
 * as bench/echo_aring.c, which is the aring side (run with
 * ARING_BACKEND=epoll).
 * Usage: echo_epoll PORT   (listens on 127.0.0.1:PORT until killed)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUF_BYTES 4096 /* same as echo_aring.c */
#define MAX_EVENTS 64

struct conn {
	int fd;
	unsigned off, len; /* bytes of buf still to write back */
	char buf[ECHO_BUF_BYTES];
};

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Write back what is pending; 0 done, 1 wait for EPOLLOUT, -1 closed. */
static int flush(int ep, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 1;
		}
		if (n <= 0)
			return -1;
		c->off += (unsigned)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[MAX_EVENTS];
	int lfd, ep, one = 1, i, n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror("echo_epoll: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.data.ptr = NULL; /* the listener */
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN };

					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					cev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			if (c->off < c->len) {
				/* EPOLLOUT: the rest of a short write, then read again */
				int f = flush(ep, c);

				if (f < 0) {
					drop(ep, c);
				} else if (f == 0) {
					struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };

					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
				}
				continue;
			}
			r = recv(c->fd, c->buf, sizeof(c->buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				drop(ep, c);
				continue;
			}
			c->off = 0;
			c->len = (unsigned)r;
			if (flush(ep, c) < 0)
				drop(ep, c);
		}
	}
}
