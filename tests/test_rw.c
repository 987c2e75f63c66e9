/* SPDX-License-Identifier: MIT */
/*
 * Data ops on real files: read, write, readv, writev (at offsets and at the
 * file position), fsync, sync_file_range, fallocate, fadvise, ftruncate, and
 * their error paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/abi.h"
#include "tests/helpers.h"

struct rw {
	char dir[128];
	char path[256];
	int fd;
};

/* A temp dir with file "f" holding data, opened O_RDWR. */
static int rw_open(aring_loop *loop, struct rw *r, const char *data)
{
	if (th_tmpdir(loop, r->dir, sizeof(r->dir)) < 0)
		return -1;
	th_path(r->path, sizeof(r->path), r->dir, "f");
	r->fd = th_file(loop, r->dir, "f", data);
	CU_ASSERT(r->fd >= 0);
	return r->fd < 0 ? -1 : 0;
}

static void rw_close(aring_loop *loop, struct rw *r)
{
	CU_ASSERT_EQUAL(aring_close(loop, r->fd, NULL), 0);
	th_tmpdir_remove(loop, r->dir);
}

static int read_write_task(aring_loop *loop, void *arg)
{
	struct rw r;
	char buf[32];
	int fd;

	if (rw_open(loop, &r, "") < 0)
		return -1;
	CU_ASSERT_EQUAL(aring_write(loop, r.fd, "hello world", 11, 0, NULL), 11);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, r.fd, buf, sizeof(buf), 6, NULL), 5);
	CU_ASSERT_STRING_EQUAL(buf, "world");
	/* Overwrite in the middle, at an offset. */
	CU_ASSERT_EQUAL(aring_write(loop, r.fd, "WORLD", 5, 6, NULL), 5);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, r.fd, buf, sizeof(buf), 0, NULL), 11);
	CU_ASSERT_STRING_EQUAL(buf, "hello WORLD");
	/* Past the end: 0 (EOF). */
	CU_ASSERT_EQUAL(aring_read(loop, r.fd, buf, sizeof(buf), 100, NULL), 0);
	/* Offset -1: the file position, which moves. */
	fd = aring_openat(loop, AT_FDCWD, r.path, O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 6, (uint64_t)-1, NULL), 6);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 5, (uint64_t)-1, NULL), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "WORLD", 5), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 5, (uint64_t)-1, NULL), 0);
	/* Errors: writing a read-only fd, a bad fd, reading a directory. */
	CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, 0, NULL), -EBADF);
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 1, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_write(loop, -1, "x", 1, 0, NULL), -EBADF);
	fd = aring_openat(loop, AT_FDCWD, r.dir, O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), -EISDIR);
	aring_close(loop, fd, NULL);
	rw_close(loop, &r);
	return 0;
}

static void test_read_write(void)
{
	CU_ASSERT_EQUAL(th_run(read_write_task, NULL, 0), 0);
}

static int vec_task(aring_loop *loop, void *arg)
{
	struct rw r;
	char a[4] = { 0 }, b[8] = { 0 };
	struct iovec out[3] = {
		{ .iov_base = "abc", .iov_len = 3 },
		{ .iov_base = "", .iov_len = 0 },
		{ .iov_base = "defghij", .iov_len = 7 },
	};
	struct iovec in[2] = {
		{ .iov_base = a, .iov_len = 3 },
		{ .iov_base = b, .iov_len = 7 },
	};

	if (rw_open(loop, &r, "") < 0)
		return -1;
	CU_ASSERT_EQUAL(aring_writev(loop, r.fd, out, 3, 0, NULL), 10);
	CU_ASSERT_EQUAL(aring_readv(loop, r.fd, in, 2, 0, NULL), 10);
	CU_ASSERT_STRING_EQUAL(a, "abc");
	CU_ASSERT_STRING_EQUAL(b, "defghij");
	/* A short readv: only 4 bytes from offset 6. */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CU_ASSERT_EQUAL(aring_readv(loop, r.fd, in, 2, 6, NULL), 4);
	CU_ASSERT_STRING_EQUAL(a, "ghi");
	CU_ASSERT_STRING_EQUAL(b, "j");
	/* Appending at the file position. */
	CU_ASSERT_EQUAL(aring_writev(loop, r.fd, out, 1, (uint64_t)-1, NULL), 3);
	CU_ASSERT_EQUAL(aring_writev(loop, r.fd, out, 1, (uint64_t)-1, NULL), 3);
	CU_ASSERT_EQUAL(th_file_size(loop, r.path), 10);
	CU_ASSERT_EQUAL(aring_readv(loop, -1, in, 2, 0, NULL), -EBADF);
	/* Too many iovecs. */
	CU_ASSERT_EQUAL(aring_readv(loop, r.fd, in, 1025, 0, NULL), -EINVAL);
	rw_close(loop, &r);
	return 0;
}

