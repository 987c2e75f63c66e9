/* SPDX-License-Identifier: MIT */
/*
 * The baseline of the buffer-ring echo benchmark (bench/echo_conns.c): a
 * hand-written, callback-style liburing echo server that receives through
 * provided buffers, as examples/echo_server -b does through aring. One
 * provided buffer ring of POOL_BUFS x POOL_BUF_BYTES (the example's pool),
 * one multishot recv per connection; each buffer received is sent back and
 * given back to the ring once the send completed; a multishot recv the
 * kernel ended (-ENOBUFS, a full CQ) is armed again.
 * Usage: echo_raw_bufring PORT [TIMEOUT_S]   (127.0.0.1:PORT until killed)
 * With TIMEOUT_S (or $ECHO_RAW_TIMEOUT_S) every send carries a linked
 * timeout (the example also bounds each wait for data: a multishot request
 * takes no linked timeout, so the baseline has none there).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <liburing.h>

#define POOL_BUFS 512u         /* examples/echo.h ECHO_POOL_BUFS */
#define POOL_BUF_BYTES 4096u   /* ECHO_POOL_BUF_SIZE */
#define BGID 0
#define ENTRIES 256            /* aring's default */
#define SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)
#define QMAX 16                /* buffers a connection may have waiting to be sent */

struct req {
	void (*cb)(struct req *req, struct io_uring_cqe *cqe);
};

struct conn {
	struct req recv_req, send_req;
	int fd;
	bool sending, closing, recv_armed;
	struct conn *next_starved;   /* waiting for a buffer to arm its recv again */
	unsigned qhead, qlen;
	struct { uint16_t bid; unsigned len, off; } q[QMAX];
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *pool;
static int listen_fd;
static struct req accept_req, ignore_req;
static struct __kernel_timespec timeout_ts;  /* 0: no linked timeouts */
/* Connections whose recv the kernel ended with -ENOBUFS: armed again one per buffer given back. */
static struct conn *starved_head, *starved_tail;
static unsigned ring_avail;  /* buffers in the ring: recycled, not yet seen in a CQE */

static void arm_recv(struct conn *c);

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	while (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static void recycle(uint16_t bid)
{
	io_uring_buf_ring_add(br, pool + (size_t)bid * POOL_BUF_BYTES, POOL_BUF_BYTES, bid,
			      io_uring_buf_ring_mask(POOL_BUFS), 0);
	io_uring_buf_ring_advance(br, 1);
	ring_avail++;
	if (starved_head) {
		struct conn *c = starved_head;

		starved_head = c->next_starved;
		if (!starved_head)
			starved_tail = NULL;
		arm_recv(c);
	}
}

static void on_recv(struct req *req, struct io_uring_cqe *cqe);
static void on_send(struct req *req, struct io_uring_cqe *cqe);

static void arm_recv(struct conn *c)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_recv(sqe, c->fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data(sqe, &c->recv_req);
	c->recv_armed = true;
}

static void send_head(struct conn *c)
{
	struct io_uring_sqe *sqe;

	while (io_uring_sq_space_left(&ring) < 2)
		io_uring_submit(&ring);
	sqe = sqe_get();
	io_uring_prep_send(sqe, c->fd,
			   pool + (size_t)c->q[c->qhead].bid * POOL_BUF_BYTES + c->q[c->qhead].off,
			   c->q[c->qhead].len - c->q[c->qhead].off, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->send_req);
	if (timeout_ts.tv_sec) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = sqe_get();
		io_uring_prep_link_timeout(sqe, &timeout_ts, 0);
		io_uring_sqe_set_data(sqe, &ignore_req);
	}
	c->sending = true;
}

static void conn_close(struct conn *c)
{
	while (c->qlen) {
		recycle(c->q[c->qhead].bid);
		c->qhead = (c->qhead + 1) % QMAX;
		c->qlen--;
	}
	close(c->fd);
	free(c);
}

static void on_recv(struct req *req, struct io_uring_cqe *cqe)
{
	struct conn *c = (struct conn *)((char *)req - offsetof(struct conn, recv_req));
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

		ring_avail--;
		if (c->qlen == QMAX) {
			recycle(bid);  /* a client far ahead: never with a ping-pong load */
		} else {
			unsigned t = (c->qhead + c->qlen++) % QMAX;

			c->q[t].bid = bid;
			c->q[t].len = (unsigned)cqe->res;
			c->q[t].off = 0;
			if (!c->sending)
				send_head(c);
		}
	}
	if (more)
		return;
	c->recv_armed = false;
	if (!c->closing && cqe->res == -ENOBUFS && !ring_avail) {
		/* the pool ran dry: armed again once a buffer comes back (buffers
		   given back before this CQE was seen are counted in ring_avail) */
		c->next_starved = NULL;
		if (starved_tail)
			starved_tail->next_starved = c;
		else
			starved_head = c;
		starved_tail = c;
		return;
	}
	if (!c->closing && (cqe->res > 0 || cqe->res == -ENOBUFS)) {
		arm_recv(c);  /* ended by the kernel (a full CQ; the pool was dry): again */
		return;
	}
	/* EOF or an error: closed once the send in flight completed */
	c->closing = true;
	if (!c->sending)
		conn_close(c);
}

