/* SPDX-License-Identifier: MIT */
/*
 * White-box tests of the simulated ring: drive the sim backend's ops table
 * directly with raw SQEs (the sim's sources are compiled into this program)
 * and check the CQEs the kernel would post: links, hardlinks, short reads
 * breaking links, drain, CQE_SKIP_SUCCESS, linked timeouts, async cancel,
 * timeouts with a count, timeout update/remove, CQ overflow, -EDEADLK,
 * -EOPNOTSUPP. Each test runs under several seeds; a failure prints the
 * seed (ARING_SIM_SEED=<seed> replays it).
 */
#include "config.h"
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "core/context.h"

static uint64_t seed;
static struct aring__backend *be;

static void open_ring(unsigned entries, uint64_t lat_max)
{
	struct aring_sim_opts so = { .seed = seed, .latency_max_ns = lat_max };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .entries = entries, .sim = &so };

	CU_ASSERT_FATAL(aring__sim_new(&o, &be) == 0);
}

static void close_ring(void)
{
	be->ops->destroy(be);
	be = NULL;
}

static struct io_uring_sqe *sqe_new(uint64_t ud)
{
	struct io_uring_sqe *q = be->ops->get_sqe(be);

	CU_ASSERT_FATAL(q != NULL);
	memset(q, 0, sizeof(*q));
	q->user_data = ud;
	return q;
}

/* Reap every CQE: res by user_data (1..63), count in n[], flags in fl[]. */
static int res[64], n[64];
static unsigned fl[64];
static unsigned order[256], norder;

static void reap(void)
{
	struct io_uring_cqe *c[64];
	unsigned k, got;

	while ((got = be->ops->peek(be, c, 64))) {
		for (k = 0; k < got; k++) {
			uint64_t ud = c[k]->user_data;

			CU_ASSERT_FATAL(ud < 64);
			res[ud] = c[k]->res;
			fl[ud] = c[k]->flags;
			n[ud]++;
			if (norder < 256)
				order[norder++] = (unsigned)ud;
		}
		be->ops->advance(be, got);
	}
}

static void reset(void)
{
	memset(res, 0, sizeof(res));
	memset(n, 0, sizeof(n));
	memset(fl, 0, sizeof(fl));
	norder = 0;
}

/* Submit and wait until nothing more can happen (-EDEADLK once idle). */
static void run_all(void)
{
	int ret;

	do {
		ret = be->ops->submit(be, 1);
		reap();
	} while (ret >= 0 || ret == -EBUSY);
	CU_ASSERT_EQUAL(ret, -EDEADLK);
}

static struct __kernel_timespec ms(long v)
{
	struct __kernel_timespec t = { v / 1000, (v % 1000) * 1000000L };

	return t;
}

static int pipe_fds[2];

static void make_pipe(void)
{
	struct io_uring_sqe *q = sqe_new(63);

	aring__prep_pipe(q, pipe_fds, 0);
	run_all();
	CU_ASSERT_EQUAL_FATAL(res[63], 0);
}

static void test_links(void)
{
	struct io_uring_sqe *q;
	char buf[8];

	open_ring(16, 1000);
	reset();
	/* nop -> close(bad) -> nop -> nop: the failure cancels the rest. */
	q = sqe_new(1);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_close(q, 999);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(3);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(4);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], 0);
	CU_ASSERT_EQUAL(res[2], -EBADF);
	CU_ASSERT_EQUAL(res[3], -ECANCELED);
	CU_ASSERT_EQUAL(res[4], -ECANCELED);
	/* A hardlink goes on after a failure. */
	reset();
	q = sqe_new(1);
	io_uring_prep_close(q, 999);
	q->flags = IOSQE_IO_HARDLINK;
	q = sqe_new(2);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], -EBADF);
	CU_ASSERT_EQUAL(res[2], 0);
	/* A short read (EOF on a pipe with 3 bytes) breaks the link, like req_set_fail. */
	reset();
	make_pipe();
	q = sqe_new(1);
	io_uring_prep_write(q, pipe_fds[1], "abc", 3, 0);
	run_all();
	q = sqe_new(2);
	io_uring_prep_read(q, pipe_fds[0], buf, sizeof(buf), 0);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(3);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[2], 3);
	CU_ASSERT_EQUAL(res[3], -ECANCELED);
	/* An invalid SQE in a chain fails the chain: head -ECANCELED, itself -EINVAL. */
	reset();
	q = sqe_new(1);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK | 0x80; /* unknown flag */
	q = sqe_new(3);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], -ECANCELED);
	CU_ASSERT_EQUAL(res[2], -EINVAL);
	CU_ASSERT_EQUAL(res[3], -ECANCELED);
	close_ring();
}

