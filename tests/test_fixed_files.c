/* SPDX-License-Identifier: MIT */
/*
 * Registered files and buffers end to end, on every backend: the table's
 * life (sparse, update, unregister), ops on a fixed file, direct
 * descriptors from openat, socket and accept, closing one, installing one
 * as a plain fd, FILES_UPDATE with and without allocation, registered
 * buffers through a pool with read/write(v)_fixed. Every expectation was
 * checked on Linux 6.18 (the uring configuration runs the same code).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/abi.h"
#include "tests/helpers.h"

static const struct aring_opt fixed_opt = { .sqe_flags = IOSQE_FIXED_FILE };
#define FX (&fixed_opt)

/* ---------------------------------------------------------------- the table */

static int table_task(aring_loop *loop, void *arg)
{
	char dir[128], buf[16];
	int fd, fds[3], bad = 999999, two[2], m1 = -1;

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "hello world");
	CU_ASSERT_FATAL(fd >= 0);
	/* kernel rsrc.c: nothing registered */
	CU_ASSERT_EQUAL(aring_unregister_files(loop), -ENXIO);
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 0, &fd, 1), -ENXIO);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 4, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_register_files(loop, &fd, 0), -EINVAL);
	CU_ASSERT_EQUAL(aring_register_files(loop, NULL, 2), -EFAULT);
	/* a bad fd undoes the registration */
	CU_ASSERT_EQUAL(aring_register_files(loop, &bad, 1), -EBADF);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), -ENXIO);
	/* sparse: -1 leaves a slot empty */
	fds[0] = -1;
	fds[1] = fd;
	fds[2] = -1;
	CU_ASSERT_EQUAL(aring_register_files(loop, fds, 3), 0);
	CU_ASSERT_EQUAL(aring_register_files(loop, fds, 3), -EBUSY);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 4, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_read(loop, 7, buf, 4, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_read(loop, -1, buf, 4, 0, FX), -EBADF);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, 1, buf, 5, 0, FX), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	/* the slot holds its own reference: closing the fd leaves it usable */
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 4, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_read(loop, 1, buf, 5, 6, FX), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "world", 5), 0);
	CU_ASSERT_EQUAL(aring_write(loop, 1, "HELLO", 5, 0, FX), 5);
	/* updates: past the table, a bad fd, a partial update */
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 3, &m1, 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 2, fds, 2), -EINVAL);
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 2, &bad, 1), -EBADF);
	fd = th_file(loop, dir, "g", "second");
	CU_ASSERT_FATAL(fd >= 0);
	two[0] = fd;
	two[1] = bad;
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 0, two, 2), 1);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 6, 0, FX), 6);
	CU_ASSERT_EQUAL(memcmp(buf, "second", 6), 0);
	/* the failed slot was emptied before its fd was looked up (__io_sqe_files_update()) */
	CU_ASSERT_EQUAL(aring_read(loop, 1, buf, 5, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 1, &fd, 1), 1);
	/* IORING_REGISTER_FILES_SKIP leaves a slot; -1 empties one */
	two[0] = IORING_REGISTER_FILES_SKIP;
	two[1] = -1;
	CU_ASSERT_EQUAL(aring_register_files_update(loop, 0, two, 2), 2);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 6, 0, FX), 6);
	CU_ASSERT_EQUAL(aring_read(loop, 1, buf, 5, 0, FX), -EBADF);
	/* the op: files_update through the ring */
	CU_ASSERT_EQUAL(aring_files_update(loop, &fd, 1, 2, NULL), 1);
	CU_ASSERT_EQUAL(aring_read(loop, 2, buf, 6, 0, FX), 6);
	CU_ASSERT_EQUAL(aring_files_update(loop, &m1, 1, 2, NULL), 1);
	CU_ASSERT_EQUAL(aring_read(loop, 2, buf, 6, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_files_update(loop, &fd, 1, 3, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_files_update(loop, &fd, 0, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_files_update(loop, &fd, 1, 0, FX), -EINVAL);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), 0);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), -ENXIO);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 6, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_files_update(loop, &fd, 1, 0, NULL), -ENXIO);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_table(void)
{
	CU_ASSERT_EQUAL(th_run(table_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- direct descriptors */

static int direct_task(aring_loop *loop, void *arg)
{
	char dir[128], path[160], buf[16];
	int fd, slot, pfd, a[2], a3[3];

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "direct data");
	CU_ASSERT_FATAL(fd >= 0);
	th_path(path, sizeof(path), dir, "f");
	/* no table: a given slot -ENXIO, an allocation -ENFILE (filetable.c) */
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0, 0, NULL), -ENXIO);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0,
					    ARING_FILE_INDEX_ALLOC, NULL), -ENFILE);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 0, NULL), -ENXIO);
	CU_ASSERT_EQUAL(aring_fixed_fd_install(loop, 0, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, 3), 0);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0, 1, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0, 3, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, "/no/such/file", O_RDONLY, 0, 1, NULL),
			-ENOENT);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, 6, 0, FX), 6);
	CU_ASSERT_EQUAL(memcmp(buf, "direct", 6), 0);
	/* a plain fd for the slot's file; the slot keeps it */
	pfd = aring_fixed_fd_install(loop, 0, 0, NULL);
	CU_ASSERT(pfd >= 0);
	CU_ASSERT_EQUAL(aring_read(loop, pfd, buf, 4, 7, NULL), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "data", 4), 0);
	CU_ASSERT_EQUAL(aring_close(loop, pfd, NULL), 0);
	CU_ASSERT_EQUAL(aring_fixed_fd_install(loop, 0, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_fixed_fd_install(loop, 1, 0, NULL), -EBADF);
	/* allocation: the free slots in order, then -ENFILE */
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0,
					    ARING_FILE_INDEX_ALLOC, NULL), 1);
	slot = aring_socket_direct(loop, AF_INET, SOCK_STREAM, 0, ARING_FILE_INDEX_ALLOC, 0, NULL);
	CU_ASSERT_EQUAL(slot, 2);
	CU_ASSERT_EQUAL(aring_socket_direct(loop, AF_INET, SOCK_STREAM, 0, ARING_FILE_INDEX_ALLOC,
					    0, NULL), -ENFILE);
	CU_ASSERT_EQUAL(aring_socket_direct(loop, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 1, 0,
					    NULL), -EINVAL);
	/* close: a direct descriptor's slot */
	CU_ASSERT_EQUAL(aring_close_direct(loop, 2, NULL), 0);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 2, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 9, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_read(loop, 2, buf, 4, 0, FX), -EBADF);
	/* FILES_UPDATE with IORING_FILE_INDEX_ALLOC writes the slots back */
	a[0] = fd;
	a[1] = fd;
	CU_ASSERT_EQUAL(aring_close_direct(loop, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_files_update(loop, a, 2, (int)ARING_FILE_INDEX_ALLOC, NULL), 2);
	/* the search starts at the slot last cleared (filetable.h io_file_bitmap_clear()) */
	CU_ASSERT_EQUAL(a[0], 0);
	CU_ASSERT_EQUAL(a[1], 2);
	a3[0] = a3[1] = a3[2] = fd;
	CU_ASSERT_EQUAL(aring_files_update(loop, a3, 3, (int)ARING_FILE_INDEX_ALLOC, NULL), -ENFILE);
	CU_ASSERT_EQUAL(a3[0], fd);
	/* the allocation range */
	CU_ASSERT_EQUAL(aring_register_file_alloc_range(loop, 1, 5), -EINVAL);
	CU_ASSERT_EQUAL(aring_register_file_alloc_range(loop, 1, 1), 0);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 1, NULL), 0);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0,
					    ARING_FILE_INDEX_ALLOC, NULL), 1);
	CU_ASSERT_EQUAL(aring_openat_direct(loop, AT_FDCWD, path, O_RDONLY, 0,
					    ARING_FILE_INDEX_ALLOC, NULL), -ENFILE);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_direct(void)
{
	CU_ASSERT_EQUAL(th_run(direct_task, NULL, 0), 0);
}

