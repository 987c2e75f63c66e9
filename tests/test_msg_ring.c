/* SPDX-License-Identifier: MIT */
/*
 * aring_msg_ring (IORING_OP_MSG_RING, IORING_MSG_DATA) from one loop to
 * another and to itself, on uring (the target's ring fd) and on the sim
 * (a ring fd from aring_sim_ring_fd, sim/msgring.c). The receiving loop
 * counts the CQEs as foreign. Not on epoll: it has no ring to post to.
 */
#include <errno.h>
#include <string.h>

#include <aring/sim.h>
#include "tests/helpers.h"

struct msg {
	int fd;        /* the target's ring fd in the sender's table */
	int self_fd;   /* the sender's own ring fd */
};

/* A fd for target's ring, usable from loop. */
static int ring_fd(aring_loop *loop, aring_loop *target)
{
	if (aring_loop_backend(loop) == ARING_BACKEND_SIM)
		return aring_sim_ring_fd(loop, target);
	return aring_ring(target)->ring_fd;
}

/* The sim's ring fds are the sender's to close (uring's are the rings' own). */
static int drop_fds(aring_loop *loop, void *arg)
{
	struct msg *m = arg;

	if (aring_loop_backend(loop) != ARING_BACKEND_SIM)
		return 0;
	CU_ASSERT_EQUAL(aring_close(loop, m->fd, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, m->self_fd, NULL), 0);
	return 0;
}

static int sender(aring_loop *loop, void *arg)
{
	struct msg *m = arg;
	int p[2];

	CU_ASSERT_EQUAL(aring_msg_ring(loop, m->fd, 7, 0x1234, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_msg_ring(loop, m->fd, 8, 0x5678, 0, NULL), 0);
	/* to its own ring: counted as foreign by itself */
	CU_ASSERT_EQUAL(aring_msg_ring(loop, m->self_fd, 1, 0x9abc, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	/* unknown flags -EINVAL; a file that is no ring -EBADFD; a bad fd -EBADF */
	CU_ASSERT_EQUAL(aring_msg_ring(loop, m->fd, 1, 1, 1u << 7, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_msg_ring(loop, p[0], 1, 1, 0, NULL), -EBADFD);
	CU_ASSERT_EQUAL(aring_msg_ring(loop, 9999, 1, 1, 0, NULL), -EBADF);
	th_close_pair(loop, p);
	return 0;
}

static int idle(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_nop(loop, NULL);
}

static void test_msg_ring_data(void)
{
	aring_loop *a = th_loop_new(0), *b = th_loop_new(0);
	struct msg m;

	m.fd = ring_fd(a, b);
	m.self_fd = ring_fd(a, a);
	CU_ASSERT(m.fd >= 0 && m.self_fd >= 0);
	CU_ASSERT_EQUAL(th_run_on(a, sender, &m), 0);
	CU_ASSERT_EQUAL(aring_foreign_cqes(a), 1);
	CU_ASSERT_EQUAL(th_run_on(b, idle, NULL), 0);
	CU_ASSERT_EQUAL(aring_foreign_cqes(b), 2);
	CU_ASSERT_EQUAL(th_run_on(a, drop_fds, &m), 0);
	aring_loop_free(b);
	aring_loop_free(a);
}

/* The sim's ring fds: only sim loops; a target freed first takes messages silently. */
static void test_sim_ring_fd(void)
{
	aring_loop *a, *b;
	struct msg m;

	if (!th_is_sim())
		return;
	a = th_loop_new(0);
	b = th_loop_new(0);
	CU_ASSERT_EQUAL(aring_sim_ring_fd(NULL, b), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_ring_fd(a, NULL), -EINVAL);
	m.fd = aring_sim_ring_fd(a, b);
	m.self_fd = aring_sim_ring_fd(a, a);
	aring_loop_free(b);
	CU_ASSERT_EQUAL(th_run_on(a, sender, &m), 0);
	aring_loop_free(a);
}

static CU_TestInfo tests[] = {
	{ "msg_ring data to another loop and to itself", test_msg_ring_data },
	{ "sim ring fds: arguments, a target freed first", test_sim_ring_fd },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(IORING_OP_MSG_RING, "MSG_RING"))
		return 77;
	/* not epoll: it runs no MSG_RING (no ring to post to) */
	return th_main(argc, argv, "msg_ring", tests, TH_URING | TH_SIM);
}
