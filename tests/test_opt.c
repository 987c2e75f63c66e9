/* SPDX-License-Identifier: MIT */
/*
 * struct aring_opt: sqe_flags validation, cqe_flags out, ids; and every
 * kind of op called outside a task gives -EPERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

static int sqe_flags_task(aring_loop *loop, void *arg)
{
	static const unsigned bad[] = { IOSQE_IO_LINK, IOSQE_IO_HARDLINK, IOSQE_CQE_SKIP_SUCCESS, 1u << 7,
					1u << 8 };
	int fds[2];
	char buf[8];
	unsigned i;

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aring_opt o = { .sqe_flags = bad[i] };

		CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, 0, &o), -EINVAL);
		CU_ASSERT_EQUAL(aring_nop(loop, &o), -EINVAL);
	}
	/* Nothing of the rejected writes was submitted: the pipe is empty. */
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	/* The allowed flags work. */
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .sqe_flags = IOSQE_ASYNC }), 0);
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .sqe_flags = IOSQE_IO_DRAIN }), 0);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "ok", 2, 0, &(struct aring_opt){ .sqe_flags = IOSQE_ASYNC }), 2);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, NULL), 2);
	th_close_pair(loop, fds);
	return 0;
}

static void test_sqe_flags(void)
{
	CU_ASSERT_EQUAL(th_run(sqe_flags_task, NULL, 0), 0);
}

static int cqe_flags_task(aring_loop *loop, void *arg)
{
	unsigned flags = ~0u;
	uint64_t id1 = 0, id2 = 0;
	char buf[4];
	int c, s;

	/* Written on every completion, 0 for a plain nop. */
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .cqe_flags = &flags, .id = &id1 }), 0);
	CU_ASSERT_EQUAL(flags, 0);
	/* Ids are handed out in increasing order, never 0. */
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .id = &id2 }), 0);
	CU_ASSERT(id1 != 0 && id2 > id1);
	/* A recv that leaves data behind reports IORING_CQE_F_SOCK_NONEMPTY. */
	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "12345678", 8, 0, NULL), 8);
	CU_ASSERT(aring_poll_add(loop, s, POLLIN, NULL) & POLLIN);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, 4, 0, &(struct aring_opt){ .cqe_flags = &flags }), 4);
	CU_ASSERT(flags & IORING_CQE_F_SOCK_NONEMPTY);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, 4, 0, &(struct aring_opt){ .cqe_flags = &flags }), 4);
	CU_ASSERT_EQUAL(flags & IORING_CQE_F_SOCK_NONEMPTY, 0);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_cqe_flags_and_ids(void)
{
	CU_ASSERT_EQUAL(th_run(cqe_flags_task, NULL, 0), 0);
}

static int never(aring_loop *loop, int res, unsigned flags, void *arg)
{
	return 1;
}

static void prep_nop(struct io_uring_sqe *sqe, void *arg)
{
	io_uring_prep_nop(sqe);
}

static void prep_nops(struct io_uring_sqe **sqes, void *arg)
{
	io_uring_prep_nop(sqes[0]);
}

static void test_outside_a_task(void)
{
	aring_loop *loop = th_loop_new(0);
	struct __kernel_timespec ts = { 0, 1000 };
	struct sockaddr_in a = th_addr(0);
	char buf[4];
	int fds[2];

	CU_ASSERT_PTR_NULL(aring_current(loop));
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, sizeof(buf), 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_write(loop, 1, "x", 1, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/", O_RDONLY, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_accept(loop, 0, NULL, NULL, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_connect(loop, 0, (struct sockaddr *)&a, sizeof(a), NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_bind(loop, 0, (struct sockaddr *)&a, sizeof(a), NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_listen(loop, 0, 1, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_close(loop, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_timeout(loop, &ts, 0, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_sleep(loop, 1000), -EPERM);
	CU_ASSERT_EQUAL(aring_cancel(loop, 1, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_timeout_remove(loop, 1, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_timeout_update(loop, &ts, 1, 0, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_poll_remove(loop, 1, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_do(loop, prep_nop, NULL, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_do_n(loop, 1, prep_nops, NULL, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, 0, 0, never, NULL, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_poll_multishot(loop, 0, POLLIN, never, NULL, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_write_all(loop, 1, "x", 1, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_printf(loop, 1, "%d", 1), -EPERM);
	/* A yield outside a task does nothing; the loop still runs. */
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "sqe_flags: links and CQE_SKIP_SUCCESS are refused", test_sqe_flags },
	{ "cqe_flags and ids", test_cqe_flags_and_ids },
	{ "ops outside a task give -EPERM", test_outside_a_task },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "opt", tests, TH_BOTH);
}
