/* SPDX-License-Identifier: MIT */
/*
 * CQEs aring did not make: an aring_msg_ring from another loop, a raw SQE
 * submitted through aring_ring(). The receiving loop must count and ignore
 * them, never take their user_data for one of its ops. uring only: the sim
 * has no ring fd to post to, and aring_ring() is NULL there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

struct msg {
	int ring_fd;      /* the receiving loop's ring */
	uint64_t data;
};

static int sender(aring_loop *loop, void *arg)
{
	struct msg *m = arg;

	return aring_msg_ring(loop, m->ring_fd, 7, m->data, 0, NULL);
}

/* The receiver runs ops around the foreign CQEs: it must not notice them. */
static int receiver(aring_loop *loop, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
		CU_ASSERT_EQUAL(aring_sleep(loop, 1000), 0);
	}
	return 0;
}

static void send_one(aring_loop *to, uint64_t data, int expect)
{
	aring_loop *from = th_loop_new(0);
	struct msg m = { aring_ring(to)->ring_fd, data };

	CU_ASSERT_EQUAL(th_run_on(from, sender, &m), expect);
	aring_loop_free(from);
}

static void test_msg_ring_foreign(void)
{
	aring_loop *to = th_loop_new(0);
	/* Looks like an op on a stack: a mapped, writable, aligned address. */
	uint64_t *fake = calloc(64, sizeof(uint64_t));

	send_one(to, 0x1234, 0);
	send_one(to, (uint64_t)(uintptr_t)(fake + 8), 0);
	send_one(to, 0, 0);
	send_one(to, ~(uint64_t)0, 0);
	/* aring's own range cannot be forged through aring_msg_ring. */
	send_one(to, ARING_UD_TAG | (uint64_t)(uintptr_t)(fake + 8), -EINVAL);
	CU_ASSERT_EQUAL(th_run_on(to, receiver, NULL), 0);
	CU_ASSERT_EQUAL(aring_foreign_cqes(to), 4);
	/* The loop keeps running after them. */
	CU_ASSERT_EQUAL(th_run_on(to, receiver, NULL), 0);
	aring_loop_free(to);
	free(fake);
}

static int raw_sqe_task(aring_loop *loop, void *arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(aring_ring(loop));

	(void)arg;
	CU_ASSERT_FATAL(sqe != NULL);
	io_uring_prep_nop(sqe);
	sqe->user_data = 77;
	/* Submitted with this op's SQE; its CQE arrives beside it. */
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	CU_ASSERT_EQUAL(aring_sleep(loop, 1000), 0);
	return 0;
}

static void test_raw_sqe_foreign(void)
{
	aring_loop *loop = th_loop_new(0);

	CU_ASSERT_EQUAL(th_run_on(loop, raw_sqe_task, NULL), 0);
	CU_ASSERT_EQUAL(aring_foreign_cqes(loop), 1);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "aring_msg_ring to a loop: foreign CQEs are counted and ignored", test_msg_ring_foreign },
	{ "a raw SQE through aring_ring(): its CQE is ignored", test_raw_sqe_foreign },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	/* uring only: raw SQEs and MSG_RING need aring_ring() and a ring fd, which the soft ring (sim, epoll) does not have */
	return th_main(argc, argv, "foreign", tests, TH_URING);
}