static void test_readv_writev(void)
{
	CU_ASSERT_EQUAL(th_run(vec_task, NULL, 0), 0);
}

static int sync_task(aring_loop *loop, void *arg)
{
	struct rw r;

	if (rw_open(loop, &r, "some data") < 0)
		return -1;
	CU_ASSERT_EQUAL(aring_fsync(loop, r.fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, r.fd, IORING_FSYNC_DATASYNC, NULL), 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, r.fd, 0x80, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_fsync(loop, 9999, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, r.fd, 9, 0, SYNC_FILE_RANGE_WRITE, NULL), 0);
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, r.fd, 0, 0,
					      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					      SYNC_FILE_RANGE_WAIT_AFTER, NULL), 0);
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, r.fd, 9, 0, 0x100, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, 9999, 9, 0, SYNC_FILE_RANGE_WRITE, NULL), -EBADF);
	rw_close(loop, &r);
	return 0;
}

static void test_fsync_sync_file_range(void)
{
	CU_ASSERT_EQUAL(th_run(sync_task, NULL, 0), 0);
}

static int space_task(aring_loop *loop, void *arg)
{
	struct rw r;
	char buf[8];
	int fd;

	if (rw_open(loop, &r, "0123456789") < 0)
		return -1;
	/* fallocate grows the file (mode 0), KEEP_SIZE does not. */
	CU_ASSERT_EQUAL(aring_fallocate(loop, r.fd, 0, 0, 8192, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, r.path), 8192);
	CU_ASSERT_EQUAL(aring_fallocate(loop, r.fd, FALLOC_FL_KEEP_SIZE, 8192, 8192, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, r.path), 8192);
	CU_ASSERT_EQUAL(aring_fallocate(loop, r.fd, 0, 0, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_fallocate(loop, 9999, 0, 0, 10, NULL), -EBADF);
	/* The bytes before the allocation are intact, the rest reads as zeros. */
	CU_ASSERT_EQUAL(aring_read(loop, r.fd, buf, 4, 8, NULL), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "89\0\0", 4), 0);

	/* ftruncate shrinks and grows. */
	CU_ASSERT_EQUAL(aring_ftruncate(loop, r.fd, 5, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, r.path), 5);
	CU_ASSERT_EQUAL(aring_read(loop, r.fd, buf, sizeof(buf), 0, NULL), 5);
	CU_ASSERT_EQUAL(aring_ftruncate(loop, r.fd, 100, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, r.path), 100);
	CU_ASSERT_EQUAL(aring_ftruncate(loop, r.fd, -1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_ftruncate(loop, 9999, 0, NULL), -EBADF);
	fd = aring_openat(loop, AT_FDCWD, r.path, O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_ftruncate(loop, fd, 0, NULL), -EINVAL);  /* not open for writing */
	CU_ASSERT_EQUAL(aring_fallocate(loop, fd, 0, 0, 10, NULL), -EBADF);
	aring_close(loop, fd, NULL);

	/* fadvise: valid advice is accepted, unknown advice is not. */
	CU_ASSERT_EQUAL(aring_fadvise(loop, r.fd, 0, 100, POSIX_FADV_SEQUENTIAL, NULL), 0);
	CU_ASSERT_EQUAL(aring_fadvise(loop, r.fd, 0, 0, POSIX_FADV_DONTNEED, NULL), 0);
	CU_ASSERT_EQUAL(aring_fadvise(loop, r.fd, 0, 100, 99, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_fadvise(loop, 9999, 0, 100, POSIX_FADV_NORMAL, NULL), -EBADF);
	rw_close(loop, &r);
	return 0;
}

static void test_fallocate_ftruncate_fadvise(void)
{
	CU_ASSERT_EQUAL(th_run(space_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "read and write", test_read_write },
	{ "readv and writev", test_readv_writev },
	{ "fsync and sync_file_range", test_fsync_sync_file_range },
	{ "fallocate, ftruncate, fadvise", test_fallocate_ftruncate_fadvise },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(ARING_OP_FTRUNCATE, "FTRUNCATE"))
		return 77;
	return th_main(argc, argv, "rw", tests, TH_BOTH);
}
