/* SPDX-License-Identifier: MIT */
/*
 * aring_do_chain (every member's result) and what aring_do_n and
 * aring_do_chain refuse: members that post several CQEs (zero-copy sends,
 * multishot requests), which used to corrupt the count of a chain's CQEs.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

/* ---------------------------------------------------------------- refused members */

struct bad {
	int fd;               /* a connected socket */
	int lfd;              /* a listener */
	int pipe_rd;
	unsigned kind;
	unsigned at;          /* which member is the bad one */
	unsigned n;
	char buf[8];
	struct __kernel_timespec ts;
};

enum { BAD_SEND_ZC, BAD_SENDMSG_ZC, BAD_ACCEPT_MS, BAD_RECV_MS, BAD_RECVMSG_MS, BAD_POLL_MS,
       BAD_TIMEOUT_MS, BAD_READ_MS, BAD_KINDS };

static void prep_bad(struct io_uring_sqe **sqes, void *arg)
{
	static struct msghdr msg;
	struct bad *b = arg;
	struct io_uring_sqe *sqe = sqes[b->at];
	unsigned i;

	for (i = 0; i < b->n; i++)
		io_uring_prep_nop(sqes[i]);
	switch (b->kind) {
	case BAD_SEND_ZC:
		io_uring_prep_send_zc(sqe, b->fd, "zc", 2, 0, 0);
		break;
	case BAD_SENDMSG_ZC:
		io_uring_prep_sendmsg_zc(sqe, b->fd, &msg, 0);
		break;
	case BAD_ACCEPT_MS:
		io_uring_prep_multishot_accept(sqe, b->lfd, NULL, NULL, 0);
		break;
	case BAD_RECV_MS:
		io_uring_prep_recv(sqe, b->fd, NULL, 0, 0);
		sqe->ioprio |= IORING_RECV_MULTISHOT;
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	case BAD_RECVMSG_MS:
		io_uring_prep_recvmsg(sqe, b->fd, &msg, 0);
		sqe->ioprio |= IORING_RECV_MULTISHOT;
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	case BAD_POLL_MS:
		io_uring_prep_poll_multishot(sqe, b->pipe_rd, POLLIN);
		break;
	case BAD_TIMEOUT_MS:
		io_uring_prep_timeout(sqe, &b->ts, 0, 0);
		sqe->timeout_flags |= 1u << 6;  /* IORING_TIMEOUT_MULTISHOT */
		break;
	case BAD_READ_MS:
		io_uring_prep_rw(49 /* IORING_OP_READ_MULTISHOT */, sqe, b->pipe_rd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	}
}

static int refuse_task(aring_loop *loop, void *arg)
{
	struct bad b = { .n = 3, .ts = { .tv_nsec = MS } };
	int fds[2], peer, results[3];
	uint16_t port;
	char c;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &b.fd, &peer), 0);
	b.lfd = th_listen(loop, &port);
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	b.pipe_rd = fds[0];
	for (b.kind = 0; b.kind < BAD_KINDS; b.kind++) {
		for (b.at = 0; b.at < b.n; b.at++) {
			CU_ASSERT_EQUAL(aring_do_n(loop, b.n, prep_bad, &b, NULL), -EINVAL);
			CU_ASSERT_EQUAL(aring_do_chain(loop, b.n, prep_bad, &b, results,
						       &(struct aring_opt){ .timeout_ns = 1000 * MS }),
					-EINVAL);
		}
	}
	/* Nothing was sent: the peer's receive times out. */
	CU_ASSERT_EQUAL(aring_recv(loop, peer, &c, 1, 0, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	/* The loop goes on as before. */
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	CU_ASSERT_EQUAL(aring_send(loop, b.fd, "k", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_recv(loop, peer, &c, 1, 0, NULL), 1);
	th_close_pair(loop, fds);
	aring_close(loop, b.fd, NULL);
	aring_close(loop, peer, NULL);
	aring_close(loop, b.lfd, NULL);
	return 0;
}

static void test_refuse_multi_cqe(void)
{
	CU_ASSERT_EQUAL(th_run(refuse_task, NULL, 16), 0);
}

/* ---------------------------------------------------------------- results */

struct ch {
	int rd, wr;
	char buf[16];
	unsigned nread;         /* bytes the read member asks for */
	int bad_fd;
	uint8_t flags[4];       /* extra flags per member */
	unsigned n;
};

/* write(wr) ; nop ; read(rd) ; nop, each with c->flags[i]. */
static void prep_ch(struct io_uring_sqe **sqes, void *arg)
{
	struct ch *c = arg;
	unsigned i;

	io_uring_prep_write(sqes[0], c->bad_fd ? c->bad_fd : c->wr, "abc", 3, 0);
	io_uring_prep_nop(sqes[1]);
	if (c->n > 2)
		io_uring_prep_read(sqes[2], c->rd, c->buf, c->nread, 0);
	if (c->n > 3)
		io_uring_prep_nop(sqes[3]);
	for (i = 0; i < c->n; i++)
		sqes[i]->flags |= c->flags[i];
}

static int results_task(aring_loop *loop, void *arg)
{
	struct ch c = { .nread = 3, .n = 4 };
	int fds[2], r[4];

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	c.rd = fds[0];
	c.wr = fds[1];

	/* Every member posts: every result. */
	CU_ASSERT_EQUAL(aring_do_chain(loop, 4, prep_ch, &c, r, NULL), 0);
	CU_ASSERT(r[0] == 3 && r[1] == 0 && r[2] == 3 && r[3] == 0);

	/* Members that skip their CQE report 0; the last one never skips. */
	memset(c.flags, IOSQE_CQE_SKIP_SUCCESS, sizeof(c.flags));
	c.n = 3;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 3, prep_ch, &c, r, NULL), 3);
	CU_ASSERT(r[0] == 0 && r[1] == 0 && r[2] == 3);
	CU_ASSERT_EQUAL(memcmp(c.buf, "abc", 3), 0);

	/* The first fails: the others are cancelled, skip or not. */
	c.bad_fd = 9999;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 3, prep_ch, &c, r, NULL), -ECANCELED);
	CU_ASSERT(r[0] == -EBADF && r[1] == -ECANCELED && r[2] == -ECANCELED);
	memset(c.flags, 0, sizeof(c.flags));
	c.n = 4;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 4, prep_ch, &c, r, NULL), -ECANCELED);
	CU_ASSERT(r[0] == -EBADF && r[1] == -ECANCELED && r[2] == -ECANCELED && r[3] == -ECANCELED);

	/* A hard link goes on after the failure. */
	c.flags[0] = IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	CU_ASSERT_EQUAL(aring_write(loop, c.wr, "xyz", 3, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_do_chain(loop, 4, prep_ch, &c, r, NULL), 0);
	CU_ASSERT(r[0] == -EBADF && r[1] == 0 && r[2] == 3 && r[3] == 0);
	c.bad_fd = 0;
	c.flags[0] = 0;

	/*
	 * A short read fails a link (kernel rw.c): with IOSQE_CQE_SKIP_SUCCESS
	 * the kernel still posts it (req_set_fail), and the result is the
	 * count, not 0. The pipe holds the 3 bytes of the write; 10 are asked.
	 */
	c.nread = 10;
	c.flags[2] = IOSQE_CQE_SKIP_SUCCESS;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 4, prep_ch, &c, r, NULL), -ECANCELED);
	CU_ASSERT(r[0] == 3 && r[1] == 0 && r[2] == 3 && r[3] == -ECANCELED);
	c.nread = 3;

	/* A timeout that does not fire. */
	c.flags[2] = 0;
	c.n = 2;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_ch, &c, r,
				       &(struct aring_opt){ .timeout_ns = 1000 * MS }), 0);
	CU_ASSERT(r[0] == 3 && r[1] == 0);
	CU_ASSERT_EQUAL(aring_read(loop, c.rd, c.buf, 3, 0, NULL), 3);
	th_close_pair(loop, fds);
	return 0;
}