static void test_skip_drain(void)
{
	struct io_uring_sqe *q;
	struct __kernel_timespec t = ms(5);

	open_ring(16, 1000);
	reset();
	q = sqe_new(1);
	io_uring_prep_nop(q);
	q->flags = IOSQE_CQE_SKIP_SUCCESS;
	q = sqe_new(2);
	io_uring_prep_close(q, 999);
	q->flags = IOSQE_CQE_SKIP_SUCCESS;
	run_all();
	CU_ASSERT_EQUAL(n[1], 0);  /* success skipped */
	CU_ASSERT_EQUAL(n[2], 1);  /* failure posted */
	CU_ASSERT_EQUAL(res[2], -EBADF);
	/* A failed skip request skips the CQEs of the links it cancels (REQ_F_SKIP_LINK_CQES). */
	reset();
	q = sqe_new(1);
	io_uring_prep_close(q, 999);
	q->flags = IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(n[1], 1);
	CU_ASSERT_EQUAL(n[2], 0);
	close_ring();

	/* Drain: the drained op waits for the 5 ms timeout; the nop after it waits too. */
	open_ring(16, 1000);
	reset();
	q = sqe_new(1);
	io_uring_prep_timeout(q, &t, 0, 0);
	q = sqe_new(2);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_DRAIN;
	q = sqe_new(3);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], -ETIME);
	CU_ASSERT_EQUAL(norder, 3);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL(order[1], 2);
	CU_ASSERT_EQUAL(order[2], 3);
	/* Drain after CQE_SKIP_SUCCESS was used: -EOPNOTSUPP, as the kernel. */
	reset();
	q = sqe_new(1);
	io_uring_prep_nop(q);
	q->flags = IOSQE_CQE_SKIP_SUCCESS;
	q = sqe_new(2);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_DRAIN;
	run_all();
	CU_ASSERT_EQUAL(res[2], -EOPNOTSUPP);
	close_ring();
}

static void test_link_timeout(void)
{
	struct io_uring_sqe *q;
	struct __kernel_timespec t = ms(10);
	char buf[4];
	uint64_t t0;

	open_ring(16, 0);
	make_pipe();
	/* Timer first: the read gets -ECANCELED, the timeout -ETIME, at exactly +10 ms. */
	reset();
	t0 = be->ops->now_ns(be);
	q = sqe_new(1);
	io_uring_prep_read(q, pipe_fds[0], buf, sizeof(buf), 0);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_link_timeout(q, &t, 0);
	run_all();
	CU_ASSERT_EQUAL(res[1], -ECANCELED);
	CU_ASSERT_EQUAL(res[2], -ETIME);
	CU_ASSERT_EQUAL(be->ops->now_ns(be) - t0, 10000000u);
	/* Op first: its result, and the timeout -ECANCELED; the chain goes on past the timeout. */
	reset();
	q = sqe_new(1);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_link_timeout(q, &t, 0);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(3);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], 0);
	CU_ASSERT_EQUAL(res[2], -ECANCELED);
	CU_ASSERT_EQUAL(res[3], 0);
	/* A link timeout that follows nothing: -EINVAL. */
	reset();
	q = sqe_new(1);
	io_uring_prep_link_timeout(q, &t, 0);
	run_all();
	CU_ASSERT_EQUAL(res[1], -EINVAL);
	/* Update a link timeout (IORING_LINK_TIMEOUT_UPDATE) to 1 s. */
	reset();
	t0 = be->ops->now_ns(be);
	q = sqe_new(1);
	io_uring_prep_read(q, pipe_fds[0], buf, sizeof(buf), 0);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_link_timeout(q, &t, 0);
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 2);
	{
		struct __kernel_timespec one = ms(1000);

		q = sqe_new(3);
		io_uring_prep_timeout_update(q, &one, 2, IORING_LINK_TIMEOUT_UPDATE);
		run_all();
	}
	CU_ASSERT_EQUAL(res[3], 0);
	CU_ASSERT_EQUAL(res[2], -ETIME);
	CU_ASSERT_EQUAL(be->ops->now_ns(be) - t0, 1000000000u);
	close_ring();
}

