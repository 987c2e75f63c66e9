/* SPDX-License-Identifier: MIT */
/*
 * File-system ops on real files in a fresh temp dir: openat, openat2, close,
 * statx, mkdirat, renameat, unlinkat, symlinkat, linkat, and their error paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

struct dir {
	char path[128];
	char buf[256];
};

static const char *P(struct dir *d, const char *name)
{
	return th_path(d->buf, sizeof(d->buf), d->path, name);
}

static int open_close_task(aring_loop *loop, void *arg)
{
	struct dir d;
	int fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	/* Missing file, no O_CREAT. */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, P(&d, "missing"), O_RDONLY, 0, NULL), -ENOENT);
	/* Missing directory on the way. */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, P(&d, "no/such"), O_CREAT | O_RDWR, 0600, NULL),
			-ENOENT);
	fd = aring_openat(loop, AT_FDCWD, P(&d, "f"), O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	CU_ASSERT(fd >= 0);
	/* O_EXCL on an existing file. */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, P(&d, "f"), O_CREAT | O_EXCL | O_RDWR, 0600, NULL),
			-EEXIST);
	/* O_DIRECTORY on a regular file. */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, P(&d, "f"), O_RDONLY | O_DIRECTORY, 0, NULL),
			-ENOTDIR);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	/* Closing it again, and a never-opened fd. */
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_close(loop, 9999, NULL), -EBADF);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_openat_close(void)
{
	CU_ASSERT_EQUAL(th_run(open_close_task, NULL, 0), 0);
}

static int openat2_task(aring_loop *loop, void *arg)
{
	struct dir d;
	struct open_how how;
	int dfd, fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	fd = th_file(loop, d.path, "f", "abc");
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	fd = aring_openat2(loop, AT_FDCWD, P(&d, "f"), &how, NULL);
	CU_ASSERT(fd >= 0);
	if (fd >= 0) {
		char buf[8] = { 0 };

		CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), 3);
		CU_ASSERT_STRING_EQUAL(buf, "abc");
		aring_close(loop, fd, NULL);
	}
	/* Unknown resolve bits and mode without O_CREAT are rejected. */
	how.resolve = 1ull << 40;
	CU_ASSERT_EQUAL(aring_openat2(loop, AT_FDCWD, P(&d, "f"), &how, NULL), -EINVAL);
	how.resolve = 0;
	how.mode = 0600;
	CU_ASSERT_EQUAL(aring_openat2(loop, AT_FDCWD, P(&d, "f"), &how, NULL), -EINVAL);
	/* RESOLVE_BENEATH: ".." out of the directory is refused. */
	dfd = aring_openat(loop, AT_FDCWD, d.path, O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(dfd >= 0);
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	how.resolve = RESOLVE_BENEATH;
	fd = aring_openat2(loop, dfd, "f", &how, NULL);
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_openat2(loop, dfd, "../f", &how, NULL), -EXDEV);
	CU_ASSERT_EQUAL(aring_openat2(loop, dfd, "missing", &how, NULL), -ENOENT);
	aring_close(loop, dfd, NULL);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_openat2(void)
{
	CU_ASSERT_EQUAL(th_run(openat2_task, NULL, 0), 0);
}

static int statx_task(aring_loop *loop, void *arg)
{
	struct dir d;
	struct statx stx;
	int fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	fd = th_file(loop, d.path, "f", "0123456789");
	CU_ASSERT(fd >= 0);
	memset(&stx, 0, sizeof(stx));
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, P(&d, "f"), 0, STATX_SIZE | STATX_TYPE, &stx, NULL), 0);
	CU_ASSERT_EQUAL(stx.stx_size, 10);
	CU_ASSERT(S_ISREG(stx.stx_mode));
	/* By fd, with AT_EMPTY_PATH. */
	memset(&stx, 0, sizeof(stx));
	CU_ASSERT_EQUAL(aring_statx(loop, fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx, NULL), 0);
	CU_ASSERT_EQUAL(stx.stx_size, 10);
	memset(&stx, 0, sizeof(stx));
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, d.path, 0, STATX_TYPE, &stx, NULL), 0);
	CU_ASSERT(S_ISDIR(stx.stx_mode));
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, P(&d, "missing"), 0, STATX_SIZE, &stx, NULL), -ENOENT);
	/* Unknown flags and the reserved mask bit. */
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, P(&d, "f"), 0x40000000, STATX_SIZE, &stx, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, P(&d, "f"), 0, STATX__RESERVED, &stx, NULL), -EINVAL);
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_statx(void)
{
	CU_ASSERT_EQUAL(th_run(statx_task, NULL, 0), 0);
}