/* A pipe's ends as direct descriptors (kernel pipe.c io_pipe_fixed(), Linux 6.16). */
static int pipe_task(aring_loop *loop, void *arg)
{
	int fds[2] = { -5, -5 };
	char buf[8];

	(void)arg;
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, ARING_FILE_INDEX_ALLOC, NULL), -ENFILE);
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, 0, NULL), -ENXIO);
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, 4), 0);
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, ARING_FILE_INDEX_ALLOC, NULL), 0);
	CU_ASSERT_EQUAL(fds[0], 0);
	CU_ASSERT_EQUAL(fds[1], 1);
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, 2, NULL), 0);
	CU_ASSERT_EQUAL(fds[0], 2);
	CU_ASSERT_EQUAL(fds[1], 3);
	CU_ASSERT_EQUAL(aring_write(loop, 1, "pipe", 4, 0, FX), 4);
	CU_ASSERT_EQUAL(aring_read(loop, 0, buf, sizeof(buf), 0, FX), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "pipe", 4), 0);
	CU_ASSERT_EQUAL(aring_write(loop, 0, "x", 1, 0, FX), -EBADF); /* the read end */
	/* the write end's slot past the table: the read end's slot is emptied again */
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, 3, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_write(loop, 3, "x", 1, 0, FX), -EBADF);
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, O_CLOEXEC, 0, NULL), -EINVAL);
	/* one free slot for two ends */
	CU_ASSERT_EQUAL(aring_pipe_direct(loop, fds, 0, ARING_FILE_INDEX_ALLOC, NULL), -ENFILE);
	CU_ASSERT_EQUAL(aring_close_direct(loop, 3, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), 0);
	return 0;
}

