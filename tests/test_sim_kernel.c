/* SPDX-License-Identifier: MIT */
/*
 * Edge cases where the simulator must answer as the kernel does, run on both
 * backends: bad user memory in iovecs and msghdrs (sendmsg, recvmsg, readv,
 * writev, read, send), poll on a regular file, accept with an address but no
 * length, directories removed while open, symlink chains of the kernel's
 * MAXSYMLINKS (40) on a 16 KiB task stack, and (sim) latency bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/abi.h"
#include "tests/helpers.h"

#define BIG (1ull << 63) /* a negative ssize_t: -EINVAL at import */

struct dir {
	char path[128];
	char buf[256], buf2[256];
};

static const char *P(struct dir *d, const char *name)
{
	return th_path(d->buf, sizeof(d->buf), d->path, name);
}

/* A second path in the same call. */
static const char *P2(struct dir *d, const char *name)
{
	return th_path(d->buf2, sizeof(d->buf2), d->path, name);
}

static void msg1(struct msghdr *m, struct iovec *iov, void *base, size_t len, size_t n)
{
	memset(m, 0, sizeof(*m));
	iov->iov_base = base;
	iov->iov_len = len;
	m->msg_iov = iov;
	m->msg_iovlen = n;
}

/* kernel io_uring/net.c io_msg_copy_hdr(), lib/iov_iter.c __import_iovec(), tcp_sendmsg_locked() */
static int msg_task(aring_loop *loop, void *arg)
{
	char buf[64] = "hello", cbuf[32];
	struct iovec iov, v2[2];
	struct msghdr m;
	int c, s;

	(void)arg;
	if (th_tcp_pair(loop, &c, &s) < 0)
		return -1;
	msg1(&m, &iov, NULL, 5, 1);
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EFAULT);
	msg1(&m, &iov, buf, BIG, 1);
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EINVAL);
	msg1(&m, &iov, buf, 5, 1025);
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EMSGSIZE);
	msg1(&m, &iov, buf, 5, 1);
	m.msg_iov = NULL;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, NULL, 0, NULL), -EFAULT);
	memset(&m, 0, sizeof(m));
	v2[0] = (struct iovec){ buf, 5 };
	v2[1] = (struct iovec){ NULL, 5 };
	m.msg_iov = v2;
	m.msg_iovlen = 2;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EFAULT);
	v2[1] = (struct iovec){ buf, BIG };
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EINVAL);
	v2[1] = (struct iovec){ buf, 1ull << 62 }; /* past the user address limit */
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EFAULT);
	/* Control data: net/socket.c ____sys_sendmsg(), sock_cmsg_send(). */
	msg1(&m, &iov, buf, 5, 1);
	m.msg_controllen = 16;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EFAULT);
	m.msg_control = cbuf;
	m.msg_controllen = 1u << 31;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -ENOBUFS);
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_controllen = 16;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), -EINVAL);
	m.msg_controllen = 8; /* shorter than a cmsghdr: no cmsg at all */
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), 5);
	msg1(&m, &iov, NULL, 0, 0);
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &m, 0, NULL), 0);

	/* recvmsg with 5 bytes waiting: faults keep the data. */
	msg1(&m, &iov, NULL, 5, 1);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), -EFAULT);
	msg1(&m, &iov, buf, BIG, 1);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), -EINVAL);
	msg1(&m, &iov, buf, 5, 1025);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), -EMSGSIZE);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, NULL, 0, NULL), -EFAULT);
	memset(&m, 0, sizeof(m));
	v2[0] = (struct iovec){ buf, 3 };
	v2[1] = (struct iovec){ NULL, 5 };
	m.msg_iov = v2;
	m.msg_iovlen = 2;
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), -EFAULT);
	msg1(&m, &iov, NULL, 0, 0);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), 0);
	memset(buf, 0, sizeof(buf));
	msg1(&m, &iov, buf, 5, 1);
	m.msg_name = buf + 32;
	m.msg_namelen = 16;
	m.msg_flags = 77;
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	/* net/socket.c ____sys_recvmsg(): TCP gives no address, no flags, no control data. */
	CU_ASSERT_EQUAL(m.msg_namelen, 0);
	CU_ASSERT_EQUAL(m.msg_flags, 0);
	CU_ASSERT_EQUAL(m.msg_controllen, 0);
	/* Without a name buffer msg_namelen is left alone. */
	msg1(&m, &iov, buf, 5, 1);
	m.msg_namelen = 16;
	m.msg_flags = 77;
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, MSG_DONTWAIT, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(m.msg_flags, 77); /* nor is anything written on an error */
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &m, 0, NULL), 1);
	CU_ASSERT_EQUAL(m.msg_namelen, 16);
	CU_ASSERT_EQUAL(m.msg_flags, 0);
	/* Plain send and recv. */
	CU_ASSERT_EQUAL(aring_send(loop, c, NULL, 5, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_send(loop, c, (void *)(uintptr_t)4096, 5, 0, NULL), -EFAULT);
	aring_close(loop, c, NULL);
	return aring_close(loop, s, NULL);
}

