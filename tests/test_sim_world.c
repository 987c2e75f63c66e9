/* SPDX-License-Identifier: MIT */
/*
 * The simulated world through the public API: the file system and its
 * errnos, pipes, stream sockets (ephemeral ports, refused connects, EOF,
 * resets), fds 0/1/2 fed and drained by the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/helpers.h"

static int fs_task(aring_loop *loop, void *arg)
{
	struct statx st;
	char buf[16];
	int fd, fd2, dfd;

	(void)arg;
	/* The tree starts with / and /tmp. */
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, "/tmp", 0, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT(S_ISDIR(st.stx_mode));
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/nope", O_RDONLY, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/nope/x", O_CREAT | O_RDWR, 0644, NULL), -ENOENT);
	fd = aring_openat(loop, AT_FDCWD, "/tmp/a", O_CREAT | O_EXCL | O_RDWR, 0644, NULL);
	CU_ASSERT_EQUAL(fd, th_sim_fd(3)); /* lowest free after 0, 1, 2 */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/a", O_CREAT | O_EXCL | O_RDWR, 0644, NULL),
			-EEXIST);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/a/b", O_RDONLY, 0, NULL), -ENOTDIR);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/a", O_RDONLY | O_DIRECTORY, 0, NULL), -ENOTDIR);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp", O_RDWR, 0, NULL), -EISDIR);
	CU_ASSERT_EQUAL(aring_openat(loop, 99, "a", O_RDONLY, 0, NULL), -EBADF);
	/* Holes read as zeros; size and blocks. */
	CU_ASSERT_EQUAL(aring_write(loop, fd, "xyz", 3, 8192, NULL), 3);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "\0\0\0\0", 4), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, "/tmp/a", 0, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_size, 8195);
	CU_ASSERT_EQUAL(st.stx_blocks, 8);
	CU_ASSERT_EQUAL(st.stx_nlink, 1);
	/* File position (offset -1) and O_APPEND. */
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 16, (uint64_t)-1, NULL), 16);
	CU_ASSERT_EQUAL(aring_ftruncate(loop, fd, 2, NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 16, 0, NULL), 2);
	fd2 = aring_openat(loop, AT_FDCWD, "/tmp/a", O_WRONLY | O_APPEND, 0, NULL);
	CU_ASSERT_EQUAL(aring_write(loop, fd2, "ab", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_read(loop, fd2, buf, 2, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_close(loop, fd2, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fd2, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_fallocate(loop, fd, 0, 0, 10000, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_size, 10000);
	/* Directories. */
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, "/tmp/d", 0755, NULL), 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, "/tmp/d", 0755, NULL), -EEXIST);
	dfd = aring_openat(loop, AT_FDCWD, "/tmp/d", O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(dfd >= 0);
	CU_ASSERT_EQUAL(aring_read(loop, dfd, buf, 1, 0, NULL), -EISDIR);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, "/tmp/a", dfd, "b", 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/tmp/d", AT_REMOVEDIR, NULL), -ENOTEMPTY);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/tmp/d", 0, NULL), -EISDIR);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, dfd, "b", AT_REMOVEDIR, NULL), -ENOTDIR);
	CU_ASSERT_EQUAL(aring_linkat(loop, dfd, "b", AT_FDCWD, "/tmp/c", 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "/tmp/c", AT_FDCWD, "/tmp/l", NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, "/tmp/l", 0, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_nlink, 2);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, dfd, "b", 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/tmp/c", 0, NULL), 0);
	/* Unlinked but open: still readable. */
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/tmp/d", AT_REMOVEDIR, NULL), 0);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/l", O_RDONLY, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_close(loop, dfd, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	return 0;
}

static void test_fs(void)
{
	CU_ASSERT_EQUAL(th_run(fs_task, NULL, 0), 0);
}

struct pipe_arg {
	int fds[2];
};

static int pipe_writer(aring_loop *loop, void *arg)
{
	struct pipe_arg *p = arg;
	static char big[100000];

	/* 100000 bytes through a 64 KiB pipe: a write completes short with what
	   fits (kernel io_write()), the next one waits for the reader. */
	CU_ASSERT_EQUAL(aring_write_all(loop, p->fds[1], big, sizeof(big), NULL), (int)sizeof(big));
	return aring_close(loop, p->fds[1], NULL);
}

static int pipe_task(aring_loop *loop, void *arg)
{
	struct aring_opt tmo = { .timeout_ns = 1000000 };
	struct pipe_arg p;
	char buf[4096];
	int got = 0, ret;

	(void)arg;
	CU_ASSERT_FATAL(aring_pipe(loop, p.fds, 0, NULL) == 0);
	aring_spawn(loop, pipe_writer, &p, NULL);
	while ((ret = aring_read(loop, p.fds[0], buf, sizeof(buf), (uint64_t)-1, NULL)) > 0)
		got += ret;
	CU_ASSERT_EQUAL(ret, 0); /* EOF */
	CU_ASSERT_EQUAL(got, 100000);
	CU_ASSERT_FATAL(aring_pipe(loop, p.fds, O_NONBLOCK, NULL) == 0);
	/* O_NONBLOCK is not RWF_NOWAIT: io_uring's read waits (poll armed). */
	CU_ASSERT_EQUAL(aring_read(loop, p.fds[0], buf, 1, (uint64_t)-1, &tmo), -ETIME);
	CU_ASSERT_EQUAL(aring_close(loop, p.fds[0], NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, p.fds[1], "x", 1, (uint64_t)-1, NULL), -EPIPE);
	return aring_close(loop, p.fds[1], NULL);
}

static void test_pipes(void)
{
	CU_ASSERT_EQUAL(th_run(pipe_task, NULL, 0), 0);
}

static int net_task(aring_loop *loop, void *arg)
{
	struct sockaddr_in a = th_addr(0), got;
	socklen_t len = sizeof(got);
	int l, l2, c, s, k;
	uint16_t port;
	char buf[32];

	(void)arg;
	l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT_FATAL(l >= 0);
	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_sim_getsockname(loop, l, (struct sockaddr *)&got, &len), 0);
	port = ntohs(got.sin_port);
	CU_ASSERT(port >= 32768);
	CU_ASSERT_EQUAL(aring_listen(loop, l, 8, NULL), 0);
	/* Same port again: -EADDRINUSE. */
	l2 = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_bind(loop, l2, (struct sockaddr *)&a, sizeof(a), NULL), -EADDRINUSE);
	/* Nobody on port+1: -ECONNREFUSED. */
	c = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr((uint16_t)(port + 1));
	CU_ASSERT_EQUAL(aring_connect(loop, c, (struct sockaddr *)&a, sizeof(a), NULL), -ECONNREFUSED);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, c, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_connect(loop, c, (struct sockaddr *)&a, sizeof(a), NULL), -EISCONN);
	len = sizeof(got);
	s = aring_accept(loop, l, (struct sockaddr *)&got, &len, 0, NULL);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(got.sin_family, AF_INET);
	/* Data, then FIN: EOF. */
	CU_ASSERT_EQUAL(aring_send(loop, c, "ping", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_shutdown(loop, c, SHUT_WR, NULL), 0);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, 0, NULL), -EPIPE);
	/* The server closes; its first send after... from the client's view: c already shut. */
	CU_ASSERT_EQUAL(aring_close(loop, c, NULL), 0);
	/* Peer gone: first send "succeeds", then -ECONNRESET, then -EPIPE. */
	CU_ASSERT_EQUAL(aring_send(loop, s, "y", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_send(loop, s, "y", 1, 0, NULL), -ECONNRESET);
	CU_ASSERT_EQUAL(aring_send(loop, s, "y", 1, 0, NULL), -EPIPE);
	CU_ASSERT_EQUAL(aring_close(loop, s, NULL), 0);
	/* Closing with unread data resets the peer: data, then -ECONNRESET, then 0. */
	CU_ASSERT_FATAL(th_tcp_pair(loop, &c, &s) == 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "abc", 3, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_send(loop, s, "zz", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_close(loop, c, NULL), 0); /* "zz" unread */
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), -ECONNRESET);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, s, NULL), 0);
	/* Misuse. */
	CU_ASSERT_EQUAL(aring_socket(loop, AF_UNIX + 100, SOCK_STREAM, 0, 0, NULL), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(aring_listen(loop, 0, 1, NULL), -ENOTSOCK);
	k = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT_EQUAL(aring_recv(loop, k, buf, 1, 0, NULL), -ENOTCONN);
	CU_ASSERT_EQUAL(aring_accept(loop, k, NULL, NULL, 0, NULL), -EINVAL);
	aring_close(loop, k, NULL);
	aring_close(loop, l2, NULL);
	return aring_close(loop, l, NULL);
}

