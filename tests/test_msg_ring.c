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

/* SEND_FD to a freed target: the message goes nowhere (sim/msgring.c), res 0. */
static int send_fd_nowhere(aring_loop *loop, void *arg)
{
	struct msg *m = arg;
	int p[2];

	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_register_files(loop, p, 1), 0);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, m->fd, 0, 1, 0x31, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, m->fd, 1, 1, 0x31, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, m->self_fd, 0, 1, 0x31, 0, NULL), -EINVAL);
	th_close_pair(loop, p);
	return 0;
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
	CU_ASSERT_EQUAL(th_run_on(a, send_fd_nowhere, &m), 0);
	aring_loop_free(a);
}

/*
 * IORING_MSG_SEND_FD (aring_msg_ring_fd): kernel io_uring/msg_ring.c
 * io_msg_send_fd() and filetable.c __io_fixed_fd_install(), checked on
 * Linux 6.18. The sim makes the same checks and answers -EXDEV where the
 * kernel installs the file (sim/msgring.c).
 */
struct fdmsg {
	struct msg m;
	int p[2];
	int want_ok;   /* the kernel installs; the sim answers -EXDEV */
};

static int fd_sender(aring_loop *loop, void *arg)
{
	struct fdmsg *x = arg;
	int fds[2];

	/* the sender has no table, then an empty slot, one past its table */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 1, 0x11, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_pipe(loop, x->p, 0, NULL), 0);
	fds[0] = -1, fds[1] = x->p[0];
	CU_ASSERT_EQUAL(aring_register_files(loop, fds, 2), 0);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 0, 1, 0x11, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 2, 1, 0x11, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, -1, 1, 0x11, 0, NULL), -EBADF);
	/* its own ring -EINVAL */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.self_fd, 1, 1, 0x11, 0, NULL), -EINVAL);
	/* the target has no table: a slot -ENXIO, an allocation -ENFILE */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 1, 0x11, 0, NULL), -ENXIO);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, ARING_FILE_INDEX_ALLOC, 0x11, 0, NULL),
			-ENFILE);
	return 0;
}

static int fd_sender2(aring_loop *loop, void *arg)
{
	struct fdmsg *x = arg;
	int ok = x->want_ok;

	/* the target has 2 slots: index 0 and 3 -EINVAL */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 0, 0x11, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 3, 0x11, 0, NULL), -EINVAL);
	/* into its slot 1 (0), then a free one: slot 0, then none free */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 2, 0x21, 0, NULL), ok ? 0 : -EXDEV);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, ARING_FILE_INDEX_ALLOC, 0x22, 0, NULL),
			ok ? 0 : -EXDEV);
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, ARING_FILE_INDEX_ALLOC, 0x23, 0, NULL),
			ok ? -ENFILE : -EXDEV);
	/* replacing slot 1 with CQE_SKIP: no CQE on the target */
	CU_ASSERT_EQUAL(aring_msg_ring_fd(loop, x->m.fd, 1, 2, 0x24, IORING_MSG_RING_CQE_SKIP, NULL),
			ok ? 0 : -EXDEV);
	CU_ASSERT_EQUAL(aring_write(loop, x->p[1], "sent", 4, 0, NULL), 4);
	return 0;
}

/* The target reads the pipe through the slot the file went to. */
static int fd_target(aring_loop *loop, void *arg)
{
	struct fdmsg *x = arg;
	struct aring_opt fixed = { .sqe_flags = IOSQE_FIXED_FILE };
	char b[8];

	if (!x->want_ok)
		return 0;
	CU_ASSERT_EQUAL(aring_read(loop, 1, b, sizeof(b), 0, &fixed), 4);
	CU_ASSERT_EQUAL(memcmp(b, "sent", 4), 0);
	return 0;
}

static int fd_cleanup(aring_loop *loop, void *arg)
{
	struct fdmsg *x = arg;

	th_close_pair(loop, x->p);
	return drop_fds(loop, &x->m);
}

static void test_msg_ring_send_fd(void)
{
	aring_loop *a = th_loop_new(0), *b = th_loop_new(0);
	struct fdmsg x;

	x.want_ok = !th_is_sim();
	x.m.fd = ring_fd(a, b);
	x.m.self_fd = ring_fd(a, a);
	CU_ASSERT(x.m.fd >= 0 && x.m.self_fd >= 0);
	CU_ASSERT_EQUAL(th_run_on(a, fd_sender, &x), 0);
	CU_ASSERT_EQUAL(aring_register_files_sparse(b, 2), 0);
	CU_ASSERT_EQUAL(th_run_on(a, fd_sender2, &x), 0);
	CU_ASSERT_EQUAL(th_run_on(b, fd_target, &x), 0);
	/* the installs posted 2 CQEs on b (foreign to it), CQE_SKIP none */
	CU_ASSERT_EQUAL(aring_foreign_cqes(b), x.want_ok ? 2 : 0);
	CU_ASSERT_EQUAL(th_run_on(a, fd_cleanup, &x), 0);
	aring_loop_free(b);
	aring_loop_free(a);
}

static CU_TestInfo tests[] = {
	{ "msg_ring data to another loop and to itself", test_msg_ring_data },
	{ "sim ring fds: arguments, a target freed first", test_sim_ring_fd },
	{ "msg_ring send_fd: both tables checked, the file installed", test_msg_ring_send_fd },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(IORING_OP_MSG_RING, "MSG_RING"))
		return 77;
	/* not epoll: it runs no MSG_RING (no ring to post to) */
	return th_main(argc, argv, "msg_ring", tests, TH_URING | TH_SIM);
}