static void on_send(struct req *req, struct io_uring_cqe *cqe)
{
	struct conn *c = (struct conn *)((char *)req - offsetof(struct conn, send_req));

	c->sending = false;
	if (cqe->res <= 0) {
		c->closing = true;
	} else {
		c->q[c->qhead].off += (unsigned)cqe->res;
		if (c->q[c->qhead].off == c->q[c->qhead].len) {
			recycle(c->q[c->qhead].bid);
			c->qhead = (c->qhead + 1) % QMAX;
			c->qlen--;
		}
	}
	if (c->closing) {
		if (c->recv_armed)
			shutdown(c->fd, SHUT_RDWR);  /* its recv ends, then it is closed */
		else
			conn_close(c);
		return;
	}
	if (c->qlen)
		send_head(c);
}

static void arm_accept(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data(sqe, &accept_req);
}

static void on_accept(struct req *req, struct io_uring_cqe *cqe)
{
	struct conn *c;
	int one = 1;

	(void)req;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		arm_accept();
	if (cqe->res < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cqe->res);
		return;
	}
	setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = cqe->res;
	c->recv_req.cb = on_recv;
	c->send_req.cb = on_send;
	arm_recv(c);
}

static void on_ignore(struct req *req, struct io_uring_cqe *cqe)
{
	(void)req;
	(void)cqe;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *t = argc > 2 ? argv[2] : getenv("ECHO_RAW_TIMEOUT_S");
	struct io_uring_buf_reg reg = { 0 };
	struct rlimit rl;
	int one = 1, ret;
	unsigned i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [TIMEOUT_S]\n", argv[0]);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (t && *t)
		timeout_ts.tv_sec = atoi(t);
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 4096) < 0) {
		perror("echo_raw_bufring: listen");
		return 1;
	}
	ret = io_uring_queue_init(ENTRIES, &ring, SETUP_FLAGS);
	if (ret < 0) {
		fprintf(stderr, "echo_raw_bufring: io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	br = mmap(NULL, POOL_BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pool = mmap(NULL, (size_t)POOL_BUFS * POOL_BUF_BYTES, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED || pool == MAP_FAILED)
		return 1;
	io_uring_buf_ring_init(br);
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = POOL_BUFS;
	reg.bgid = BGID;
	ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (ret < 0) {
		fprintf(stderr, "echo_raw_bufring: io_uring_register_buf_ring: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < POOL_BUFS; i++)
		recycle((uint16_t)i);
	accept_req.cb = on_accept;
	ignore_req.cb = on_ignore;
	arm_accept();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN) {
			fprintf(stderr, "echo_raw_bufring: submit: %s\n", strerror(-ret));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			struct req *r = io_uring_cqe_get_data(cqe);

			r->cb(r, cqe);
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
}
