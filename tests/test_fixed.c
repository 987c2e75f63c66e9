/* SPDX-License-Identifier: MIT */
/*
 * uring only: the raw registration path that aring_ring(3) documents
 * (io_uring_register_buffers/files on aring_ring), which shares its tables
 * with aring_register_buffers/files; and madvise on real memory. The
 * portable API on every backend is tests/test_fixed_files.c's.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tests/helpers.h"

#define BUF 4096

static int fixed_task(aring_loop *loop, void *arg)
{
	static char bufs[2][BUF] __attribute__((aligned(4096)));
	struct iovec iov[2] = { { bufs[0], BUF }, { bufs[1], BUF } };
	struct io_uring *ring = aring_ring(loop);
	char dir[128];
	int fd;

	CU_ASSERT_PTR_NOT_NULL(ring);
	if (!ring || th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	CU_ASSERT_EQUAL(io_uring_register_buffers(ring, iov, 2), 0);
	fd = th_file(loop, dir, "f", "");
	memset(bufs[0], 'F', BUF);
	memcpy(bufs[0], "fixed", 5);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, fd, bufs[0], BUF, 0, 0, NULL), BUF);
	memset(bufs[1], 0, BUF);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, bufs[1], BUF, 0, 1, NULL), BUF);
	CU_ASSERT_EQUAL(memcmp(bufs[0], bufs[1], BUF), 0);
	/* Part of a buffer, at an offset into the file. */
	memset(bufs[1], 0, BUF);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, bufs[1] + 100, 5, 0, 1, NULL), 5);
	CU_ASSERT_EQUAL(memcmp(bufs[1] + 100, "fixed", 5), 0);
	/* An index that is not registered, and memory outside the buffer. */
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, bufs[1], BUF, 0, 5, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, bufs[0], BUF, 0, 1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, fd, bufs[0], BUF + 1, 0, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_write_fixed(loop, 9999, bufs[0], BUF, 0, 0, NULL), -EBADF);
	/* One table: aring's calls see what the raw call registered. */
	CU_ASSERT_EQUAL(aring_register_buffers(loop, iov, 2), -EBUSY);
	CU_ASSERT_EQUAL(aring_unregister_buffers(loop), 0);
	CU_ASSERT_EQUAL(io_uring_unregister_buffers(ring), -ENXIO);
	/* With nothing registered. */
	CU_ASSERT_EQUAL(aring_read_fixed(loop, fd, bufs[1], BUF, 0, 0, NULL), -EFAULT);
	/* Files: the raw call, then a fixed-file read and aring's unregister. */
	CU_ASSERT_EQUAL(io_uring_register_files(ring, &fd, 1), 0);
	memset(bufs[1], 0, BUF);
	CU_ASSERT_EQUAL(aring_read(loop, 0, bufs[1], 5, 0,
				   &(struct aring_opt){ .sqe_flags = IOSQE_FIXED_FILE }), 5);
	CU_ASSERT_EQUAL(memcmp(bufs[1], "fixed", 5), 0);
	CU_ASSERT_EQUAL(aring_unregister_files(loop), 0);
	CU_ASSERT_EQUAL(io_uring_unregister_files(ring), -ENXIO);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_read_write_fixed(void)
{
	CU_ASSERT_EQUAL(th_run(fixed_task, NULL, 0), 0);
}

static int madvise_task(aring_loop *loop, void *arg)
{
	size_t len = 4 * (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CU_ASSERT(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 'm', len);
	CU_ASSERT_EQUAL(aring_madvise(loop, p, (off_t)len, MADV_WILLNEED, NULL), 0);
	/* DONTNEED on private anonymous memory: it reads back as zeros. */
	CU_ASSERT_EQUAL(aring_madvise(loop, p, (off_t)len, MADV_DONTNEED, NULL), 0);
	CU_ASSERT_EQUAL(p[0], 0);
	CU_ASSERT_EQUAL(p[len - 1], 0);
	CU_ASSERT_EQUAL(aring_madvise(loop, p, (off_t)len, 12345, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_madvise(loop, p + 1, (off_t)len, MADV_NORMAL, NULL), -EINVAL);
	munmap(p, len);
	/* Unmapped memory. */
	CU_ASSERT_EQUAL(aring_madvise(loop, p, (off_t)len, MADV_WILLNEED, NULL), -ENOMEM);
	return 0;
}

static void test_madvise(void)
{
	CU_ASSERT_EQUAL(th_run(madvise_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "the raw registration path on aring_ring", test_read_write_fixed },
	{ "madvise", test_madvise },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	/* uring only: the raw path goes through aring_ring(), which the soft ring (sim, epoll) does not
	   have; madvise's effects are on real memory */
	return th_main(argc, argv, "fixed", tests, TH_URING);
}