static void test_net(void)
{
	CU_ASSERT_EQUAL(th_run(net_task, NULL, 0), 0);
}

static int stdio_task(aring_loop *loop, void *arg)
{
	char buf[32];
	int n = 0, ret;

	(void)arg;
	while ((ret = aring_read(loop, 0, buf + n, sizeof(buf) - (unsigned)n, (uint64_t)-1, NULL)) > 0)
		n += ret;
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL(aring_printf(loop, 1, "got %.*s", n, buf), 4 + n);
	CU_ASSERT_EQUAL(aring_printf(loop, 2, "err"), 3);
	return 0;
}

static void test_stdio(void)
{
	aring_loop *loop = th_loop_new(0);
	char out[64] = "";

	CU_ASSERT_EQUAL(aring_sim_stdin_write(loop, "hello", 5), 5);
	CU_ASSERT_EQUAL(aring_sim_stdin_close(loop), 0);
	CU_ASSERT_EQUAL(th_run_on(loop, stdio_task, NULL), 0);
	CU_ASSERT_EQUAL(aring_sim_stdout_read(loop, out, sizeof(out) - 1), 9);
	CU_ASSERT_STRING_EQUAL(out, "got hello");
	memset(out, 0, sizeof(out));
	CU_ASSERT_EQUAL(aring_sim_stderr_read(loop, out, sizeof(out) - 1), 3);
	CU_ASSERT_STRING_EQUAL(out, "err");
	CU_ASSERT_EQUAL(aring_sim_stdin_close(loop), -EINVAL);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "file system and its errnos", test_fs },
	{ "pipes: short writes, EOF, O_NONBLOCK, -EPIPE", test_pipes },
	{ "sockets: ports, refused, EOF, resets", test_net },
	{ "stdin, stdout, stderr", test_stdio },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim world", tests, TH_SIM);
}
