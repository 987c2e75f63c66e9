/* SPDX-License-Identifier: MIT */
/*
 * splice (file -> pipe -> file, socket -> pipe, pipe -> pipe, pipe -> socket)
 * and tee between pipes, on every backend (the sim's model: sim/splice.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

static int splice_task(aring_loop *loop, void *arg)
{
	char dir[128], buf[32] = { 0 };
	int in, out, p[2], c, s;

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	in = th_file(loop, dir, "in", "0123456789abcdef");
	out = th_file(loop, dir, "out", "");
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	/* 10 bytes from offset 6 of the file into the pipe, then out to offset 2. */
	CU_ASSERT_EQUAL(aring_splice(loop, in, 6, p[1], -1, 10, 0, NULL), 10);
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, out, 2, 10, 0, NULL), 10);
	CU_ASSERT_EQUAL(aring_read(loop, out, buf, sizeof(buf), 0, NULL), 12);
	CU_ASSERT_EQUAL(memcmp(buf, "\0\0" "6789abcdef", 12), 0);
	/* Neither end a pipe; an offset on a pipe; a bad fd. */
	CU_ASSERT_EQUAL(aring_splice(loop, in, 0, out, 0, 4, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_splice(loop, in, 0, p[1], 3, 4, 0, NULL), -ESPIPE);
	CU_ASSERT_EQUAL(aring_splice(loop, 9999, -1, p[1], -1, 4, 0, NULL), -EBADF);
	/* From a socket. */
	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "sock", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_splice(loop, s, -1, p[1], -1, 4, 0, NULL), 4);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, p[0], buf, sizeof(buf), 0, NULL), 4);
	CU_ASSERT_STRING_EQUAL(buf, "sock");
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	th_close_pair(loop, p);
	aring_close(loop, in, NULL);
	aring_close(loop, out, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_splice(void)
{
	CU_ASSERT_EQUAL(th_run(splice_task, NULL, 0), 0);
}

static int tee_task(aring_loop *loop, void *arg)
{
	int a[2], b[2];
	char x[16] = { 0 }, y[16] = { 0 };

	CU_ASSERT_EQUAL(aring_pipe(loop, a, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, b, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, a[1], "duplicate", 9, 0, NULL), 9);
	/* tee copies without consuming: both pipes then hold the data. */
	CU_ASSERT_EQUAL(aring_tee(loop, a[0], b[1], 9, 0, NULL), 9);
	CU_ASSERT_EQUAL(aring_read(loop, a[0], x, sizeof(x), 0, NULL), 9);
	CU_ASSERT_EQUAL(aring_read(loop, b[0], y, sizeof(y), 0, NULL), 9);
	CU_ASSERT_STRING_EQUAL(x, "duplicate");
	CU_ASSERT_STRING_EQUAL(y, "duplicate");
	/* Same pipe on both sides, and a non-pipe. */
	CU_ASSERT_EQUAL(aring_tee(loop, a[0], a[1], 9, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_tee(loop, 9999, b[1], 9, 0, NULL), -EBADF);
	th_close_pair(loop, a);
	th_close_pair(loop, b);
	return 0;
}

static void test_tee(void)
{
	CU_ASSERT_EQUAL(th_run(tee_task, NULL, 0), 0);
}

static int edges_task(aring_loop *loop, void *arg)
{
	char dir[128], path[256], buf[32] = { 0 };
	int in, app, p[2], q[2], c, s;
	aring_task *t;

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	in = th_file(loop, dir, "in", "0123456789");
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, q, 0, NULL), 0);
	/* Offset -1: the file's position, which moves; at EOF 0. Length 0 is 0. */
	CU_ASSERT_EQUAL(aring_splice(loop, in, 4, p[1], -1, 3, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_splice(loop, in, -1, p[1], -1, 4, 0, NULL), 0); /* pos is at EOF */
	CU_ASSERT_EQUAL(aring_splice(loop, in, 20, p[1], -1, 4, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_splice(loop, in, 0, p[1], -1, 0, 0, NULL), 0);
	/* pipe -> pipe, then tee the wrong way round (a write end read) -EBADF */
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, q[1], -1, 64, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_read(loop, q[0], buf, sizeof(buf), 0, NULL), 3);
	CU_ASSERT_EQUAL(memcmp(buf, "456", 3), 0);
	CU_ASSERT_EQUAL(aring_tee(loop, q[1], p[1], 4, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_splice(loop, p[1], -1, q[1], -1, 4, 0, NULL), -EBADF);
	/* Empty pipe: SPLICE_F_NONBLOCK -EAGAIN; else it waits for the writer. */
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, q[1], -1, 4, SPLICE_F_NONBLOCK, NULL),
			-EAGAIN);
	CU_ASSERT_EQUAL(aring_tee(loop, p[0], q[1], 4, SPLICE_F_NONBLOCK, NULL), -EAGAIN);
	t = th_write_later(loop, p[1], "late");
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, q[1], -1, 64, 0, NULL), 4);
	CU_ASSERT_EQUAL(th_join(loop, t), 4);
	CU_ASSERT_EQUAL(aring_read(loop, q[0], buf, sizeof(buf), 0, NULL), 4);
	/* O_APPEND output -EINVAL; unknown flags -EINVAL; a negative offset -EINVAL. */
	app = aring_openat(loop, AT_FDCWD, th_path(path, sizeof(path), dir, "in"),
			   O_WRONLY | O_APPEND, 0, NULL);
	CU_ASSERT(app >= 0);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], "ab", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, app, -1, 2, 0, NULL), -EINVAL);
	aring_close(loop, app, NULL);
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, in, -1, 2, 0x100, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_splice(loop, in, -5, q[1], -1, 2, 0, NULL), -EINVAL);
	/* pipe -> socket, socket -> pipe (an offset on a socket -EINVAL) */
	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, c, 0, 2, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_splice(loop, p[0], -1, c, -1, 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_splice(loop, s, -1, q[1], -1, 16, 0, NULL), 2);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, q[0], buf, sizeof(buf), 0, NULL), 2);
	CU_ASSERT_STRING_EQUAL(buf, "ab");
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	th_close_pair(loop, p);
	th_close_pair(loop, q);
	aring_close(loop, in, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_splice_edges(void)
{
	CU_ASSERT_EQUAL(th_run(edges_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "splice", test_splice },
	{ "tee", test_tee },
	{ "splice: offsets, EOF, pipe to pipe, waiting, nonblocking, sockets", test_splice_edges },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "splice", tests, TH_BOTH);
}