static void test_cancel(void)
{
	struct io_uring_sqe *q;
	char buf[4];
	int k;

	open_ring(16, 1000);
	make_pipe();
	reset();
	for (k = 1; k <= 3; k++) {
		q = sqe_new((uint64_t)k);
		io_uring_prep_read(q, pipe_fds[0], buf, sizeof(buf), 0);
	}
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 3);
	q = sqe_new(10);
	io_uring_prep_cancel64(q, 1, 0);
	q = sqe_new(11);
	io_uring_prep_cancel64(q, 42, 0);
	q = sqe_new(12);
	io_uring_prep_cancel_fd(q, pipe_fds[0], IORING_ASYNC_CANCEL_ALL);
	q = sqe_new(13);
	io_uring_prep_cancel64(q, 0, IORING_ASYNC_CANCEL_ANY);
	run_all();
	CU_ASSERT_EQUAL(res[10], 0);
	CU_ASSERT_EQUAL(res[11], -ENOENT);
	CU_ASSERT_EQUAL(res[12], 2);
	CU_ASSERT_EQUAL(res[13], 0); /* ANY/ALL count matches: 0 for none (kernel cancel.c __io_async_cancel()) */
	for (k = 1; k <= 3; k++)
		CU_ASSERT_EQUAL(res[k], -ECANCELED);
	/* A regular-file op in progress cannot be stopped: -EALREADY. */
	reset();
	q = sqe_new(1);
	io_uring_prep_openat(q, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644);
	run_all();
	CU_ASSERT_FATAL(res[1] >= 0);
	{
		int fd = res[1];

		reset();
		q = sqe_new(2);
		io_uring_prep_fsync(q, fd, 0);
		q = sqe_new(3);
		io_uring_prep_cancel64(q, 2, 0);
		run_all();
		CU_ASSERT_EQUAL(res[3], -EALREADY);
		CU_ASSERT_EQUAL(res[2], 0);
	}
	close_ring();
}

static void test_timeouts(void)
{
	struct io_uring_sqe *q;
	struct __kernel_timespec t = ms(1000), upd = ms(50);
	uint64_t t0;

	open_ring(16, 0);
	/* count 2: completes with 0 after two other CQEs. */
	reset();
	q = sqe_new(1);
	io_uring_prep_timeout(q, &t, 2, 0);
	q = sqe_new(2);
	io_uring_prep_nop(q);
	q = sqe_new(3);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], 0);
	CU_ASSERT_EQUAL(order[2], 1);
	/* ETIME_SUCCESS: res stays -ETIME (kernel io_timeout_fn) but the link is not broken. */
	reset();
	q = sqe_new(1);
	io_uring_prep_timeout(q, &upd, 0, IORING_TIMEOUT_ETIME_SUCCESS);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(2);
	io_uring_prep_nop(q);
	run_all();
	CU_ASSERT_EQUAL(res[1], -ETIME);
	CU_ASSERT_EQUAL(res[2], 0);
	/* Update to 50 ms, then remove another; remove of a missing one: -ENOENT. */
	reset();
	t0 = be->ops->now_ns(be);
	q = sqe_new(1);
	io_uring_prep_timeout(q, &t, 0, 0);
	q = sqe_new(2);
	io_uring_prep_timeout(q, &t, 0, 0);
	q = sqe_new(3);
	io_uring_prep_timeout_update(q, &upd, 1, 0);
	q = sqe_new(4);
	io_uring_prep_timeout_remove(q, 2, 0);
	q = sqe_new(5);
	io_uring_prep_timeout_remove(q, 77, 0);
	q = sqe_new(6);
	io_uring_prep_timeout_remove(q, 2, 0x80); /* bad flags */
	run_all();
	CU_ASSERT_EQUAL(res[3], 0);
	CU_ASSERT_EQUAL(res[4], 0);
	CU_ASSERT_EQUAL(res[5], -ENOENT);
	CU_ASSERT_EQUAL(res[6], -EINVAL);
	CU_ASSERT_EQUAL(res[1], -ETIME);
	CU_ASSERT_EQUAL(res[2], -ECANCELED);
	CU_ASSERT_EQUAL(be->ops->now_ns(be) - t0, 50000000u);
	/* Absolute timeout. */
	reset();
	{
		struct __kernel_timespec abs = { 5, 0 };

		q = sqe_new(1);
		io_uring_prep_timeout(q, &abs, 0, IORING_TIMEOUT_ABS);
		run_all();
		CU_ASSERT_EQUAL(res[1], -ETIME);
		CU_ASSERT_EQUAL(be->ops->now_ns(be), 5000000000u);
	}
	close_ring();
}

static void test_overflow_deadlock(void)
{
	struct io_uring_sqe *q;
	unsigned k, op, total = 0;
	int ret;

	/* 4 SQ entries, CQ of 8: 20 nops overflow without losing a CQE; the
	 * ring takes SQEs while CQEs overflow, as the kernel does. */
	open_ring(4, 0);
	reset();
	for (k = 0; k < 5; k++) {
		unsigned j;

		for (j = 0; j < 4; j++) {
			q = sqe_new(1);
			io_uring_prep_nop(q);
		}
		ret = be->ops->submit(be, 0);
		CU_ASSERT_EQUAL(ret, 4);
	}
	reap();
	total = (unsigned)n[1];
	CU_ASSERT_EQUAL(total, 20); /* 8 in the CQ, 12 flushed from overflow as we reaped */
	reap();
	CU_ASSERT_EQUAL(n[1], 20);
	/* Nothing can complete: -EDEADLK. */
	ret = be->ops->submit(be, 1);
	CU_ASSERT_EQUAL(ret, -EDEADLK);
	/* Not modelled (the first such opcode, if any is left): -EOPNOTSUPP;
	   unknown opcode: -EINVAL. */
	reset();
	for (op = 0; op < ARING_OP_LAST && be->ops->has_op(be, op); op++)
		;
	q = sqe_new(1);
	io_uring_prep_rw(op < ARING_OP_LAST ? (int)op : IORING_OP_NOP, q, 0, NULL, 0, 0);
	q = sqe_new(2);
	io_uring_prep_rw(200, q, 0, NULL, 0, 0);
	run_all();
	if (op < ARING_OP_LAST)
		CU_ASSERT_EQUAL(res[1], -EOPNOTSUPP);
	CU_ASSERT_EQUAL(res[2], -EINVAL);
	CU_ASSERT(be->ops->has_op(be, IORING_OP_READ));
	CU_ASSERT(be->ops->ring(be) == NULL);
	close_ring();
}

