/* SPDX-License-Identifier: MIT */
/* The writer: aring_write_all (files, pipes with a slow reader, errors), aring_send_all, aring_printf. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define BIG (1024 * 1024)

struct drain {
	int fd;
	char *buf;
	size_t len;
	size_t got;
};

/* Reads until EOF, in small pieces, so the writer sees a full pipe. */
static int drainer(aring_loop *loop, void *arg)
{
	struct drain *d = arg;

	for (;;) {
		size_t room = d->len - d->got;
		int n = aring_read(loop, d->fd, d->buf + d->got, room < 4096 ? (unsigned)room : 4096, 0, NULL);

		if (n <= 0)
			return n;
		d->got += (size_t)n;
	}
}

static int write_all_task(aring_loop *loop, void *arg)
{
	char *out = malloc(BIG), *in = calloc(1, BIG + 1);
	struct drain d = { .buf = in, .len = BIG + 1 };
	char dir[128], path[256];
	aring_task *t;
	int fds[2], fd;
	size_t i;

	for (i = 0; i < BIG; i++)
		out[i] = (char)(i * 7 + i / 251);
	/* Through a pipe (64 KiB of buffer) to a reader: many partial writes. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	d.fd = fds[0];
	t = th_spawn(loop, drainer, &d);
	CU_ASSERT_EQUAL(aring_write_all(loop, fds[1], out, BIG, NULL), BIG);
	aring_close(loop, fds[1], NULL);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(d.got, BIG);
	CU_ASSERT_EQUAL(memcmp(in, out, BIG), 0);
	aring_close(loop, fds[0], NULL);

	/* To a file, at its position: two calls append. */
	if (th_tmpdir(loop, dir, sizeof(dir)) == 0) {
		fd = th_file(loop, dir, "f", "");
		CU_ASSERT_EQUAL(aring_write_all(loop, fd, out, BIG / 2, NULL), BIG / 2);
		CU_ASSERT_EQUAL(aring_write_all(loop, fd, out + BIG / 2, BIG / 2, NULL), BIG / 2);
		CU_ASSERT_EQUAL(aring_write_all(loop, fd, out, 0, NULL), 0);
		CU_ASSERT_EQUAL(th_file_size(loop, th_path(path, sizeof(path), dir, "f")), BIG);
		memset(in, 0, BIG);
		CU_ASSERT_EQUAL(aring_read(loop, fd, in, BIG, 0, NULL), BIG);
		CU_ASSERT_EQUAL(memcmp(in, out, BIG), 0);
		aring_close(loop, fd, NULL);
		th_tmpdir_remove(loop, dir);
	}
	/* Errors: a bad fd, a pipe nobody reads. */
	CU_ASSERT_EQUAL(aring_write_all(loop, 9999, out, 10, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	aring_close(loop, fds[0], NULL);
	CU_ASSERT_EQUAL(aring_write_all(loop, fds[1], out, 10, NULL), -EPIPE);
	aring_close(loop, fds[1], NULL);
	free(out);
	free(in);
	return 0;
}

static void test_write_all(void)
{
	CU_ASSERT_EQUAL(th_run(write_all_task, NULL, 0), 0);
}

/* aring_send_all over TCP: 1 MiB, more than the socket buffers, to a slow reader. */
static int send_all_task(aring_loop *loop, void *arg)
{
	char *out = malloc(BIG), *in = calloc(1, BIG + 1);
	struct drain d = { .buf = in, .len = BIG + 1 };
	aring_task *t;
	int c, sv;
	size_t i;

	for (i = 0; i < BIG; i++)
		out[i] = (char)(i * 13 + i / 509);
	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &c, &sv), 0);
	d.fd = sv;
	t = th_spawn(loop, drainer, &d);
	CU_ASSERT_EQUAL(aring_send_all(loop, c, out, BIG, MSG_NOSIGNAL, NULL), BIG);
	CU_ASSERT_EQUAL(aring_shutdown(loop, c, SHUT_WR, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(d.got, BIG);
	CU_ASSERT_EQUAL(memcmp(in, out, BIG), 0);
	CU_ASSERT_EQUAL(aring_send_all(loop, c, out, 0, 0, NULL), 0);
	/* Errors: a bad fd. */
	CU_ASSERT_EQUAL(aring_send_all(loop, 9999, out, 10, 0, NULL), -EBADF);
	aring_close(loop, sv, NULL);
	aring_close(loop, c, NULL);
	free(out);
	free(in);
	return 0;
}

static void test_send_all(void)
{
	CU_ASSERT_EQUAL(th_run(send_all_task, NULL, 0), 0);
}

static int printf_task(aring_loop *loop, void *arg)
{
	struct drain d;
	char *want, *big;
	aring_task *t;
	int fds[2], n;
	size_t i;

	big = malloc(10001);
	for (i = 0; i < 10000; i++)
		big[i] = (char)('a' + i % 26);
	big[10000] = 0;
	want = malloc(20100);
	n = snprintf(want, 20100, "n=%d s=%s x=%#x|%s|%s", 42, "str", 255u, big, big);
	CU_ASSERT(n > 20000);

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	d.fd = fds[0];
	d.len = 30000;
	d.got = 0;
	d.buf = calloc(1, d.len);
	t = th_spawn(loop, drainer, &d);
	/* Short output, formatted on the stack. */
	CU_ASSERT_EQUAL(aring_printf(loop, fds[1], "n=%d s=%s x=%#x|", 42, "str", 255u), 18);
	/* Over 4 KiB: the heap path. */
	CU_ASSERT_EQUAL(aring_printf(loop, fds[1], "%s|%s", big, big), 20001);
	CU_ASSERT_EQUAL(aring_printf(loop, fds[1], "%s", ""), 0);
	aring_close(loop, fds[1], NULL);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(d.got, (size_t)n);
	CU_ASSERT(d.got == (size_t)n && memcmp(d.buf, want, (size_t)n) == 0);
	aring_close(loop, fds[0], NULL);
	CU_ASSERT_EQUAL(aring_printf(loop, 9999, "x"), -EBADF);
	CU_ASSERT_EQUAL(aring_printf(loop, 9999, "%s", big), -EBADF);
	free(d.buf);
	free(want);
	free(big);
	return 0;
}

static void test_printf(void)
{
	CU_ASSERT_EQUAL(th_run(printf_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "write_all", test_write_all },
	{ "send_all", test_send_all },
	{ "printf, short and over 4 KiB", test_printf },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "writer", tests, TH_BOTH);
}
