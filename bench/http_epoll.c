/* SPDX-License-Identifier: MIT */
/*
 * http_epoll PORT DIR: the baseline for examples/http_server in `make bench`.
 * A hand-written single-threaded epoll server doing the same work per
 * request: the same parser and response header (examples/http.c), openat2
 * RESOLVE_BENEATH, read a chunk of up to 32 KiB and one read more to find
 * the end (fstat only for a larger file), one send of header plus body,
 * close; keep-alive; a 5 s idle timeout and a 10 s send timeout (checked
 * once a second); SIGTERM/SIGINT exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "examples/http.h"

#define MAX_FDS 65536
#define SEC 1000000000ull

struct conn {
	int fd;
	int ffd;                    /* file still being sent, or -1 */
	uint64_t foff, fsize;
	bool keep;
	bool out_on;                /* EPOLLOUT instead of EPOLLIN */
	size_t have, used;
	const char *pend;           /* bytes still to send */
	size_t pend_len;
	uint64_t deadline_ns;
	struct http_req req;
	char in[HTTP_HEADER_MAX];
	char out[HTTP_HEAD_ROOM + HTTP_FILE_CHUNK];
};

static struct conn *conns[MAX_FDS];
static int epfd, dirfd_root;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void conn_close(struct conn *c)
{
	if (c->ffd >= 0)
		close(c->ffd);
	conns[c->fd] = NULL;
	close(c->fd);
	free(c);
}

static void want_write(struct conn *c, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLOUT : EPOLLIN, .data.fd = c->fd };

	if (c->out_on == on)
		return;
	c->out_on = on;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what is pending; true when all of it went. */
static bool flush(struct conn *c, bool *dead)
{
	while (c->pend_len) {
		ssize_t n = send(c->fd, c->pend, c->pend_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				return false;
			*dead = true;
			return false;
		}
		c->pend += n;
		c->pend_len -= (size_t)n;
		c->deadline_ns = now_ns() + 10 * SEC;
	}
	return true;
}

static void respond_error(struct conn *c, int status)
{
	char body[64];
	int blen = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	bool head = c->req.method == HTTP_HEAD;
	size_t hlen;

	c->keep = (status == 404 || status == 405) && c->req.keep_alive;
	hlen = http_header(c->out, sizeof(c->out), status, (uint64_t)blen, NULL, c->keep);
	memcpy(c->out + hlen, body, head ? 0 : (size_t)blen);
	c->pend = c->out;
	c->pend_len = hlen + (head ? 0 : (size_t)blen);
}

static void respond_file(struct conn *c)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	char *body = c->out + HTTP_HEAD_ROOM, hdr[HTTP_HEAD_ROOM];
	uint64_t off = 0, size;
	bool eof = false, head = c->req.method == HTTP_HEAD;
	size_t hlen;
	int ffd = (int)syscall(SYS_openat2, dirfd_root, c->req.path, &how, sizeof(how));

	if (ffd < 0) {
		respond_error(c, errno == ENOMEM || errno == EMFILE || errno == ENFILE ? 500 : 404);
		return;
	}
	while (off < HTTP_FILE_CHUNK) {
		ssize_t n = pread(ffd, body + off, HTTP_FILE_CHUNK - off, (off_t)off);

		if (n < 0) {
			close(ffd);
			respond_error(c, errno == EISDIR ? 404 : 500);
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		off += (uint64_t)n;
	}
	size = off;
	if (!eof) {
		struct stat st;

		if (fstat(ffd, &st) < 0) {
			close(ffd);
			respond_error(c, 500);
			return;
		}
		if ((uint64_t)st.st_size > size)
			size = (uint64_t)st.st_size;
	}
	c->keep = c->req.keep_alive;
	hlen = http_header(hdr, sizeof(hdr), 200, size, c->req.path, c->keep);
	memcpy(body - hlen, hdr, hlen);
	c->pend = body - hlen;
	c->pend_len = hlen + (head ? 0 : off);
	if (!head && off < size) {
		c->ffd = ffd;
		c->foff = off;
		c->fsize = size;
	} else {
		close(ffd);
	}
}

/* Run the connection as far as it goes without blocking. */
static void step(struct conn *c)
{
	bool dead = false;

	for (;;) {
		int status;

		if (c->pend_len || c->ffd >= 0) {
			if (!flush(c, &dead)) {
				if (dead)
					conn_close(c);
				else
					want_write(c, true);
				return;
			}
			if (c->ffd >= 0 && c->foff < c->fsize) {
				uint64_t want = c->fsize - c->foff;
				ssize_t n = pread(c->ffd, c->out, want < HTTP_FILE_CHUNK ? want : HTTP_FILE_CHUNK,
						  (off_t)c->foff);

				if (n <= 0) {
					conn_close(c);
					return;
				}
				c->foff += (uint64_t)n;
				c->pend = c->out;
				c->pend_len = (size_t)n;
				continue;
			}
			if (c->ffd >= 0) {
				close(c->ffd);
				c->ffd = -1;
			}
			if (!c->keep) {
				conn_close(c);
				return;
			}
			memmove(c->in, c->in + c->used, c->have - c->used);
			c->have -= c->used;
			c->used = 0;
			want_write(c, false);
			c->deadline_ns = now_ns() + 5 * SEC;
		}
		status = c->have ? http_parse(c->in, c->have, &c->req) : -EAGAIN;
		if (status == -EAGAIN) {
			ssize_t n = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have, 0);

			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				conn_close(c);
				return;
			}
			c->have += (size_t)n;
			c->deadline_ns = now_ns() + 5 * SEC;
			continue;
		}
		if ((status == 0 || status == 405) &&
		    c->req.body_len > c->have - c->req.header_len) {
			/* A body still to come: the bench never sends one; close instead of dropping it. */
			conn_close(c);
			return;
		}
		c->used = c->req.header_len + (size_t)c->req.body_len;
		if (status == 0)
			respond_file(c);
		else
			respond_error(c, status);
	}
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	printf("http_epoll: listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	uint64_t next_sweep;
	sigset_t set;
	int lfd, sfd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PORT DIR\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	dirfd_root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lfd = listen_on(atoi(argv[1]));
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dirfd_root < 0 || lfd < 0 || sfd < 0 || epfd < 0) {
		perror("http_epoll");
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	next_sweep = now_ns() + SEC;
	for (;;) {
		int i, n = epoll_wait(epfd, evs, 256, 1000);
		uint64_t now;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd)
				return 0;
			if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct conn *c = cfd < MAX_FDS ? malloc(sizeof(*c)) : NULL;

					if (!c) {
						close(cfd);
						continue;
					}
					c->fd = cfd;
					c->ffd = -1;
					c->out_on = false;
					c->have = c->used = c->pend_len = 0;
					c->deadline_ns = now_ns() + 5 * SEC;
					conns[cfd] = c;
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = cfd };
					epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
					step(c);
				}
				continue;
			}
			if (conns[fd])
				step(conns[fd]);
		}
		now = now_ns();
		if (now >= next_sweep) {
			for (i = 0; i < MAX_FDS; i++)
				if (conns[i] && conns[i]->deadline_ns <= now)
					conn_close(conns[i]);
			next_sweep = now + SEC;
		}
	}
}