/*
 * Completions due at the same instant come in a seed-chosen order (writes to
 * stdout's pipe with the same latency; a nop is the soft ring's own and
 * completes inline, in SQ order, as in the kernel).
 */
static void test_order(void)
{
	unsigned first[8], seeds = 0, k, distinct = 0;
	uint64_t saved = seed;
	static const char x = 'x';

	for (seed = 1; seed <= 8; seed++, seeds++) {
		open_ring(16, 1000);
		reset();
		for (k = 1; k <= 8; k++)
			io_uring_prep_write(sqe_new(k), 1, &x, 1, 0);
		run_all();
		CU_ASSERT_EQUAL(norder, 8);
		first[seeds] = order[0];
		close_ring();
	}
	seed = saved;
	for (k = 1; k < seeds; k++)
		distinct += first[k] != first[0];
	CU_ASSERT(distinct > 0);
}


/*
 * Kernel-exact cases of the soft ring (backends/soft/). Each result is the
 * kernel's: from the kernel's io_uring/ sources (cited) and checked on Linux 6.18 with
 * liburing programs doing the same submissions.
 */
static void test_soft_inline(void)
{
	struct __kernel_timespec big = ms(5000), odd = { 0, 1500000000 };
	struct io_uring_sqe *q;

	open_ring(16, 0);
	/* A nop completes inline: a cancel after it in the same submission
	 * finds nothing (io_submit_sqe() issues in SQ order). */
	reset();
	io_uring_prep_nop(sqe_new(1));
	io_uring_prep_cancel64(sqe_new(2), 1, 0);
	run_all();
	CU_ASSERT_EQUAL(res[1], 0);
	CU_ASSERT_EQUAL(res[2], -ENOENT);
	/* Inline CQEs are posted at the end of the submission, so a count
	 * timeout submitted after a nop still counts the nop's CQE
	 * (timeout.c io_timeout() reads cached_cq_tail). */
	reset();
	io_uring_prep_nop(sqe_new(3));
	io_uring_prep_timeout(sqe_new(4), &big, 1, 0);
	run_all();
	CU_ASSERT_EQUAL(res[4], 0);
	CU_ASSERT_EQUAL(order[0], 3);
	/* tv_nsec >= 1e9 is valid: it adds up (timespec64_to_ktime()). */
	reset();
	{
		uint64_t t0 = be->ops->now_ns(be);

		io_uring_prep_timeout(sqe_new(5), &odd, 0, 0);
		run_all();
		CU_ASSERT_EQUAL(res[5], -ETIME);
		CU_ASSERT_EQUAL(be->ops->now_ns(be) - t0, 1500000000u);
	}
	/* NOP flags (nop.c io_nop_prep()/io_nop()). */
	reset();
	q = sqe_new(6);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_INJECT_RESULT;
	q->len = 7;
	q = sqe_new(7);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_FILE;
	q->fd = 999;
	q = sqe_new(8);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_FILE;
	q->fd = 0;
	q = sqe_new(9);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_FILE | ARING_NOP_FIXED_FILE;
	q = sqe_new(10);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_FIXED_BUFFER;
	q = sqe_new(11);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_TW;
	q = sqe_new(12);
	io_uring_prep_nop(q);
	q->rw_flags = 1u << 5; /* CQE32 on a plain ring */
	q = sqe_new(13);
	io_uring_prep_nop(q);
	q->rw_flags = ARING_NOP_INJECT_RESULT;
	q->len = (unsigned)-5;
	q->flags = IOSQE_IO_LINK;
	io_uring_prep_nop(sqe_new(14));
	run_all();
	CU_ASSERT_EQUAL(res[6], 7);
	CU_ASSERT_EQUAL(res[7], -EBADF);
	CU_ASSERT_EQUAL(res[8], 0);
	CU_ASSERT_EQUAL(res[9], -EBADF);
	CU_ASSERT_EQUAL(res[10], -EFAULT);
	CU_ASSERT_EQUAL(res[11], 0);
	CU_ASSERT_EQUAL(res[12], -EINVAL);
	CU_ASSERT_EQUAL(res[13], -5);
	CU_ASSERT_EQUAL(res[14], -ECANCELED); /* an injected error fails the link */
	close_ring();
}