static void test_pipe(void)
{
	if (th_cfg->backend == ARING_BACKEND_URING && !th_kernel_has(ARING_OP_PIPE, "PIPE"))
		return;
	CU_ASSERT_EQUAL(th_run(pipe_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- sockets */

struct srv {
	int lfd;
	int slot;
};

static int server_task(aring_loop *loop, void *arg)
{
	struct srv *v = arg;
	char buf[64];
	int n;

	v->slot = aring_accept_direct(loop, v->lfd, NULL, NULL, 0, ARING_FILE_INDEX_ALLOC, NULL);
	CU_ASSERT(v->slot >= 0);
	if (v->slot < 0)
		return -1;
	n = aring_recv(loop, v->slot, buf, sizeof(buf), 0, FX);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(aring_send(loop, v->slot, "pong", 4, 0, FX), 4);
	CU_ASSERT_EQUAL(aring_shutdown(loop, v->slot, SHUT_WR, FX), 0);
	return 0;
}

static int sockets_task(aring_loop *loop, void *arg)
{
	struct srv v = { .lfd = -1, .slot = -1 };
	struct sockaddr_in a;
	aring_task *t;
	uint16_t port = 0;
	char buf[16];
	int c;

	(void)arg;
	v.lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(v.lfd >= 0);
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, 8), 0);
	t = th_spawn(loop, server_task, &v);
	/* the client: a direct socket, connected and used through its slot */
	c = aring_socket_direct(loop, AF_INET, SOCK_STREAM, 0, 5, 0, NULL);
	CU_ASSERT_EQUAL(c, 0);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, 5, (struct sockaddr *)&a, sizeof(a), FX), 0);
	CU_ASSERT_EQUAL(aring_send(loop, 5, "ping", 4, 0, FX), 4);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_recv(loop, 5, buf, sizeof(buf), MSG_WAITALL, FX), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "pong", 4), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	/* the search starts after the slot last set (filetable.h io_file_bitmap_set()) */
	CU_ASSERT_EQUAL(v.slot, 6);
	CU_ASSERT_EQUAL(aring_recv(loop, 5, buf, sizeof(buf), 0, FX), 0); /* the server's FIN */
	CU_ASSERT_EQUAL(aring_close_direct(loop, 5, NULL), 0);
	CU_ASSERT_EQUAL(aring_close_direct(loop, (unsigned)v.slot, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, v.lfd, NULL), 0);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), 0);
	return 0;
}