static int dirs_task(aring_loop *loop, void *arg)
{
	struct dir d;
	char path[256];
	int fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "sub"), 0700, NULL), 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "sub"), 0700, NULL), -EEXIST);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, P(&d, "no/sub"), 0700, NULL), -ENOENT);
	/* Relative to a directory fd. */
	fd = aring_openat(loop, AT_FDCWD, P(&d, "sub"), O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, fd, "inner", 0700, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, th_path(path, sizeof(path), d.path, "sub/inner")) >= 0, 1);
	/* A non-empty directory cannot go; a directory needs AT_REMOVEDIR. */
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "sub"), AT_REMOVEDIR, NULL), -ENOTEMPTY);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, fd, "inner", 0, NULL), -EISDIR);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, fd, "inner", AT_REMOVEDIR, NULL), 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, fd, "inner", AT_REMOVEDIR, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "sub"), 0x1, NULL), -EINVAL);
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, P(&d, "sub"), AT_REMOVEDIR, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, P(&d, "sub")), -ENOENT);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_mkdirat_unlinkat(void)
{
	CU_ASSERT_EQUAL(th_run(dirs_task, NULL, 0), 0);
}

static int rename_task(aring_loop *loop, void *arg)
{
	struct dir d;
	char a[256], b[256];
	int fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	th_path(a, sizeof(a), d.path, "a");
	th_path(b, sizeof(b), d.path, "b");
	fd = th_file(loop, d.path, "a", "12345");
	CU_ASSERT(fd >= 0);
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, a, AT_FDCWD, b, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, a), -ENOENT);
	CU_ASSERT_EQUAL(th_file_size(loop, b), 5);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, a, AT_FDCWD, b, 0, NULL), -ENOENT);
	/* RENAME_NOREPLACE onto an existing name. */
	fd = th_file(loop, d.path, "a", "xy");
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE, NULL), -EEXIST);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, a, AT_FDCWD, b, 0x80000000u, NULL), -EINVAL);
	/* Plain rename replaces it. */
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, a, AT_FDCWD, b, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_file_size(loop, b), 2);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, b, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, b, 0, NULL), -ENOENT);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_renameat(void)
{
	CU_ASSERT_EQUAL(th_run(rename_task, NULL, 0), 0);
}

static int links_task(aring_loop *loop, void *arg)
{
	struct dir d;
	char f[256], hard[256], soft[256];
	struct statx stx;
	char buf[8] = { 0 };
	int fd;

	if (th_tmpdir(loop, d.path, sizeof(d.path)) < 0)
		return -1;
	th_path(f, sizeof(f), d.path, "f");
	th_path(hard, sizeof(hard), d.path, "hard");
	th_path(soft, sizeof(soft), d.path, "soft");
	fd = th_file(loop, d.path, "f", "data");
	aring_close(loop, fd, NULL);

	CU_ASSERT_EQUAL(aring_linkat(loop, AT_FDCWD, f, AT_FDCWD, hard, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_linkat(loop, AT_FDCWD, f, AT_FDCWD, hard, 0, NULL), -EEXIST);
	CU_ASSERT_EQUAL(aring_linkat(loop, AT_FDCWD, P(&d, "missing"), AT_FDCWD, P(&d, "h2"), 0, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(aring_linkat(loop, AT_FDCWD, f, AT_FDCWD, P(&d, "h3"), 0x1, NULL), -EINVAL);
	memset(&stx, 0, sizeof(stx));
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, f, 0, STATX_NLINK, &stx, NULL), 0);
	CU_ASSERT_EQUAL(stx.stx_nlink, 2);

	/* A relative symlink, resolved from its directory. */
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "hard", AT_FDCWD, soft, NULL), 0);
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "hard", AT_FDCWD, soft, NULL), -EEXIST);
	memset(&stx, 0, sizeof(stx));
	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, soft, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx, NULL), 0);
	CU_ASSERT(S_ISLNK(stx.stx_mode));
	fd = aring_openat(loop, AT_FDCWD, soft, O_RDONLY, 0, NULL);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), 4);
	CU_ASSERT_STRING_EQUAL(buf, "data");
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, soft, O_RDONLY | O_NOFOLLOW, 0, NULL), -ELOOP);
	/* A dangling symlink. */
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "nowhere", AT_FDCWD, P(&d, "dangling"), NULL), 0);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, P(&d, "dangling"), O_RDONLY, 0, NULL), -ENOENT);
	th_tmpdir_remove(loop, d.path);
	return 0;
}

static void test_linkat_symlinkat(void)
{
	CU_ASSERT_EQUAL(th_run(links_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "openat and close, with errors", test_openat_close },
	{ "openat2", test_openat2 },
	{ "statx", test_statx },
	{ "mkdirat and unlinkat", test_mkdirat_unlinkat },
	{ "renameat", test_renameat },
	{ "linkat and symlinkat", test_linkat_symlinkat },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "fs", tests, TH_BOTH);
}