static void test_soft_cancel(void)
{
	struct __kernel_timespec big = ms(5000);
	struct io_uring_sqe *q;
	char buf[4];

	open_ring(16, 0);
	make_pipe();
	/* ALL and ANY count what they cancelled: 0 when nothing matched
	 * (cancel.c __io_async_cancel() returns nr). */
	reset();
	io_uring_prep_cancel64(sqe_new(1), 77, IORING_ASYNC_CANCEL_ALL);
	io_uring_prep_cancel64(sqe_new(2), 0, IORING_ASYNC_CANCEL_ANY);
	run_all();
	CU_ASSERT_EQUAL(n[1], 1);
	CU_ASSERT_EQUAL(res[1], 0);
	CU_ASSERT_EQUAL(res[2], 0);
	/* len is read only with CANCEL_OP (io_async_cancel_prep()). */
	reset();
	io_uring_prep_read(sqe_new(3), pipe_fds[0], buf, sizeof(buf), 0);
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 1);
	q = sqe_new(4);
	io_uring_prep_cancel64(q, 3, 0);
	q->len = 5;
	run_all();
	CU_ASSERT_EQUAL(res[4], 0);
	CU_ASSERT_EQUAL(res[3], -ECANCELED);
	/* ANY with USERDATA: ANY wins (io_cancel_req_match()). */
	reset();
	io_uring_prep_read(sqe_new(5), pipe_fds[0], buf, sizeof(buf), 0);
	io_uring_prep_timeout(sqe_new(6), &big, 0, 0);
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 2);
	io_uring_prep_cancel64(sqe_new(7), 12345, IORING_ASYNC_CANCEL_ANY |
			       ARING_ASYNC_CANCEL_USERDATA);
	run_all();
	CU_ASSERT_EQUAL(res[7], 2);
	CU_ASSERT_EQUAL(res[5], -ECANCELED);
	CU_ASSERT_EQUAL(res[6], -ECANCELED);
	/* ANY with FD or OP is refused at submit; FD of no file is -EBADF. */
	reset();
	io_uring_prep_cancel64(sqe_new(8), 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD);
	io_uring_prep_cancel_fd(sqe_new(9), 999, 0);
	q = sqe_new(10);
	io_uring_prep_cancel64(q, 0, ARING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL);
	q->len = IORING_OP_READ;
	run_all();
	CU_ASSERT_EQUAL(res[8], -EINVAL);
	CU_ASSERT_EQUAL(res[9], -EBADF);
	CU_ASSERT_EQUAL(res[10], 0);
	/* A cancel's own CQE comes before its victim's (task work). */
	reset();
	io_uring_prep_read(sqe_new(11), pipe_fds[0], buf, sizeof(buf), 0);
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 1);
	io_uring_prep_cancel64(sqe_new(12), 11, 0);
	run_all();
	CU_ASSERT_EQUAL(norder, 2);
	CU_ASSERT_EQUAL(order[0], 12);
	CU_ASSERT_EQUAL(order[1], 11);
	close_ring();
}