static void test_sockets(void)
{
	CU_ASSERT_EQUAL(th_run(sockets_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- buffers */

static int buffers_task(aring_loop *loop, void *arg)
{
	static char other[4096];
	aring_fixed_pool *pool = NULL;
	char dir[128], *b0, *b1;
	struct iovec iov[2];
	int fd, i0 = -1, i1 = -1;

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "");
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(aring_unregister_buffers(loop), -ENXIO);
	/* nothing registered: io_import_reg_buf() finds no node */
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, other, 16, 0, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_fixed_pool_new(loop, 0, 4096, &pool), -EINVAL);
	CU_ASSERT_EQUAL(aring_fixed_pool_new(loop, 2, 4096, &pool), 0);
	CU_ASSERT_FATAL(pool != NULL);
	CU_ASSERT_EQUAL(aring_fixed_pool_buf_size(pool), 4096);
	iov[0].iov_base = other;
	iov[0].iov_len = sizeof(other);
	CU_ASSERT_EQUAL(aring_register_buffers(loop, iov, 1), -EBUSY);
	b0 = aring_fixed_pool_get(pool, &i0);
	b1 = aring_fixed_pool_get(pool, &i1);
	CU_ASSERT_EQUAL(i0, 0);
	CU_ASSERT_EQUAL(i1, 1);
	CU_ASSERT_PTR_NULL(aring_fixed_pool_get(pool, NULL));
	memset(b0, 'F', 4096);
	memcpy(b0, "fixed", 5);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, fd, b0, 4096, 0, i0, NULL), 4096);
	memset(b1, 0, 4096);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b1, 4096, 0, i1, NULL), 4096);
	CU_ASSERT_EQUAL(memcmp(b0, b1, 4096), 0);
	/* part of a buffer, at an offset */
	memset(b1, 0, 4096);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b1 + 100, 5, 0, i1, NULL), 5);
	CU_ASSERT_EQUAL(memcmp(b1 + 100, "fixed", 5), 0);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b1 + 4090, 6, 0, i1, NULL), 6);
	/* outside the buffer, another buffer's memory, a bad index: -EFAULT */
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b1 + 4000, 200, 0, i1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b0, 16, 0, i1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, other, 16, 0, i1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, b1, 16, 0, 2, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, fd, b0, 4097, 0, i0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, 999999, b0, 16, 0, i0, NULL), -EBADF);
	/* vectored: every iovec inside the buffer */
	if (aring_op_supported(loop, ARING_OP_READV_FIXED)) {
		iov[0].iov_base = b1;
		iov[0].iov_len = 3;
		iov[1].iov_base = b1 + 1000;
		iov[1].iov_len = 2;
		memset(b1, 0, 4096);
		CU_ASSERT_EQUAL(aring_readv_fixed(loop, fd, iov, 2, 0, 0, i1, NULL), 5);
		CU_ASSERT_EQUAL(memcmp(b1, "fix", 3), 0);
		CU_ASSERT_EQUAL(memcmp(b1 + 1000, "ed", 2), 0);
		iov[1].iov_base = b0;
		CU_ASSERT_EQUAL(aring_readv_fixed(loop, fd, iov, 2, 0, 0, i1, NULL), -EFAULT);
		iov[0].iov_base = b0 + 10;
		iov[0].iov_len = 2;
		CU_ASSERT_EQUAL(aring_writev_fixed(loop, fd, iov, 2, 0, 0, i0, NULL), 4);
		CU_ASSERT_EQUAL(aring_read(loop, fd, b1, 4, 0, NULL), 4);
		CU_ASSERT_EQUAL(memcmp(b1, "FFfi", 4), 0);
	}
	CU_ASSERT_EQUAL(aring_fixed_pool_put(pool, b0 + 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_fixed_pool_put(pool, b0), 0);
	CU_ASSERT_EQUAL(aring_fixed_pool_put(pool, b0), -EINVAL);
	CU_ASSERT_PTR_EQUAL(aring_fixed_pool_get(pool, &i0), b0);
	aring_fixed_pool_free(pool);
	CU_ASSERT_EQUAL(aring_unregister_buffers(loop), -ENXIO);
	/* a sparse table, and registrations the kernel refuses */
	CU_ASSERT_EQUAL(aring_register_buffers_sparse(loop, 4), 0);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, other, 16, 0, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_unregister_buffers(loop), 0);
	iov[0].iov_base = other;
	iov[0].iov_len = 0;
	CU_ASSERT_EQUAL(aring_register_buffers(loop, iov, 1), -EFAULT);
	CU_ASSERT_EQUAL(aring_register_buffers(loop, iov, 0), -EINVAL);
	CU_ASSERT_EQUAL(aring_register_buffers(loop, NULL, 1), -EFAULT);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_buffers(void)
{
	CU_ASSERT_EQUAL(th_run(buffers_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- sim: a crash */

static int crash_task(aring_loop *loop, void *arg)
{
	char dir[128];
	struct iovec iov = { dir, sizeof(dir) };
	int fd;

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "x");
	CU_ASSERT_EQUAL(aring_register_files(loop, &fd, 1), 0);
	CU_ASSERT_EQUAL(aring_register_buffers(loop, &iov, 1), 0);
	return 0;
}

/* The sim: a crash of the node's process drops its ring's tables (sim/api.c aring_sim_crash). */
static void test_crash(void)
{
	aring_loop *loop;

	if (!th_is_sim())
		return;
	loop = th_loop_new(0);
	CU_ASSERT_EQUAL(th_run_on(loop, crash_task, NULL), 0);
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, 1), -EBUSY);
	CU_ASSERT_EQUAL(aring_sim_crash(loop), 0);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), -ENXIO);
	CU_ASSERT_EQUAL(aring_unregister_buffers(loop), -ENXIO);
	aring_loop_free(loop);
}

