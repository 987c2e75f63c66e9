/* SPDX-License-Identifier: MIT */
/* Pipes made through the ring: data, EOF, -EPIPE, flags, a reader that blocks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

static int data_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[16];

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	/* The write end cannot be read, the read end cannot be written. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[0], "x", 1, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_read(loop, fds[1], buf, 1, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "abcdef", 6, 0, NULL), 6);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf + 4, 10, 0, NULL), 2);
	CU_ASSERT_STRING_EQUAL(buf, "abcdef");
	/* Close the writer: the reader sees EOF. */
	CU_ASSERT_EQUAL(aring_close(loop, fds[1], NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fds[0], NULL), 0);

	/* Close the reader: the writer gets -EPIPE. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, O_CLOEXEC, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fds[0], NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, 0, NULL), -EPIPE);
	CU_ASSERT_EQUAL(aring_close(loop, fds[1], NULL), 0);

	/* Unknown flags. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0x7fff0000, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_pipe(loop, NULL, 0, NULL), -EFAULT);
	return 0;
}

static void test_pipe_data_eof_epipe(void)
{
	CU_ASSERT_EQUAL(th_run(data_task, NULL, 0), 0);
}

struct pipe_io {
	int fds[2];
	int got;
	char buf[32];
};

static int blocked_reader(aring_loop *loop, void *arg)
{
	struct pipe_io *p = arg;

	p->got = aring_read(loop, p->fds[0], p->buf, sizeof(p->buf) - 1, 0, NULL);
	return 0;
}

static int blocking_task(aring_loop *loop, void *arg)
{
	struct pipe_io p = { .got = -1 };
	aring_task *t;
	int i;

	CU_ASSERT_EQUAL(aring_pipe(loop, p.fds, 0, NULL), 0);
	t = th_spawn(loop, blocked_reader, &p);
	/* The reader stays blocked while the pipe is empty. */
	for (i = 0; i < 10; i++)
		aring_yield(loop);
	CU_ASSERT_EQUAL(aring_sleep(loop, 1000 * 1000), 0);
	CU_ASSERT_EQUAL(p.got, -1);
	CU_ASSERT_EQUAL(aring_write(loop, p.fds[1], "wake", 4, 0, NULL), 4);
	th_join(loop, t);
	CU_ASSERT_EQUAL(p.got, 4);
	CU_ASSERT_STRING_EQUAL(p.buf, "wake");
	th_close_pair(loop, p.fds);
	return 0;
}

static void test_pipe_blocked_reader(void)
{
	CU_ASSERT_EQUAL(th_run(blocking_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "pipe: data, EOF, EPIPE, flags", test_pipe_data_eof_epipe },
	{ "pipe: a reader blocks until data comes", test_pipe_blocked_reader },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "pipe", tests, TH_BOTH);
}