static void test_soft_timeouts(void)
{
	struct __kernel_timespec zero = { 0, 0 }, t = ms(5), big = ms(5000);
	struct io_uring_sqe *q;
	uint64_t t0;
	char buf[4];

	open_ring(16, 0);
	make_pipe();
	/* A multishot timeout with a zero interval fires again and again
	 * while time still passes (timeout.c io_timeout_complete() re-arms
	 * the hrtimer; the kernel takes no 0-interval exception). */
	reset();
	t0 = be->ops->now_ns(be);
	io_uring_prep_timeout(sqe_new(1), &zero, 3, ARING_TIMEOUT_MULTISHOT);
	run_all();
	CU_ASSERT_EQUAL(n[1], 3);
	CU_ASSERT_EQUAL(res[1], -ETIME);
	CU_ASSERT_EQUAL(fl[1] & IORING_CQE_F_MORE, 0);
	/* Forever (count 0): each submit sees a few shots, then a removal ends it. */
	reset();
	io_uring_prep_timeout(sqe_new(2), &zero, 0, ARING_TIMEOUT_MULTISHOT);
	CU_ASSERT_EQUAL(be->ops->submit(be, 1), 1);
	reap();
	CU_ASSERT_EQUAL(be->ops->submit(be, 1), 0);
	reap();
	CU_ASSERT(n[2] >= 2);
	CU_ASSERT(be->ops->now_ns(be) > t0);
	io_uring_prep_timeout_remove(sqe_new(3), 2, 0);
	run_all();
	CU_ASSERT_EQUAL(res[3], 0);
	CU_ASSERT_EQUAL(res[2], -ECANCELED);
	CU_ASSERT_EQUAL(fl[2] & IORING_CQE_F_MORE, 0);
	/* CQE_SKIP_SUCCESS on a linked timeout: no CQE when it fired, nor
	 * when it was disarmed (liburing test/skip-cqe.c). */
	reset();
	q = sqe_new(4);
	io_uring_prep_read(q, pipe_fds[0], buf, sizeof(buf), 0);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(5);
	io_uring_prep_link_timeout(q, &t, 0);
	q->flags = IOSQE_CQE_SKIP_SUCCESS;
	q = sqe_new(6);
	io_uring_prep_nop(q);
	q->flags = IOSQE_IO_LINK;
	q = sqe_new(7);
	io_uring_prep_link_timeout(q, &t, 0);
	q->flags = IOSQE_CQE_SKIP_SUCCESS;
	run_all();
	CU_ASSERT_EQUAL(res[4], -ECANCELED);
	CU_ASSERT_EQUAL(n[5], 0);
	CU_ASSERT_EQUAL(res[6], 0);
	CU_ASSERT_EQUAL(n[7], 0);
	/* TIMEOUT_REMOVE flags: LINK_TIMEOUT_UPDATE without TIMEOUT_UPDATE is a
	 * removal (io_timeout_remove()); unknown flags fail at submit. */
	reset();
	io_uring_prep_timeout(sqe_new(8), &big, 0, 0);
	CU_ASSERT_EQUAL(be->ops->submit(be, 0), 1);
	q = sqe_new(9);
	io_uring_prep_timeout_remove(q, 8, 0);
	q->timeout_flags = IORING_LINK_TIMEOUT_UPDATE;
	q = sqe_new(10);
	io_uring_prep_timeout_remove(q, 8, 0);
	q->timeout_flags = IORING_TIMEOUT_ABS;
	q = sqe_new(11);
	io_uring_prep_timeout_update(q, &t, 12345, 0);
	run_all();
	CU_ASSERT_EQUAL(res[9], -EFAULT); /* an update's timespec (addr2) is read at submit */
	CU_ASSERT_EQUAL(res[10], -EINVAL);
	CU_ASSERT_EQUAL(res[11], -ENOENT);
	CU_ASSERT_EQUAL(res[8], -ETIME);
	close_ring();
}

/* Drain, as Linux 6.18 orders it (io_drain_req(), io_queue_deferred()). */
static void drain_case(const uint64_t *uds, const unsigned *flags, unsigned nr,
		       unsigned bad, unsigned nbefore, const unsigned *after, unsigned nafter)
{
	struct sim *sim = sim_of(be);
	char buf[4];
	unsigned k;

	reset();
	/* A read of stdin, fed from outside the ring (as write(2) on a pipe
	 * would: a write through the ring would wait behind the drain). */
	io_uring_prep_read(sqe_new(uds[0]), 0, buf, 1, 0);
	for (k = 1; k < nr; k++) {
		struct io_uring_sqe *q = sqe_new(uds[k]);

		io_uring_prep_nop(q);
		q->flags = (uint8_t)flags[k];
		if (k == bad)
			q->rw_flags = 1 << 9; /* unknown nop flag: -EINVAL at submit */
	}
	CU_ASSERT(be->ops->submit(be, 0) >= 0);
	reap();
	CU_ASSERT_EQUAL(norder, nbefore);
	norder = 0;
	CU_ASSERT_EQUAL(aring__sim_pipe_put(sim->std_in, "x", 1), 1);
	aring__sim_wake(sim, &sim->std_in->wq);
	run_all();
	CU_ASSERT_EQUAL(norder, nafter);
	for (k = 0; k < nafter && k < norder; k++)
		CU_ASSERT_EQUAL(order[k], after[k]);
}

static void test_soft_drain(void)
{
	static const uint64_t a[] = { 1, 2, 3 }, b[] = { 4, 5, 6, 7 }, c[] = { 8, 9, 10 },
		d[] = { 11, 12, 13, 14, 15 };
	static const unsigned fa[] = { 0, IOSQE_IO_DRAIN, 0 },
		fb[] = { 0, IOSQE_IO_LINK, IOSQE_IO_DRAIN, 0 },
		fc[] = { 0, IOSQE_IO_DRAIN | IOSQE_IO_LINK, 0 },
		fd[] = { 0, IOSQE_IO_DRAIN, 0, IOSQE_IO_DRAIN, 0 };
	static const unsigned aa[] = { 1, 2, 3 }, ab[] = { 4, 5, 6, 7 }, ac[] = { 8 },
		ad[] = { 11, 12, 13, 14, 15 };

	open_ring(16, 0);
	/* Everything after a drain waits, the plain request after it too. */
	drain_case(a, fa, 3, 0, 0, aa, 3);
	/* A drain in the middle of a link drains the whole link. */
	drain_case(b, fb, 4, 0, 0, ab, 4);
	/* A bad member fails its drained chain at once (io_submit_fail_init()). */
	drain_case(c, fc, 3, 2, 2, ac, 1);
	CU_ASSERT_EQUAL(res[9], -ECANCELED);
	CU_ASSERT_EQUAL(res[10], -EINVAL);
	/* Two drains in a row. */
	drain_case(d, fd, 5, 0, 0, ad, 5);
	close_ring();
}

