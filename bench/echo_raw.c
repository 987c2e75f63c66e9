/* SPDX-License-Identifier: MIT */
/*
 * The baseline of the echo benchmark: a hand-written, callback-style
 * liburing echo server. Each request carries a callback; a connection
 * cycles recv -> send (until all sent) -> recv. Same buffer size, ring size
 * and ring flags as the aring servers.
 * Usage: echo_raw PORT [TIMEOUT_S]   (listens on 127.0.0.1:PORT until killed)
 * With TIMEOUT_S (or $ECHO_RAW_TIMEOUT_S, which bench/run.sh sets when the
 * aring side is examples/echo_server), every recv and send carries a linked timeout, as the
 * example server's do (examples/echo.c: 30 s), so that both servers do the
 * same work per round trip.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#define ECHO_BUF_BYTES 4096  /* same as echo_aring.c */
#define ENTRIES 256          /* aring's default */
#define SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

struct req {
	void (*cb)(struct req *req, int res);
};

struct conn {
	struct req req;
	int fd;
	unsigned len, off;
	char buf[ECHO_BUF_BYTES];
};

static struct io_uring ring;
static int listen_fd;
static struct req accept_req;
static struct req timeout_req;               /* linked timeouts' CQEs: ignored */
static struct __kernel_timespec timeout_ts;  /* 0: no linked timeouts */

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	while (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	return sqe;
}

static void on_recv(struct req *req, int res);
static void on_send(struct req *req, int res);

/* Room for an op and its linked timeout in one submission. */
static void reserve(void)
{
	while (io_uring_sq_space_left(&ring) < 2)
		io_uring_submit(&ring);
}

/* Link a timeout to the SQE just prepared, if the server runs with one. */
static void link_timeout(struct io_uring_sqe *sqe)
{
	if (!timeout_ts.tv_sec)
		return;
	sqe->flags |= IOSQE_IO_LINK;
	sqe = sqe_get();
	io_uring_prep_link_timeout(sqe, &timeout_ts, 0);
	io_uring_sqe_set_data(sqe, &timeout_req);
}

static void conn_recv(struct conn *c)
{
	struct io_uring_sqe *sqe;

	reserve();
	sqe = sqe_get();

	c->req.cb = on_recv;
	io_uring_prep_recv(sqe, c->fd, c->buf, sizeof(c->buf), 0);
	io_uring_sqe_set_data(sqe, &c->req);
	link_timeout(sqe);
}

static void conn_send(struct conn *c)
{
	struct io_uring_sqe *sqe;

	reserve();
	sqe = sqe_get();

	c->req.cb = on_send;
	io_uring_prep_send(sqe, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->req);
	link_timeout(sqe);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

static void on_recv(struct req *req, int res)
{
	struct conn *c = (struct conn *)req;

	if (res <= 0) {
		conn_close(c);
		return;
	}
	c->len = (unsigned)res;
	c->off = 0;
	conn_send(c);
}

static void on_send(struct req *req, int res)
{
	struct conn *c = (struct conn *)req;

	if (res <= 0) {
		conn_close(c);
		return;
	}
	c->off += (unsigned)res;
	if (c->off < c->len)
		conn_send(c);
	else
		conn_recv(c);
}

static void accept_arm(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	accept_req.cb = NULL;
	io_uring_prep_accept(sqe, listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data(sqe, &accept_req);
}

static void on_accept(struct req *req, int res)
{
	int one = 1;

	(void)req;
	if (res >= 0) {
		struct conn *c = malloc(sizeof(*c));

		if (!c) {
			close(res);
		} else {
			c->fd = res;
			setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			conn_recv(c);
		}
	}
	accept_arm();
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, ret;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s PORT [TIMEOUT_S]\n", argv[0]);
		return 2;
	}
	if (argc == 3)
		timeout_ts.tv_sec = atoi(argv[2]);
	else if (getenv("ECHO_RAW_TIMEOUT_S"))
		timeout_ts.tv_sec = atoi(getenv("ECHO_RAW_TIMEOUT_S"));
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	ret = io_uring_queue_init(ENTRIES, &ring, SETUP_FLAGS);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 1024) < 0) {
		perror("bind/listen");
		return 1;
	}
	accept_arm();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY) {
			fprintf(stderr, "io_uring_submit_and_wait: %s\n", strerror(-ret));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			struct req *req = io_uring_cqe_get_data(cqe);

			n++;
			if (req == &accept_req)
				on_accept(req, cqe->res);
			else if (req != &timeout_req)
				req->cb(req, cqe->res);
		}
		io_uring_cq_advance(&ring, n);
	}
	return 0;
}
