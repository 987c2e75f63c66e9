/* SPDX-License-Identifier: MIT */
/*
 * WAITID in a process without children (the test's own on uring; the sim's
 * loops never have any, sim/proc.c), URING_CMD on sockets and files, and
 * RECV_ZC without a zero-copy receive queue (sim/cmd.c). Not on epoll: it
 * runs none of these ops (-EOPNOTSUPP, docs/ops.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/abi.h"
#include "tests/helpers.h"

static int waitid_task(aring_loop *loop, void *arg)
{
	siginfo_t si;

	(void)arg;
	memset(&si, 0x5a, sizeof(si));
	CU_ASSERT_EQUAL(aring_waitid(loop, P_ALL, 0, &si, WEXITED, 0, NULL), -ECHILD);
	CU_ASSERT_EQUAL(aring_waitid(loop, P_ALL, 0, &si, WEXITED | WNOHANG, 0, NULL), -ECHILD);
	CU_ASSERT_EQUAL(aring_waitid(loop, P_PID, 1, &si, WEXITED, 0, NULL), -ECHILD);
	CU_ASSERT_EQUAL(aring_waitid(loop, P_PGID, 0, &si, WEXITED | WSTOPPED, 0, NULL), -ECHILD);
	/* options: none of WEXITED/WSTOPPED/WCONTINUED, or unknown bits */
	CU_ASSERT_EQUAL(aring_waitid(loop, P_ALL, 0, &si, WNOHANG, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_waitid(loop, P_ALL, 0, &si, WEXITED | 0x100, 0, NULL), -EINVAL);
	/* ids and idtypes */
	CU_ASSERT_EQUAL(aring_waitid(loop, P_PID, 0, &si, WEXITED, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_waitid(loop, (idtype_t)9, 0, &si, WEXITED, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_waitid(loop, (idtype_t)3 /* P_PIDFD */, 9999, &si, WEXITED, 0, NULL),
			-EBADF);
	/* io_waitid_prep(): waitid_flags must be 0 */
	CU_ASSERT_EQUAL(aring_waitid(loop, P_ALL, 0, &si, WEXITED, 1, NULL), -EINVAL);
	return 0;
}

static void test_waitid(void)
{
	CU_ASSERT_EQUAL(th_run(waitid_task, NULL, 0), 0);
}

static int cmd_task(aring_loop *loop, void *arg)
{
	char dir[128];
	int c, s, fd, v = -1, p[2];

	(void)arg;
	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "12345", 5, 0, NULL), 5);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_SIOCINQ, s, 0, 0, NULL, 0, NULL),
			5);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_SIOCINQ, c, 0, 0, NULL, 0, NULL),
			0);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_GETSOCKOPT, s, SOL_SOCKET,
				       SO_TYPE, &v, sizeof(v), NULL), (int)sizeof(v));
	CU_ASSERT_EQUAL(v, SOCK_STREAM);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_GETSOCKOPT, s, SOL_SOCKET,
				       SO_ERROR, &v, sizeof(v), NULL), (int)sizeof(v));
	CU_ASSERT_EQUAL(v, 0);
	/* getsockopt only at SOL_SOCKET; an unknown command */
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_GETSOCKOPT, s, 6 /* TCP */,
				       1, &v, sizeof(v), NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, 99, s, 0, 0, NULL, 0, NULL), -EOPNOTSUPP);
	/* A file and a pipe have no ->uring_cmd. */
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "x");
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_SIOCINQ, fd, 0, 0, NULL, 0, NULL),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_SIOCINQ, p[0], 0, 0, NULL, 0,
				       NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(aring_cmd_sock(loop, ARING_SOCKET_URING_OP_SIOCINQ, 9999, 0, 0, NULL, 0,
				       NULL), -EBADF);
	th_close_pair(loop, p);
	aring_close(loop, fd, NULL);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_uring_cmd(void)
{
	CU_ASSERT_EQUAL(th_run(cmd_task, NULL, 0), 0);
}

static int never(aring_loop *loop, int res, unsigned cqe_flags, void *arg)
{
	(void)loop;
	(void)res;
	(void)cqe_flags;
	(void)arg;
	CU_FAIL("recv_zc posted a CQE");
	return 0;
}

/* The generic uring_cmd wrapper, and recv_zc without a zcrx queue: -EINVAL. */
static int generic_task(aring_loop *loop, void *arg)
{
	char dir[128], big[17] = { 0 };
	int c, s, fd;

	(void)arg;
	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "abc", 3, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_uring_cmd(loop, s, ARING_SOCKET_URING_OP_SIOCINQ, NULL, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_uring_cmd(loop, s, ARING_SOCKET_URING_OP_SIOCINQ, big, 17, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(aring_uring_cmd(loop, s, ARING_SOCKET_URING_OP_SIOCINQ, NULL, 4, NULL),
			-EFAULT);
	CU_ASSERT_EQUAL(aring_recv_zc(loop, s, 0, 0, never, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_recv_zc(loop, s, 0, 0, NULL, NULL, NULL), -EINVAL);
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "x");
	CU_ASSERT_EQUAL(aring_uring_cmd(loop, fd, 0, NULL, 0, NULL), -EOPNOTSUPP);
	aring_close(loop, fd, NULL);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_generic(void)
{
	CU_ASSERT_EQUAL(th_run(generic_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "aring_uring_cmd; aring_recv_zc without a zcrx queue -EINVAL", test_generic },
	{ "waitid: a process without children -ECHILD; bad arguments -EINVAL", test_waitid },
	{ "uring_cmd: SIOCINQ, GETSOCKOPT on sockets; files -EOPNOTSUPP", test_uring_cmd },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(ARING_OP_WAITID, "WAITID"))
		return 77;
	/* not epoll: it runs none of these ops */
	return th_main(argc, argv, "waitid", tests, TH_URING | TH_SIM);
}