/* CANCEL_FD finds a file's requests through the hash by file, among many. */
static void test_soft_cancel_fd_many(void)
{
	enum { N = 20000 };
	int (*fds)[2] = calloc(N, sizeof(*fds));
	unsigned k, cancelled = 0, found = 0;
	static char buf[4];

	CU_ASSERT_FATAL(fds != NULL);
	open_ring(4096, 0);
	for (k = 0; k < N; k++) {
		struct io_uring_sqe *q = be->ops->get_sqe(be);

		if (!q) {
			CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
			q = be->ops->get_sqe(be);
		}
		aring__prep_pipe(q, fds[k], 0);
		q->user_data = 1;
	}
	CU_ASSERT(be->ops->submit(be, 0) >= 0);
	reset();
	reap();
	CU_ASSERT_EQUAL_FATAL(n[1], N);
	for (k = 0; k < N; k++) {
		struct io_uring_sqe *q = be->ops->get_sqe(be);

		if (!q) {
			CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
			q = be->ops->get_sqe(be);
		}
		io_uring_prep_read(q, fds[k][0], buf, 1, 0);
		q->user_data = 2;
	}
	CU_ASSERT(be->ops->submit(be, 0) >= 0);
	for (k = 0; k < N; k++) {
		struct io_uring_sqe *q = be->ops->get_sqe(be);
		struct io_uring_cqe *c[64];
		unsigned got, j;

		if (!q) {
			CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
			while ((got = be->ops->peek(be, c, 64))) {
				for (j = 0; j < got; j++) {
					cancelled += c[j]->user_data == 2 && c[j]->res == -ECANCELED;
					found += c[j]->user_data == 3 && c[j]->res == 0;
				}
				be->ops->advance(be, got);
			}
			q = be->ops->get_sqe(be);
		}
		io_uring_prep_cancel_fd(q, fds[N - 1 - k][0], 0);
		q->user_data = 3;
	}
	for (;;) {
		struct io_uring_cqe *c[64];
		unsigned got, j;
		int ret = be->ops->submit(be, 1);

		while ((got = be->ops->peek(be, c, 64))) {
			for (j = 0; j < got; j++) {
				cancelled += c[j]->user_data == 2 && c[j]->res == -ECANCELED;
				found += c[j]->user_data == 3 && c[j]->res == 0;
			}
			be->ops->advance(be, got);
		}
		if (ret == -EDEADLK)
			break;
		CU_ASSERT_FATAL(ret >= 0);
	}
	CU_ASSERT_EQUAL(found, N);
	CU_ASSERT_EQUAL(cancelled, N);
	close_ring();
	free(fds);
}

/* 100,000 timers and busy nops: the ring walks no list per completion. */
static void test_soft_many_timers(void)
{
	struct __kernel_timespec *ts = calloc(100000, sizeof(*ts));
	unsigned k, fired = 0, nops = 0, batch;
	uint64_t last = 0;
	bool in_order = true;

	CU_ASSERT_FATAL(ts != NULL);
	open_ring(4096, 0);
	for (k = 0; k < 100000; k++) {
		struct io_uring_sqe *q = be->ops->get_sqe(be);

		if (!q) {
			CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
			q = be->ops->get_sqe(be);
		}
		ts[k].tv_sec = 1 + (long long)((k * 7919u) % 100000u);
		io_uring_prep_timeout(q, &ts[k], 0, 0);
		q->user_data = 1000 + k;
	}
	CU_ASSERT(be->ops->submit(be, 0) >= 0);
	/* Busy: a million nops while the timers wait. */
	for (batch = 0; batch < 1000; batch++) {
		struct io_uring_cqe *c[64];
		unsigned got;

		for (k = 0; k < 1000; k++)
			io_uring_prep_nop(sqe_new(1));
		CU_ASSERT(be->ops->submit(be, 0) >= 0);
		while ((got = be->ops->peek(be, c, 64))) {
			for (k = 0; k < got; k++)
				nops += c[k]->user_data == 1;
			be->ops->advance(be, got);
		}
	}
	CU_ASSERT_EQUAL(nops, 1000000);
	/* The timers fire in deadline order. */
	for (;;) {
		struct io_uring_cqe *c[64];
		unsigned got;
		int ret = be->ops->submit(be, 1);

		while ((got = be->ops->peek(be, c, 64))) {
			for (k = 0; k < got; k++) {
				uint64_t d = (uint64_t)ts[c[k]->user_data - 1000].tv_sec;

				in_order &= d >= last && c[k]->res == -ETIME;
				last = d;
				fired++;
			}
			be->ops->advance(be, got);
		}
		if (ret == -EDEADLK)
			break;
		CU_ASSERT_FATAL(ret >= 0 || ret == -EBUSY);
	}
	CU_ASSERT_EQUAL(fired, 100000);
	CU_ASSERT(in_order);
	close_ring();
	free(ts);
}