static void test_chain_results(void)
{
	CU_ASSERT_EQUAL(th_run(results_task, NULL, 0), 0);
}

static void prep_read_last(struct io_uring_sqe **sqes, void *arg)
{
	struct ch *c = arg;

	io_uring_prep_nop(sqes[0]);
	io_uring_prep_read(sqes[1], c->rd, c->buf, 1, 0);
}

static void prep_link_timeout(struct io_uring_sqe **sqes, void *arg)
{
	static struct __kernel_timespec ts = { .tv_sec = 1 };
	struct ch *c = arg;

	io_uring_prep_read(sqes[0], c->rd, c->buf, 1, 0);
	io_uring_prep_link_timeout(sqes[1], &ts, 0);
	io_uring_prep_nop(sqes[2]);
}

static int timeout_task(aring_loop *loop, void *arg)
{
	struct ch c = { 0 };
	int fds[2], r[3];

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	c.rd = fds[0];
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_read_last, &c, r,
				       &(struct aring_opt){ .timeout_ns = MS }), -ETIME);
	CU_ASSERT(r[0] == 0 && r[1] == -ETIME);
	/* A link timeout member would make the results ambiguous: refused. */
	CU_ASSERT_EQUAL(aring_do_chain(loop, 3, prep_link_timeout, &c, r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_read_last, &c, NULL, NULL), -EFAULT);
	th_close_pair(loop, fds);
	return 0;
}

static void test_chain_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- length */

