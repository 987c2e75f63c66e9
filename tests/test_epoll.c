/* SPDX-License-Identifier: MIT */
/*
 * epoll_ctl and epoll_wait through the ring, on uring and on the sim (its
 * epoll model, sim/epoll.c): level-triggered, EPOLLET, EPOLLONESHOT, nested
 * instances, errors; and on uring a registration seen by epoll_wait(2).
 * Not on epoll: that backend runs neither op (-EOPNOTSUPP, docs/ops.md).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/abi.h"
#include "tests/helpers.h"

static int epoll_task(aring_loop *loop, void *arg)
{
	struct epoll_event ev, out[4];
	int ep;
	int p[2];

	if (aring_loop_backend(loop) != ARING_BACKEND_URING)
		return 0; /* epoll_wait(2) below needs a real epoll instance */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CU_ASSERT(ep >= 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = 77;
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_ADD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_ADD, &ev, NULL), -EEXIST);
	ev.events = EPOLLIN | EPOLLET;
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_MOD, &ev, NULL), 0);
	/* The registration is real: epoll_wait(2) sees the pipe become readable. */
	CU_ASSERT_EQUAL(epoll_wait(ep, out, 4, 0), 0);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], "e", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(epoll_wait(ep, out, 4, 0), 1);
	CU_ASSERT_EQUAL(out[0].data.u64, 77);
	if (aring_op_supported(loop, ARING_OP_EPOLL_WAIT)) {
		CU_ASSERT_EQUAL(aring_write(loop, p[1], "f", 1, 0, NULL), 1);
		CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
		CU_ASSERT_EQUAL(out[0].data.u64, 77);
	}
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_DEL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_DEL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_MOD, &ev, NULL), -ENOENT);
	/* Bad epoll fd, not an epoll fd, epoll on itself, a bad op. */
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, 9999, p[0], EPOLL_CTL_ADD, &ev, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, p[1], p[0], EPOLL_CTL_ADD, &ev, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, ep, EPOLL_CTL_ADD, &ev, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], 99, &ev, NULL), -EINVAL);
	th_close_pair(loop, p);
	close(ep);
	return 0;
}

static void test_epoll_ctl(void)
{
	CU_ASSERT_EQUAL(th_run(epoll_task, NULL, 0), 0);
}

static void set_ev(struct epoll_event *ev, uint32_t events, uint64_t data)
{
	memset(ev, 0, sizeof(*ev));
	ev->events = events;
	ev->data.u64 = data;
}

/* epoll_wait bounded by 1 ms: nothing ready gives -ETIME. */
static int wait1(aring_loop *loop, int ep, struct epoll_event *out)
{
	struct aring_opt o = { .timeout_ns = 1000000 };

	return aring_epoll_wait(loop, ep, out, 4, 0, &o);
}

static int ring_epoll_task(aring_loop *loop, void *arg)
{
	struct epoll_event ev, out[4];
	int ep = aring_epoll_create(loop, EPOLL_CLOEXEC), ep2, p[2], q[2], fd;
	char dir[128], b[8];
	aring_task *t;

	(void)arg;
	CU_ASSERT(ep >= 0);
	CU_ASSERT_EQUAL(aring_epoll_create(loop, 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, q, 0, NULL), 0);
	/* Level-triggered: a wait waits for the writer, then reports while ready. */
	set_ev(&ev, EPOLLIN, 1);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_ADD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, p[0], EPOLL_CTL_ADD, &ev, NULL), -EEXIST);
	t = th_write_later(loop, p[1], "x");
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	CU_ASSERT_EQUAL(out[0].data.u64, 1);
	CU_ASSERT_EQUAL(out[0].events, EPOLLIN);
	CU_ASSERT_EQUAL(th_join(loop, t), 1);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_read(loop, p[0], b, sizeof(b), -1, NULL), 1);
	CU_ASSERT_EQUAL(wait1(loop, ep, out), -ETIME);
	/* EPOLLET: once per edge. */
	set_ev(&ev, EPOLLIN | EPOLLET, 2);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_ADD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, q[1], "ab", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	CU_ASSERT_EQUAL(out[0].data.u64, 2);
	CU_ASSERT_EQUAL(wait1(loop, ep, out), -ETIME);
	CU_ASSERT_EQUAL(aring_write(loop, q[1], "c", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	/* EPOLLONESHOT: once, until EPOLL_CTL_MOD arms it again. */
	set_ev(&ev, EPOLLIN | EPOLLONESHOT, 3);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_MOD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	CU_ASSERT_EQUAL(out[0].data.u64, 3);
	CU_ASSERT_EQUAL(wait1(loop, ep, out), -ETIME);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_MOD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 4, 0, NULL), 1);
	/* DEL; what is missing; bad fds, not an epoll, itself, a bad op. */
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_DEL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_DEL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], EPOLL_CTL_MOD, &ev, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, 9999, q[0], EPOLL_CTL_ADD, &ev, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, 9999, EPOLL_CTL_ADD, &ev, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, p[1], q[0], EPOLL_CTL_ADD, &ev, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, ep, EPOLL_CTL_ADD, &ev, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, q[0], 99, &ev, NULL), -EINVAL);
	/* A regular file cannot be polled: -EPERM. epoll_wait: no epoll, no room. */
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "x");
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, fd, EPOLL_CTL_ADD, &ev, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, p[0], out, 4, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep, out, 0, 0, NULL), -EINVAL);
	/* Nested: ep inside ep2 is ready when ep is; a loop -ELOOP. */
	ep2 = aring_epoll_create(loop, 0);
	CU_ASSERT(ep2 >= 0);
	set_ev(&ev, EPOLLIN, 4);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep2, ep, EPOLL_CTL_ADD, &ev, NULL), 0);
	CU_ASSERT_EQUAL(aring_epoll_ctl(loop, ep, ep2, EPOLL_CTL_ADD, &ev, NULL), -ELOOP);
	CU_ASSERT_EQUAL(wait1(loop, ep2, out), -ETIME);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], "z", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_epoll_wait(loop, ep2, out, 4, 0, NULL), 1);
	CU_ASSERT_EQUAL(out[0].data.u64, 4);
	CU_ASSERT_EQUAL(out[0].events, EPOLLIN);
	/* Closing the watched file's last fd takes its item out. */
	th_close_pair(loop, p);
	CU_ASSERT_EQUAL(wait1(loop, ep, out), -ETIME);
	th_close_pair(loop, q);
	aring_close(loop, fd, NULL);
	aring_close(loop, ep2, NULL);
	aring_close(loop, ep, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_ring_epoll(void)
{
	CU_ASSERT_EQUAL(th_run(ring_epoll_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "epoll_ctl", test_epoll_ctl },
	{ "epoll_ctl, epoll_wait: LT, ET, ONESHOT, nested, errors", test_ring_epoll },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(ARING_OP_EPOLL_WAIT, "EPOLL_WAIT"))
		return 77;
	/* not epoll: that backend runs neither op (has_op false, -EOPNOTSUPP) */
	return th_main(argc, argv, "epoll", tests, TH_URING | TH_SIM);
}
