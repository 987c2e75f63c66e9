/* SPDX-License-Identifier: MIT */
/* uring only: epoll_ctl on a real epoll instance (and epoll_wait where the kernel has it). */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/abi.h"
#include "tests/helpers.h"

static int epoll_task(aring_loop *loop, void *arg)
{
	struct epoll_event ev, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];

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

static CU_TestInfo tests[] = {
	{ "epoll_ctl", test_epoll_ctl },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(IORING_OP_EPOLL_CTL, "EPOLL_CTL"))
		return 77;
	/* uring only: the epoll backend does not run IORING_OP_EPOLL_CTL (has_op false, -EOPNOTSUPP) */
	return th_main(argc, argv, "epoll", tests, TH_URING);
}