/* A world: a client node's direct socket dies with the node, and its peer sees a reset. */
static int crash_server(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), c;
	char buf[8];

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(80);
	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, l, 4, NULL), 0);
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, MSG_WAITALL, NULL), 4);
	/* the client node crashes while we wait */
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, 0, NULL), -ECONNRESET);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int crash_client(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	(void)arg;
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, 4), 0);
	CU_ASSERT_EQUAL(aring_socket_direct(loop, AF_INET, SOCK_STREAM, 0, 2, 0, NULL), 0);
	aring_sleep(loop, 1000000);
	CU_ASSERT_EQUAL(aring_sim_resolve(loop, "server", (struct sockaddr *)&a, &len), 0);
	a.sin_port = htons(80);
	CU_ASSERT_EQUAL(aring_connect(loop, 2, (struct sockaddr *)&a, sizeof(a), FX), 0);
	CU_ASSERT_EQUAL(aring_send(loop, 2, "good", 4, 0, FX), 4);
	return 0; /* the connection stays open in the table */
}

/* A server that keeps the connection open when it returns (freed with the world). */
static int keep_server(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), c;
	char buf[8];

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(80);
	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, l, 4, NULL), 0);
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, MSG_WAITALL, NULL), 4);
	return 0;
}

/* Freeing a world whose nodes' tables hold sockets connected across nodes (ASan, Valgrind). */
static void test_free_world(void)
{
	aring_sim_world *w;
	aring_loop *srv, *cli;

	if (!th_is_sim())
		return;
	w = th_world_new(NULL);
	cli = th_node_new(w, "client");
	srv = th_node_new(w, "server");
	aring_spawn(srv, keep_server, NULL, NULL);
	aring_spawn(cli, crash_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
}

static void test_crash_world(void)
{
	aring_sim_world *w;
	aring_loop *srv, *cli;

	if (!th_is_sim())
		return;
	w = th_world_new(NULL);
	srv = th_node_new(w, "server");
	cli = th_node_new(w, "client");
	aring_spawn(srv, crash_server, NULL, NULL);
	aring_spawn(cli, crash_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), -EDEADLK); /* the server waits */
	CU_ASSERT_EQUAL(aring_sim_crash(cli), 0);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- a differential */

/*
 * The same seeded program of table operations on a uring, a sim and an
 * epoll loop: every result (and every slot FILES_UPDATE writes back) must
 * be the kernel's. A fixed read of a slot tells which file it holds (file
 * k holds k + 1 bytes). Run from the uring configuration only, which makes
 * its own sim and epoll loops.
 */
#define DIFF_STEPS 400
#define DIFF_SLOTS 8

struct diff {
	char area[512] __attribute__((aligned(64))); /* registered buffers: two of 128 bytes */
	uint64_t seed, rng;
	char path[3][64];
	int fds[3];
	int log[DIFF_STEPS * 4];
	char what[DIFF_STEPS * 4][48];
	unsigned n;
};

static unsigned diff_rand(struct diff *d, unsigned n)
{
	d->rng = d->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(d->rng >> 33) % n;
}

static void diff_log(struct diff *d, const char *what, unsigned a, int res)
{
	snprintf(d->what[d->n], sizeof(d->what[0]), "%s %u", what, a);
	d->log[d->n++] = res;
}

/* An fd for the program: a file, -1, IORING_REGISTER_FILES_SKIP or a bad one. */
static int diff_fd(struct diff *d)
{
	static const int other[] = { -1, IORING_REGISTER_FILES_SKIP, 999999 };
	unsigned k = diff_rand(d, 6);

	return k < 3 ? d->fds[k] : other[k - 3];
}

static unsigned diff_slot(struct diff *d)
{
	return diff_rand(d, 10) == 0 ? ARING_FILE_INDEX_ALLOC : diff_rand(d, DIFF_SLOTS + 2);
}

static int diff_task(aring_loop *loop, void *arg)
{
	struct diff *d = arg;
	char buf[8];
	unsigned step, k, a, nr;
	int fds[3], ret;

	d->rng = d->seed;
	d->n = 0;
	for (k = 0; k < 3; k++) {
		d->fds[k] = aring_openat(loop, AT_FDCWD, d->path[k], O_RDWR | O_CREAT | O_TRUNC, 0600,
					 NULL);
		CU_ASSERT_FATAL(d->fds[k] >= 0);
		CU_ASSERT_EQUAL(aring_write(loop, d->fds[k], "abc", k + 1, 0, NULL), (int)k + 1);
	}
	CU_ASSERT_EQUAL(aring_register_files_sparse(loop, DIFF_SLOTS), 0);
	for (step = 0; step < DIFF_STEPS; step++) {
		switch (diff_rand(d, 12)) {
		case 9: {
			/* buffers: 0 = area[0..128), 1 = empty or area[256..384) */
			struct iovec iov[2] = { { d->area, 128 }, { NULL, 0 } };

			if (diff_rand(d, 2)) {
				iov[1].iov_base = d->area + 256;
				iov[1].iov_len = 128;
			}
			diff_log(d, "unregister buffers", 0, aring_unregister_buffers(loop));
			diff_log(d, "register buffers", iov[1].iov_len,
				 aring_register_buffers(loop, iov, 2));
			break;
		}
		case 10:
		case 11: {
			/* a registered-buffer transfer anywhere in the area, any index */
			unsigned idx = diff_rand(d, 3), off = diff_rand(d, 400), len = 1 + diff_rand(d, 3);
			bool wr = diff_rand(d, 3) == 0;
			struct iovec v[2] = { { d->area + off, len }, { d->area + diff_rand(d, 400), 1 } };

			if (diff_rand(d, 2) && aring_op_supported(loop, ARING_OP_READV_FIXED))
				ret = wr ? aring_writev_fixed(loop, d->fds[2], v, 2, 0, 0, (int)idx, NULL)
					 : aring_readv_fixed(loop, d->fds[2], v, 2, 0, 0, (int)idx, NULL);
			else
				ret = wr ? aring_write_fixed(loop, d->fds[2], d->area + off, len, 0, (int)idx, NULL)
					 : aring_read_fixed(loop, d->fds[2], d->area + off, len, 0, (int)idx, NULL);
			diff_log(d, wr ? "write_fixed" : "read_fixed", idx * 1000 + off, ret);
			break;
		}
		case 0:
			a = diff_rand(d, DIFF_SLOTS + 1);
			nr = 1 + diff_rand(d, 3);
			for (k = 0; k < nr; k++)
				fds[k] = diff_fd(d);
			diff_log(d, "register update", a, aring_register_files_update(loop, a, fds, nr));
			break;
		case 1:
			a = diff_rand(d, 4) == 0 ? ARING_FILE_INDEX_ALLOC : diff_rand(d, DIFF_SLOTS + 1);
			nr = 1 + diff_rand(d, 3);
			for (k = 0; k < nr; k++)
				fds[k] = a == ARING_FILE_INDEX_ALLOC ? d->fds[diff_rand(d, 3)] : diff_fd(d);
			ret = aring_files_update(loop, fds, nr, (int)a, NULL);
			diff_log(d, "files_update", a, ret);
			for (k = 0; a == ARING_FILE_INDEX_ALLOC && ret > 0 && k < (unsigned)ret; k++)
				diff_log(d, "  written back", k, fds[k]);
			break;
		case 2:
			a = diff_slot(d);
			k = diff_rand(d, 3);
			diff_log(d, "openat_direct", a,
				 aring_openat_direct(loop, AT_FDCWD, d->path[k], O_RDONLY, 0, a, NULL));
			break;
		case 3:
			a = diff_rand(d, DIFF_SLOTS + 2);
			diff_log(d, "close_direct", a, aring_close_direct(loop, a, NULL));
			break;
		case 4:
		case 5:
			a = diff_rand(d, DIFF_SLOTS + 2);
			diff_log(d, "fixed read", a, aring_read(loop, (int)a, buf, sizeof(buf), 0, FX));
			break;
		case 6:
			a = diff_rand(d, DIFF_SLOTS + 2);
			ret = aring_fixed_fd_install(loop, (int)a, 0, NULL);
			if (ret >= 0) {
				ret = aring_read(loop, ret, buf, sizeof(buf), 0, NULL) | (aring_close(loop, ret, NULL) << 8);
			}
			diff_log(d, "fixed_fd_install, read", a, ret);
			break;
		case 7:
			a = diff_rand(d, DIFF_SLOTS + 1);
			nr = diff_rand(d, DIFF_SLOTS + 1);
			diff_log(d, "alloc range", a * 100 + nr, aring_register_file_alloc_range(loop, a, nr));
			break;
		default:
			if (diff_rand(d, 8) == 0) {
				diff_log(d, "unregister", 0, aring_unregister_files(loop));
				diff_log(d, "register sparse", 0, aring_register_files_sparse(loop, DIFF_SLOTS));
			} else {
				diff_log(d, "nop", 0, 0);
			}
			break;
		}
	}
	aring_unregister_files(loop);
	aring_unregister_buffers(loop);
	for (k = 0; k < 3; k++) {
		aring_close(loop, d->fds[k], NULL);
		aring_unlinkat(loop, AT_FDCWD, d->path[k], 0, NULL);
	}
	return 0;
}

static void test_differential(void)
{
	static const enum aring_backend kinds[] = { ARING_BACKEND_URING, ARING_BACKEND_SIM,
						    ARING_BACKEND_EPOLL };
	static struct diff d[3];
	unsigned seed, b, k, i;

	if (th_cfg->backend != ARING_BACKEND_URING)
		return;
	for (seed = 1; seed <= 20; seed++) {
		for (b = 0; b < 3; b++) {
			struct aring_loop_opts o = { .backend = kinds[b] };
			aring_loop *loop;

			CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
			d[b].seed = seed;
			for (k = 0; k < 3; k++)
				snprintf(d[b].path[k], sizeof(d[b].path[k]), "/tmp/aring-fx-%d-%u-%u",
					 (int)getpid(), b, k);
			CU_ASSERT_EQUAL(th_run_on(loop, diff_task, &d[b]), 0);
			aring_loop_free(loop);
		}
		for (b = 1; b < 3; b++) {
			CU_ASSERT_EQUAL(d[b].n, d[0].n);
			for (i = 0; i < d[0].n && i < d[b].n; i++)
				if (d[b].log[i] != d[0].log[i])
					break;
			if (i < d[0].n) {
				fprintf(stderr, "seed %u step %u (%s): %s gives %d, the kernel %d\n", seed, i,
					d[0].what[i], b == 1 ? "sim" : "epoll", d[b].log[i], d[0].log[i]);
				CU_FAIL("a result differs from the kernel's");
				if (getenv("ARING_FX_DUMP"))
					for (k = 0; k <= i; k++)
						fprintf(stderr, "  %3u %-28s %6d %6d\n", k, d[0].what[k],
							d[0].log[k], d[b].log[k]);
			}
		}
	}
}

static CU_TestInfo tests[] = {
	{ "file table: sparse, update, unregister", test_table },
	{ "direct descriptors: openat, socket, close, install, alloc", test_direct },
	{ "direct pipes", test_pipe },
	{ "direct sockets over 127.0.0.1", test_sockets },
	{ "registered buffers and a pool", test_buffers },
	{ "sim: a crash drops the tables", test_crash },
	{ "sim world: a crashed node's direct socket resets its peer", test_crash_world },
	{ "sim world: freed with direct sockets open across nodes", test_free_world },
	{ "differential: table programs on uring, sim, epoll", test_differential },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "fixed files and buffers", tests, TH_BOTH);
}
