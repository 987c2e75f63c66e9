/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: SETXATTR, GETXATTR, FSETXATTR, FGETXATTR on files
 * and a directory (uring on /tmp, and the sim's model, sim/xattr.c). Not on
 * epoll: it does not run the xattr ops (-EOPNOTSUPP, docs/ops.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/xattr.h>

#include "tests/helpers.h"

static int xattr_task(aring_loop *loop, void *arg)
{
	char dir[128], path[256], buf[16], big[300];
	int fd, p[2];

	(void)arg;
	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "f", "data");
	CU_ASSERT(fd >= 0);
	th_path(path, sizeof(path), dir, "f");
	/* Missing; then set, read back, size query, a buffer too small. */
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, "user.a", buf, sizeof(buf), NULL), -ENODATA);
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, fd, "user.a", "hello", 0, 5, NULL), 0);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, "user.a", buf, sizeof(buf), NULL), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(aring_getxattr(loop, "user.a", NULL, path, 0, NULL), 5);
	CU_ASSERT_EQUAL(aring_getxattr(loop, "user.a", buf, path, 4, NULL), -ERANGE);
	/* XATTR_CREATE on an existing name, XATTR_REPLACE on a missing one. */
	CU_ASSERT_EQUAL(aring_setxattr(loop, "user.a", "x", path, XATTR_CREATE, 1, NULL), -EEXIST);
	CU_ASSERT_EQUAL(aring_setxattr(loop, "user.b", "x", path, XATTR_REPLACE, 1, NULL),
			-ENODATA);
	CU_ASSERT_EQUAL(aring_setxattr(loop, "user.a", "bye", path, XATTR_REPLACE, 3, NULL), 0);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, "user.a", buf, sizeof(buf), NULL), 3);
	CU_ASSERT_EQUAL(memcmp(buf, "bye", 3), 0);
	/* An empty value is a value. */
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, fd, "user.e", "", 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, "user.e", buf, sizeof(buf), NULL), 0);
	/* Bad flags, an empty or too long name, an unknown namespace, a bare prefix. */
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, fd, "user.a", "x", 4, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, "", buf, sizeof(buf), NULL), -ERANGE);
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "user.", 5);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, fd, big, buf, sizeof(buf), NULL), -ERANGE);
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, fd, "nons.a", "x", 0, 1, NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, fd, "user.", "x", 0, 1, NULL), -EINVAL);
	/* A path that does not exist; a bad fd; a directory has xattrs too. */
	CU_ASSERT_EQUAL(aring_getxattr(loop, "user.a", buf, "/tmp/aring-no/such", 16, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, 9999, "user.a", buf, sizeof(buf), NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_setxattr(loop, "user.d", "dir", dir, 0, 3, NULL), 0);
	CU_ASSERT_EQUAL(aring_getxattr(loop, "user.d", buf, dir, sizeof(buf), NULL), 3);
	/* user.* on a pipe: the kernel allows it on regular files and directories only. */
	CU_ASSERT_EQUAL(aring_pipe(loop, p, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_fsetxattr(loop, p[0], "user.a", "x", 0, 1, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_fgetxattr(loop, p[0], "user.a", buf, sizeof(buf), NULL), -ENODATA);
	th_close_pair(loop, p);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_xattr(void)
{
	CU_ASSERT_EQUAL(th_run(xattr_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "xattrs: set, get, size query, -ERANGE, CREATE/REPLACE, names", test_xattr },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(IORING_OP_FGETXATTR, "FGETXATTR"))
		return 77;
	/* not epoll: it does not run the xattr ops */
	return th_main(argc, argv, "xattr", tests, TH_URING | TH_SIM);
}