static void prep_nops(struct io_uring_sqe **sqes, void *arg)
{
	unsigned i, n = *(unsigned *)arg;

	for (i = 0; i < n; i++) {
		io_uring_prep_nop(sqes[i]);
		if (i % 3 == 1)
			sqes[i]->flags |= IOSQE_CQE_SKIP_SUCCESS;
	}
}

#define LONG_ENTRIES 512u

static int long_task(aring_loop *loop, void *arg)
{
	static int r[LONG_ENTRIES];
	unsigned n, i, bad = 0;

	(void)arg;
	/* As long as the SQ less one for the timeout; far past the old cap of 64. */
	n = LONG_ENTRIES - 1;
	for (i = 0; i < n; i++)
		r[i] = -1;
	CU_ASSERT_EQUAL(aring_do_chain(loop, n, prep_nops, &n, r,
				       &(struct aring_opt){ .timeout_ns = 1000 * MS }), 0);
	for (i = 0; i < n; i++)
		bad += r[i] != 0;
	CU_ASSERT_EQUAL(bad, 0);
	n = LONG_ENTRIES;
	CU_ASSERT_EQUAL(aring_do_n(loop, n, prep_nops, &n, NULL), 0);
	CU_ASSERT_EQUAL(aring_do_n(loop, n, prep_nops, &n,
				   &(struct aring_opt){ .timeout_ns = MS, .flags = ARING_OPT_LINKED_TIMEOUT }),
			-EINVAL);
	/* A deadline kept by the loop takes no SQ entry. */
	CU_ASSERT_EQUAL(aring_do_n(loop, n, prep_nops, &n, &(struct aring_opt){ .timeout_ns = 1000 * MS }),
			0);
	n = LONG_ENTRIES + 1;
	CU_ASSERT_EQUAL(aring_do_chain(loop, n, prep_nops, &n, r, NULL), -EINVAL);
	return 0;
}

static void test_chain_long(void)
{
	CU_ASSERT_EQUAL(th_run(long_task, NULL, LONG_ENTRIES), 0);
}

/* ---------------------------------------------------------------- cancel */

struct cancel_chain {
	int fds[2];
	char buf[4];
	uint64_t id;
	int res;
	int r[2];
	bool read_last;     /* nop then read, else read then nop */
	bool ready;
};

static void prep_cancel_chain(struct io_uring_sqe **sqes, void *arg)
{
	struct cancel_chain *c = arg;

	io_uring_prep_read(sqes[c->read_last], c->fds[0], c->buf, sizeof(c->buf), 0);
	io_uring_prep_nop(sqes[!c->read_last]);
}

static int chain_waiter(aring_loop *loop, void *arg)
{
	struct cancel_chain *c = arg;

	c->ready = true;
	c->res = aring_do_chain(loop, 2, prep_cancel_chain, c, c->r,
				&(struct aring_opt){ .id = &c->id });
	return 0;
}

static int cancel_chain_task(aring_loop *loop, void *arg)
{
	struct cancel_chain c = { .res = 1 };
	unsigned variant = *(unsigned *)arg;
	aring_task *t;
	int ret;

	c.read_last = variant & 1;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, c.fds, 0, NULL), 0);
	t = th_spawn(loop, chain_waiter, &c);
	if (variant & 2)
		aring_sleep(loop, MS);  /* the chain is in the kernel, its read blocked */
	else
		aring_yield(loop);      /* its SQEs are queued, not yet submitted */
	CU_ASSERT(c.id != 0);
	/* From another task, by id: found and cancelled. */
	ret = aring_cancel(loop, c.id, 0, NULL);
	CU_ASSERT_EQUAL(ret, 0);
	if (ret != 0)  /* unblock it so that the test ends */
		aring_write(loop, c.fds[1], "data", 4, 0, NULL);
	th_join(loop, t);
	CU_ASSERT_EQUAL(c.res, -ECANCELED);
	CU_ASSERT_EQUAL(c.r[0], c.read_last ? 0 : -ECANCELED);
	CU_ASSERT_EQUAL(c.r[1], -ECANCELED);
	/* Cancelling it again finds nothing. */
	CU_ASSERT_EQUAL(aring_cancel(loop, c.id, 0, NULL), -ENOENT);
	th_close_pair(loop, c.fds);
	return 0;
}

static void test_chain_cancel(void)
{
	unsigned variant;

	for (variant = 0; variant < 4; variant++)
		CU_ASSERT_EQUAL(th_run(cancel_chain_task, &variant, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "chains refuse members that post several CQEs, before submitting", test_refuse_multi_cqe },
	{ "aring_do_chain: every member's result, skips, failures, hard links", test_chain_results },
	{ "aring_do_chain: timeouts, link timeout members, NULL results", test_chain_timeout },
	{ "chains as long as the SQ", test_chain_long },
	{ "aring_cancel of a chain by id from another task", test_chain_cancel },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "chain", tests, TH_BOTH);
}