static void test_msg(void)
{
	CU_ASSERT_EQUAL(th_run(msg_task, NULL, 0), 0);
}

/* lib/iov_iter.c __import_iovec() and the copies of fs/pipe.c and the file read path */
static int rw_task(aring_loop *loop, void *arg)
{
	char buf[16] = "0123456789";
	struct iovec v = { NULL, 5 }, v2[2] = { { buf, 5 }, { NULL, 5 } };
	struct dir d;
	int p[2], fd;

	(void)arg;
	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], &v, 1, 0, NULL), -EFAULT);
	v = (struct iovec){ buf, BIG };
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], &v, 1, 0, NULL), -EINVAL);
	v = (struct iovec){ buf, 5 };
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], &v, 1025, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], NULL, 1, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], NULL, 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_writev(loop, p[1], v2, 2, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], NULL, 5, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], "ab", 2, 0, NULL), 2);
	v = (struct iovec){ NULL, 5 };
	CU_ASSERT_EQUAL(aring_readv(loop, p[0], &v, 1, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read(loop, p[0], buf, 5, 0, NULL), 2); /* the fault kept them */
	th_close_pair(loop, p);

	fd = th_file(loop, d.path, "f", "0123456789");
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(aring_readv(loop, fd, &v, 1, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_readv(loop, fd, &v, 1, 100, NULL), 0); /* at EOF nothing is copied */
	CU_ASSERT_EQUAL(aring_writev(loop, fd, &v, 1, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read(loop, fd, NULL, 5, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read(loop, fd, NULL, 5, 100, NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, (void *)(uintptr_t)(1ull << 62), 5, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(th_file_size(loop, P(&d, "f")), 10);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_rw(void)
{
	CU_ASSERT_EQUAL(th_run(rw_task, NULL, 0), 0);
}

static void prep_poll_level(struct io_uring_sqe *sqe, void *ctx)
{
	io_uring_prep_poll_add(sqe, *(int *)ctx, POLLIN);
	sqe->len |= IORING_POLL_ADD_LEVEL;
}

static void prep_poll_multi(struct io_uring_sqe *sqe, void *ctx)
{
	io_uring_prep_poll_multishot(sqe, *(int *)ctx, POLLIN);
}

/* kernel io_uring/poll.c __io_arm_poll_handler() on a file with no wait queue */
static int poll_task(aring_loop *loop, void *arg)
{
	struct dir d;
	unsigned cflags = 0;
	int fd, dfd;

	(void)arg;
	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	fd = th_file(loop, d.path, "f", "x");
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(aring_poll_add(loop, fd, POLLPRI, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_poll_add(loop, fd, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_poll_add(loop, fd, POLLIN, NULL), POLLIN);
	CU_ASSERT_EQUAL(aring_poll_add(loop, fd, POLLIN | POLLPRI | POLLOUT, NULL), POLLIN | POLLOUT);
	CU_ASSERT_EQUAL(aring_do(loop, prep_poll_level, &fd, NULL), -EINVAL);
	/* A multishot poll ends at once: one CQE, no IORING_CQE_F_MORE. */
	CU_ASSERT_EQUAL(aring_do(loop, prep_poll_multi, &fd, &(struct aring_opt){ .cqe_flags = &cflags }),
			POLLIN);
	CU_ASSERT_EQUAL(cflags & IORING_CQE_F_MORE, 0);
	dfd = aring_openat(loop, AT_FDCWD, d.path, O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT_FATAL(dfd >= 0);
	CU_ASSERT_EQUAL(aring_poll_add(loop, dfd, POLLPRI, NULL), -EINVAL);
	aring_close(loop, dfd, NULL);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_poll_file(void)
{
	CU_ASSERT_EQUAL(th_run(poll_task, NULL, 0), 0);
}

static int connect_to(aring_loop *loop, uint16_t port)
{
	struct sockaddr_in a = th_addr(port);
	int c = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT_EQUAL(aring_connect(loop, c, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	return c;
}

/* kernel net/socket.c do_accept(), move_addr_to_user() */
static int accept_task(aring_loop *loop, void *arg)
{
	struct sockaddr_in pa;
	socklen_t len = (socklen_t)-1;
	uint16_t port;
	char x;
	int l, c, fd, probe;

	(void)arg;
	l = th_listen(loop, &port);
	CU_ASSERT_FATAL(l >= 0);
	/* The fd the next new file gets. */
	probe = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	/* move_addr_to_kernel(): a length of 0 copies nothing, then the address is too short. */
	CU_ASSERT_EQUAL(aring_connect(loop, probe, NULL, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_connect(loop, probe, NULL, sizeof(pa), NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_connect(loop, probe, (struct sockaddr *)&pa, 129, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_close(loop, probe, NULL), 0);
	c = connect_to(loop, port);
	/* An address but no length: -EFAULT, the connection is closed, no fd left behind. */
	CU_ASSERT_EQUAL(aring_accept(loop, l, (struct sockaddr *)&pa, NULL, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_recv(loop, c, &x, 1, 0, NULL), 0);
	aring_close(loop, c, NULL);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT_EQUAL(fd, probe); /* c had it and closed it: nothing else was installed */
	aring_close(loop, fd, NULL);
	/* A negative length: -EINVAL. */
	c = connect_to(loop, port);
	CU_ASSERT_EQUAL(aring_accept(loop, l, (struct sockaddr *)&pa, &len, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_recv(loop, c, &x, 1, 0, NULL), 0);
	aring_close(loop, c, NULL);
	/* Neither: fine. */
	c = connect_to(loop, port);
	fd = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static void test_accept(void)
{
	CU_ASSERT_EQUAL(th_run(accept_task, NULL, 0), 0);
}

/* kernel fs/namei.c may_create() (IS_DEADDIR), vfs_rmdir(); a dentry pins its parent */
static int dead_dir_task(aring_loop *loop, void *arg)
{
	struct statx st;
	struct dir d;
	int dfd, pfd, cfd, up, fd;

	(void)arg;
	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "sub"), 0755, NULL), 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "g"), 0755, NULL), 0);
	fd = th_file(loop, d.path, "f", "x");
	CU_ASSERT_FATAL(fd >= 0);
	dfd = aring_openat(loop, AT_FDCWD, P(&d, "sub"), O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT_FATAL(dfd >= 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "sub"), AT_REMOVEDIR, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_nlink, 0);
	CU_ASSERT_EQUAL(aring_openat(loop, dfd, "x", O_CREAT | O_RDWR, 0644, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_openat(loop, dfd, "x", O_RDWR, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, dfd, "x", 0755, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "t", dfd, "x", NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_linkat(loop, AT_FDCWD, P(&d, "f"), dfd, "x", 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, P(&d, "g"), dfd, "x", 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, dfd, "x", 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, dfd, ".", AT_REMOVEDIR, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_statx(loop, dfd, ".", 0, STATX_BASIC_STATS, &st, NULL), 0);
	up = aring_openat(loop, dfd, "..", O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(up >= 0);
	CU_ASSERT_EQUAL(aring_statx(loop, up, "g", 0, STATX_BASIC_STATS, &st, NULL), 0);
	aring_close(loop, up, NULL);
	CU_ASSERT_EQUAL(aring_close(loop, dfd, NULL), 0);

	/* Renamed over while open. */
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "e"), 0755, NULL), 0);
	dfd = aring_openat(loop, AT_FDCWD, P(&d, "e"), O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT_FATAL(dfd >= 0);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, P(&d, "g"), AT_FDCWD, P2(&d, "e"), 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_nlink, 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, dfd, "y", 0755, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_close(loop, dfd, NULL), 0);

	/* A dead directory keeps its dead parent: ".." still leads there. */
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "p"), 0755, NULL), 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "p/c"), 0755, NULL), 0);
	cfd = aring_openat(loop, AT_FDCWD, P(&d, "p/c"), O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT_FATAL(cfd >= 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "p/c"), AT_REMOVEDIR, NULL), 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "p"), AT_REMOVEDIR, NULL), 0);
	pfd = aring_openat(loop, cfd, "..", O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(pfd >= 0);
	CU_ASSERT_EQUAL(aring_statx(loop, pfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.stx_nlink, 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, pfd, "z", 0755, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_close(loop, cfd, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, pfd, ".", 0, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, pfd, NULL), 0);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_dead_dir(void)
{
	CU_ASSERT_EQUAL(th_run(dead_dir_task, NULL, 0), 0);
}

/* kernel fs/namei.c pick_link(): at most MAXSYMLINKS (40) links in one lookup */
static int symlink_body(aring_loop *loop, void *arg)
{
	struct dir *d = arg;
	char name[16], target[16], path[128];
	int dfd, fd, k;

	dfd = aring_openat(loop, AT_FDCWD, d->path, O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT_FATAL(dfd >= 0);
	fd = aring_openat(loop, dfd, "l0", O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT_FATAL(fd >= 0);
	aring_close(loop, fd, NULL);
	/* l1 -> l0, ..., l41 -> l40: opening lk follows k links. */
	for (k = 1; k <= 41; k++) {
		snprintf(name, sizeof(name), "l%d", k);
		snprintf(target, sizeof(target), "l%d", k - 1);
		CU_ASSERT_EQUAL(aring_symlinkat(loop, target, dfd, name, NULL), 0);
	}
	fd = aring_openat(loop, dfd, "l40", O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_openat(loop, dfd, "l41", O_RDONLY, 0, NULL), -ELOOP);
	/* The count is per lookup, not per nesting level: "d/d/.../d/l0" with d -> ".". */
	CU_ASSERT_EQUAL(aring_symlinkat(loop, ".", dfd, "d", NULL), 0);
	path[0] = '\0';
	for (k = 0; k < 40; k++)
		strcat(path, "d/");
	strcat(path, "l0");
	fd = aring_openat(loop, dfd, path, O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);
	memmove(path + 2, path, strlen(path) + 1);
	memcpy(path, "d/", 2);
	CU_ASSERT_EQUAL(aring_openat(loop, dfd, path, O_RDONLY, 0, NULL), -ELOOP);
	/* A link in last position with a trailing slash must be a directory. */
	CU_ASSERT_EQUAL(aring_openat(loop, dfd, "l1/", O_RDONLY, 0, NULL), -ENOTDIR);
	fd = aring_openat(loop, dfd, "d/", O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);
	aring_close(loop, dfd, NULL);
	return 0;
}

/* Run body(loop, tmpdir) in a task with a 16 KiB stack, in a fresh temp dir. */
static int on_small_stack(aring_loop *loop, void *arg)
{
	aring_fn body = (aring_fn)(uintptr_t)arg;
	struct dir d;
	aring_task *t;
	int ret = -1;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	CU_ASSERT_EQUAL_FATAL(aring_spawn_stack(loop, body, &d, 16 * 1024, &t), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &ret), 0);
	th_tmpdir_remove(loop, d.path);
	return ret;
}

static void test_symlinks(void)
{
	/* A small stack: resolving 40 links must not need one frame per link. */
	CU_ASSERT_EQUAL(th_run(on_small_stack, (void *)(uintptr_t)symlink_body, 0), 0);
}

/* Pipe, socket and file I/O of 8 KiB each, from a task with a 16 KiB stack. */
static int small_stack_body(aring_loop *loop, void *arg)
{
	static char out[8192], in[8192];
	struct dir *d = arg;
	int p[2], c, s, fd;

	memset(out, 'x', sizeof(out));
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, p[1], out, sizeof(out), 0, NULL), (int)sizeof(out));
	CU_ASSERT_EQUAL(aring_read(loop, p[0], in, sizeof(in), 0, NULL), (int)sizeof(in));
	th_close_pair(loop, p);
	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, out, sizeof(out), 0, NULL), (int)sizeof(out));
	CU_ASSERT_EQUAL(aring_recv(loop, s, in, sizeof(in), MSG_WAITALL, NULL), (int)sizeof(in));
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	fd = th_file(loop, d->path, "big", "");
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(aring_write(loop, fd, out, sizeof(out), 0, NULL), (int)sizeof(out));
	CU_ASSERT_EQUAL(aring_read(loop, fd, in, sizeof(in), 0, NULL), (int)sizeof(in));
	aring_close(loop, fd, NULL);
	return memcmp(in, out, sizeof(in)) != 0;
}

static void test_small_stack(void)
{
	CU_ASSERT_EQUAL(th_run(on_small_stack, (void *)(uintptr_t)small_stack_body, 0), 0);
}

/* Sim only: latencies that would overflow virtual time are refused at loop creation. */
static void test_latency_bounds(void)
{
	struct aring_sim_opts so = { .seed = 1 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop = NULL;

	if (!th_is_sim())
		return;
	so.latency_max_ns = UINT64_MAX;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	so.latency_max_ns = ARING_SIM_MAX_LATENCY_NS + 1;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	so.latency_min_ns = 2;
	so.latency_max_ns = 1;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	so.latency_min_ns = so.latency_max_ns = ARING_SIM_MAX_LATENCY_NS;
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &o), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
}

static int nop_twice(aring_loop *loop, void *arg)
{
	uint64_t t0 = aring_now_ns(loop);

	(void)arg;
	/* Writes to stdout's pipe: ops of the world (a nop is the soft ring's
	 * own and completes inline, with no latency, as in the kernel). */
	CU_ASSERT_EQUAL(aring_write(loop, 1, "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_write(loop, 1, "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 2 * ARING_SIM_MAX_LATENCY_NS);
	return 0;
}

static void test_latency_max(void)
{
	struct aring_sim_opts so = { .seed = 1 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop = NULL;

	if (!th_is_sim())
		return;
	so.latency_min_ns = so.latency_max_ns = ARING_SIM_MAX_LATENCY_NS;
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &o), 0);
	CU_ASSERT_EQUAL(th_run_on(loop, nop_twice, NULL), 0);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- fidelity (man-page findings) */

static void prep_read_nowait(struct io_uring_sqe *sqe, void *ctx)
{
	static char b[8];

	io_uring_prep_read(sqe, *(int *)ctx, b, sizeof(b), 0);
	sqe->rw_flags = RWF_NOWAIT;
}

static void prep_accept_dontwait(struct io_uring_sqe *sqe, void *ctx)
{
	io_uring_prep_accept(sqe, *(int *)ctx, NULL, NULL, 0);
	sqe->ioprio = 1u << 1; /* IORING_ACCEPT_DONTWAIT */
}

/*
 * O_NONBLOCK does not make io_uring answer -EAGAIN: kernel io_uring/net.c
 * io_recv()/io_accept()/io_connect() and rw.c io_read() try nonblocking and
 * arm poll; only MSG_DONTWAIT / IORING_ACCEPT_DONTWAIT do (REQ_F_NOWAIT).
 * Offsets below -1 are -EINVAL on a socket (fs/read_write.c
 * rw_verify_area()), others but 0 and -1 -ESPIPE; sync_file_range on it is -ESPIPE (fs/sync.c), fsync
 * -EINVAL. Checked on Linux 6.18.
 */
static int nonblock_sock_task(aring_loop *loop, void *arg)
{
	struct aring_opt tmo = { .timeout_ns = 2000000 };
	struct sockaddr_in a = th_addr(0);
	int l, l2, c, s;
	uint16_t port;
	char buf[8];

	(void)arg;
	l2 = aring_socket(loop, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, 0, NULL);
	CU_ASSERT_FATAL(l2 >= 0);
	CU_ASSERT_EQUAL(aring_bind(loop, l2, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, l2, 8, NULL), 0);
	CU_ASSERT_EQUAL(aring_accept(loop, l2, NULL, NULL, 0, &tmo), -ETIME);
	CU_ASSERT_EQUAL(aring_do(loop, prep_accept_dontwait, &l2, NULL), -EAGAIN);
	l = th_listen(loop, &port);
	CU_ASSERT_FATAL(l >= 0);
	c = aring_socket(loop, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, c, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	s = aring_accept(loop, l, NULL, NULL, SOCK_NONBLOCK, NULL);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, &tmo), -ETIME);
	CU_ASSERT_EQUAL(aring_read(loop, s, buf, sizeof(buf), (uint64_t)-1, &tmo), -ETIME);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_DONTWAIT, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(aring_do(loop, prep_read_nowait, &s, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(aring_read(loop, s, buf, sizeof(buf), (uint64_t)-2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_write(loop, c, "ab", 2, (uint64_t)-2, NULL), -EINVAL);
	/* net/socket.c sock_read_iter()/sock_write_iter(): a position but 0 is -ESPIPE */
	CU_ASSERT_EQUAL(aring_write(loop, c, "ab", 2, 7, NULL), -ESPIPE);
	CU_ASSERT_EQUAL(aring_write(loop, c, "ab", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_read(loop, s, buf, sizeof(buf), 5, NULL), -ESPIPE);
	CU_ASSERT_EQUAL(aring_read(loop, s, buf, sizeof(buf), 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, s, 0, 0, 0, NULL), -ESPIPE);
	CU_ASSERT_EQUAL(aring_fsync(loop, s, 0, NULL), -EINVAL);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	aring_close(loop, l2, NULL);
	return aring_close(loop, l, NULL);
}

static void test_nonblock_sock(void)
{
	CU_ASSERT_EQUAL(th_run(nonblock_sock_task, NULL, 0), 0);
}

/*
 * MSG_OOB on TCP (SO_OOBINLINE off): the send moves every byte, its last one
 * urgent (tcp_sendmsg_locked() -> tcp_mark_urg()); recv stops before the
 * urgent byte and skips it (tcp_recvmsg_locked()); recv(MSG_OOB) reads it
 * once, else -EINVAL (tcp_recv_urg()). Checked on Linux 6.18.
 */
static int oob_task(aring_loop *loop, void *arg)
{
	char buf[8];
	int c, s;

	(void)arg;
	CU_ASSERT_FATAL(th_tcp_pair(loop, &c, &s) == 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "abc", 3, MSG_OOB, NULL), 3);
	CU_ASSERT_EQUAL(aring_send(loop, c, "de", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 2);
	CU_ASSERT_EQUAL(memcmp(buf, "ab", 2), 0);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 2);
	CU_ASSERT_EQUAL(memcmp(buf, "de", 2), 0);
	/* the reader went past the urgent byte: it is gone */
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_OOB, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_send(loop, c, "z", 1, MSG_OOB, NULL), 1);
	CU_ASSERT_EQUAL(aring_send(loop, c, "", 0, MSG_OOB, NULL), 0);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_OOB, NULL), 1);
	CU_ASSERT_EQUAL(buf[0], 'z');
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_OOB, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_send(loop, c, "q", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 1);
	CU_ASSERT_EQUAL(buf[0], 'q');
	aring_close(loop, c, NULL);
	return aring_close(loop, s, NULL);
}

static void test_oob(void)
{
	CU_ASSERT_EQUAL(th_run(oob_task, NULL, 0), 0);
}

/*
 * A send bigger than the room completes short: kernel io_uring/net.c
 * io_send() retries (io_net_retry()) only below min_ret, which is 0 without
 * MSG_WAITALL; tcp_sendmsg() under MSG_DONTWAIT moves what fits. How much
 * fits is the stack's (3.75 MiB of 8 on Linux 6.18 loopback, 256 KiB on the
 * sim); that it is short and that exactly that much arrives is the rule.
 */
static int short_send_task(aring_loop *loop, void *arg)
{
	static char big[8 << 20];
	struct aring_opt tmo = { .timeout_ns = 2000000 };
	int c, s, sent, got = 0, ret;

	(void)arg;
	CU_ASSERT_FATAL(th_tcp_pair(loop, &c, &s) == 0);
	sent = aring_send(loop, c, big, sizeof(big), 0, NULL);
	CU_ASSERT(sent > 0 && sent < (int)sizeof(big));
	while (got < sent && (ret = aring_recv(loop, s, big, sizeof(big), 0, NULL)) > 0)
		got += ret;
	CU_ASSERT_EQUAL(got, sent);
	CU_ASSERT_EQUAL(aring_recv(loop, s, big, 1, 0, &tmo), -ETIME);
	aring_close(loop, c, NULL);
	return aring_close(loop, s, NULL);
}

static void test_short_send(void)
{
	CU_ASSERT_EQUAL(th_run(short_send_task, NULL, 0), 0);
}

static void prep_unmodelled(struct io_uring_sqe *sqe, void *ctx)
{
	sqe->opcode = (uint8_t)*(unsigned *)ctx;
	sqe->fd = 12345; /* names no file */
}

/* DESIGN.md: an opcode the sim does not model completes -EOPNOTSUPP, before any file check. */
static int unmodelled_task(aring_loop *loop, void *arg)
{
	unsigned op;

	(void)arg;
	/* modelled everywhere: io_assign_file() finds no registered file table */
	CU_ASSERT_EQUAL(aring_fixed_fd_install(loop, 0, 0, NULL), -EBADF);
	if (!th_is_sim())
		return 0;
	for (op = 0; op < ARING_OP_LAST && aring_op_supported(loop, op); op++)
		;
	if (op < ARING_OP_LAST)
		CU_ASSERT_EQUAL(aring_do(loop, prep_unmodelled, &op, NULL), -EOPNOTSUPP);
	return 0;
}

static void test_unmodelled(void)
{
	CU_ASSERT_EQUAL(th_run(unmodelled_task, NULL, 0), 0);
}

/*
 * MSG_* flags TCP ignores or answers (checked on Linux 6.18): MSG_ERRQUEUE on
 * a send is ignored, on a recv reads the (empty) error queue: -EAGAIN at once
 * (tcp_recvmsg() -> inet_recv_error()); MSG_FASTOPEN on a connected socket
 * is -EISCONN (tcp_sendmsg_fastopen() -> __inet_stream_connect()); MSG_TRUNC
 * discards, and takes a NULL buffer.
 */
static int msg_flags_task(aring_loop *loop, void *arg)
{
	char buf[8];
	int c, s;

	(void)arg;
	CU_ASSERT_FATAL(th_tcp_pair(loop, &c, &s) == 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, MSG_ERRQUEUE, NULL), 1);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_ERRQUEUE, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, MSG_FASTOPEN, NULL), -EISCONN);
	CU_ASSERT_EQUAL(aring_send(loop, c, "y", 1, MSG_EOR | MSG_CONFIRM | 0x10000, NULL), 1);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 1);
	CU_ASSERT_EQUAL(buf[0], 'y');
	/* MSG_TRUNC on TCP discards what it reads, copying nothing (tcp_recvmsg_locked()) */
	CU_ASSERT_EQUAL(aring_send(loop, c, "abcdef", 6, 0, NULL), 6);
	CU_ASSERT_EQUAL(aring_recv(loop, s, NULL, 3, MSG_TRUNC, NULL), 3);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, 2, MSG_TRUNC, NULL), 2);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 1);
	CU_ASSERT_EQUAL(buf[0], 'f');
	aring_close(loop, c, NULL);
	return aring_close(loop, s, NULL);
}

static void test_msg_flags(void)
{
	CU_ASSERT_EQUAL(th_run(msg_flags_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "sendmsg/recvmsg: bad msghdrs and iovecs", test_msg },
	{ "readv/writev/read/write: bad iovecs and buffers", test_rw },
	{ "poll on a regular file", test_poll_file },
	{ "accept with an address and no length", test_accept },
	{ "directories removed while open", test_dead_dir },
	{ "40 symlinks on a 16 KiB stack, ELOOP at 41", test_symlinks },
	{ "pipe, socket and file I/O on a 16 KiB stack", test_small_stack },
	{ "sim latency bounds refused", test_latency_bounds },
	{ "sim latency at the bound", test_latency_max },
	{ "O_NONBLOCK sockets wait; offsets, sync on a socket", test_nonblock_sock },
	{ "MSG_OOB: urgent byte out of line", test_oob },
	{ "short sends without MSG_WAITALL", test_short_send },
	{ "unmodelled opcode: -EOPNOTSUPP first", test_unmodelled },
	{ "MSG_ERRQUEUE, MSG_FASTOPEN and ignored MSG_* flags", test_msg_flags },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "kernel edge cases", tests, TH_BOTH);
}