/* ---------------------------------------------------------------- stack room */

static int room_big, room_small;
static struct aring__ctx room_main, room_ctx;

static void room_on_own_stack(void *arg)
{
	(void)arg;
	room_small = aring__stack_room(1);
	aring__ctx_switch(&room_ctx, &room_main);
}

static void *room_thread(void *arg)
{
	(void)arg;
	room_big = aring__stack_room(256 * 1024);
	room_small = aring__stack_room(16 * 1024);
	return NULL;
}

/*
 * aring__stack_room decides whether the soft ring's submit work may run on
 * the caller's stack (backends/soft/ring.c soft_submit): only on the thread's
 * own stack, and only with the room asked for below the caller.
 */
static void test_stack_room(void)
{
	void *top, *h;
	pthread_attr_t a;
	pthread_t t;
	struct rlimit rl;

	/* the main thread: 8 MiB unless the limit says otherwise (unlimited:
	 * it may grow to the next mapping, which glibc reports) */
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur >= 1024 * 1024)
		CU_ASSERT(aring__stack_room(256 * 1024));
	if (rl.rlim_cur != RLIM_INFINITY)
		CU_ASSERT(!aring__stack_room((size_t)1 << 40));
	/* a thread with a 128 KiB stack: room for 16 KiB, not for 256 KiB */
	pthread_attr_init(&a);
	CU_ASSERT_EQUAL_FATAL(pthread_attr_setstacksize(&a, 128 * 1024), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &a, room_thread, NULL), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	CU_ASSERT(!room_big);
	CU_ASSERT(room_small);
	/* a context on a stack of its own (a task's): never */
	h = aring__stack_alone_get(64 * 1024, &top);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	room_ctx.stack_lo = (char *)top - 64 * 1024;
	room_ctx.stack_size = 64 * 1024;
	aring__ctx_make(&room_ctx, room_on_own_stack, NULL);
	room_small = -1;
	aring__ctx_switch(&room_main, &room_ctx);
	CU_ASSERT_EQUAL(room_small, 0);
	aring__stack_alone_put(h);
}

static CU_TestInfo tests[] = {
	{ "links, hardlinks, short reads, bad SQEs in chains", test_links },
	{ "aring__stack_room: the thread's own stack, with room", test_stack_room },
	{ "CQE_SKIP_SUCCESS and IO_DRAIN", test_skip_drain },
	{ "linked timeouts", test_link_timeout },
	{ "async cancel: user_data, fd, all, any, -EALREADY", test_cancel },
	{ "timeouts: count, ETIME_SUCCESS, update, remove, abs", test_timeouts },
	{ "CQ overflow, -EDEADLK, -EOPNOTSUPP", test_overflow_deadlock },
	{ "same-instant order depends on the seed", test_order },
	{ "soft ring: inline issue, count timeouts, timespecs, NOP flags", test_soft_inline },
	{ "soft ring: cancel ALL/ANY/len/USERDATA/FD, CQE order", test_soft_cancel },
	{ "soft ring: zero-interval multishot, skip on link timeouts, remove flags",
	  test_soft_timeouts },
	{ "soft ring: drain", test_soft_drain },
	{ "soft ring: 100,000 timers and a million nops", test_soft_many_timers },
	{ "soft ring: CANCEL_FD among 20,000 reads", test_soft_cancel_fd_many },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const uint64_t seeds[] = { 1, 2, 3, 0xdeadbeef, 12345 };
	const char *env = getenv("ARING_SIM_SEED");
	unsigned k, nseeds = env ? 1 : sizeof(seeds) / sizeof(seeds[0]);
	int failed = 0;

	for (k = 0; k < nseeds; k++) {
		CU_SuiteInfo suites[] = { { "sim ring", NULL, NULL, NULL, NULL, tests },
					  CU_SUITE_INFO_NULL };
		unsigned f;

		seed = env ? strtoull(env, NULL, 0) : seeds[k];
		if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
			return 1;
		CU_basic_set_mode(CU_BRM_VERBOSE);
		CU_basic_run_tests();
		f = CU_get_number_of_failures();
		CU_cleanup_registry();
		if (f) {
			printf("sim ring: %u failure(s); replay with ARING_SIM_SEED=%" PRIu64 "\n", f, seed);
			failed = 1;
		}
	}
	return failed;
}
