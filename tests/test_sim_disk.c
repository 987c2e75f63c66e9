/* SPDX-License-Identifier: MIT */
/*
 * The sim's disk: what fsync makes durable, what aring_sim_crash keeps
 * (lost, kept, torn at 512-byte sectors; names undone without a directory
 * fsync; rename atomic), aring_sim_restart on the crashed disk, and disk
 * faults (fsync -EIO, sticky read -EIO, -ENOSPC). Sim only: each test runs
 * many seeds of its own (derived from the configuration's seed), so every
 * outcome a crash may draw is seen.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/stat.h>
#include <string.h>

#include "tests/helpers.h"

#define SEEDS 120u

static uint64_t seed_of(unsigned k)
{
	return th_cfg->seed * 1000003u + k + 1;
}

/* A loop on seed; the scenario's setup runs, the node crashes, check runs on the restarted node. */
static void crash_round(const struct aring_sim_opts *base, uint64_t seed, aring_fn setup,
			aring_fn check, void *arg)
{
	struct aring_sim_opts so = base ? *base : (struct aring_sim_opts){ 0 };
	struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop;

	so.seed = seed;
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &lo), 0);
	CU_ASSERT_EQUAL(aring_spawn(loop, setup, arg, NULL), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(aring_sim_crash(loop), 0);
	if (check) {
		CU_ASSERT_EQUAL(aring_sim_restart(loop, check, arg), 0);
		CU_ASSERT_EQUAL(aring_run(loop), 0);
	}
	aring_loop_free(loop);
}

static int put(aring_loop *loop, const char *path, int flags, const void *buf, unsigned len,
	       uint64_t off)
{
	int fd = aring_openat(loop, AT_FDCWD, path, O_CREAT | O_RDWR | flags, 0644, NULL);

	CU_ASSERT(fd >= 3);
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, len, off, NULL), (int)len);
	return fd;
}

static int fsync_path(aring_loop *loop, const char *path)
{
	int fd = aring_openat(loop, AT_FDCWD, path, O_RDONLY, 0, NULL), ret;

	CU_ASSERT(fd >= 0);
	ret = aring_fsync(loop, fd, 0, NULL);
	aring_close(loop, fd, NULL);
	return ret;
}

/* Read path whole into buf (up to len): bytes, or -errno (-ENOENT: gone). */
static int slurp(aring_loop *loop, const char *path, void *buf, unsigned len)
{
	int fd = aring_openat(loop, AT_FDCWD, path, O_RDONLY, 0, NULL), n;

	if (fd < 0)
		return fd;
	n = aring_read(loop, fd, buf, len, 0, NULL);
	aring_close(loop, fd, NULL);
	return n;
}

/* /tmp/f made durable (data, size and name) with len bytes of 'a': its fd. */
static int durable_file(aring_loop *loop, unsigned len)
{
	static char buf[8192];
	int fd;

	memset(buf, 'a', sizeof(buf));
	fd = put(loop, "/tmp/f", 0, buf, len, 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, IORING_FSYNC_DATASYNC, NULL), 0);
	CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0);
	return fd;
}

/* ---------------------------------------------------------------- synced data survives */

static int synced_setup(aring_loop *loop, void *arg)
{
	char buf[3000];
	int fd;

	(void)arg;
	fd = durable_file(loop, sizeof(buf));
	/* unsynced: an append, a second file, a truncate-free overwrite elsewhere */
	memset(buf, 'b', sizeof(buf));
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, sizeof(buf), 3000, NULL), 3000);
	put(loop, "/tmp/g", 0, buf, 100, 0);
	return 0;
}

static int synced_check(aring_loop *loop, void *arg)
{
	char buf[8000];
	int n = slurp(loop, "/tmp/f", buf, sizeof(buf)), k;

	(void)arg;
	CU_ASSERT(n >= 3000 && n <= 6000);
	for (k = 0; k < 3000 && k < n; k++)
		if (buf[k] != 'a')
			break;
	CU_ASSERT_EQUAL(k, 3000);
	return 0;
}

static void test_synced_survives(void)
{
	unsigned k;

	for (k = 0; k < SEEDS; k++)
		crash_round(NULL, seed_of(k), synced_setup, synced_check, NULL);
}

/* ---------------------------------------------------------------- unsynced: lost, kept, torn */

struct outcomes {
	unsigned lost, kept, torn;
	uint64_t off, len;
};

static int overwrite_setup(aring_loop *loop, void *arg)
{
	struct outcomes *o = arg;
	char buf[8192];
	int fd;

	fd = durable_file(loop, sizeof(buf));
	memset(buf, 'b', sizeof(buf));
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, (unsigned)o->len, o->off, NULL), (int)o->len);
	return 0;
}

static int overwrite_check(aring_loop *loop, void *arg)
{
	struct outcomes *o = arg;
	char buf[8192];
	uint64_t a, nb = 0, end = o->off + o->len;

	CU_ASSERT_EQUAL_FATAL(slurp(loop, "/tmp/f", buf, sizeof(buf)), 8192);
	for (a = 0; a < 8192; a++) {
		if (a < o->off || a >= end)
			CU_ASSERT_EQUAL(buf[a], 'a');
		nb += buf[a] == 'b';
	}
	/* Torn only at sector boundaries: each sector's part of the write is all old or all new. */
	for (a = o->off; a < end;) {
		uint64_t b = (a / 512 + 1) * 512, x;

		if (b > end)
			b = end;
		for (x = a; x < b; x++)
			CU_ASSERT_EQUAL(buf[x], buf[a]);
		a = b;
	}
	if (nb == 0)
		o->lost++;
	else if (nb == o->len)
		o->kept++;
	else
		o->torn++;
	return 0;
}

static void test_unsynced_lost_kept_torn(void)
{
	static const uint64_t shapes[][2] = { { 0, 4096 }, { 100, 3000 }, { 1000, 7000 } };
	unsigned k, sh;

	for (sh = 0; sh < 3; sh++) {
		struct outcomes o = { .off = shapes[sh][0], .len = shapes[sh][1] };

		for (k = 0; k < SEEDS; k++)
			crash_round(NULL, seed_of(k), overwrite_setup, overwrite_check, &o);
		CU_ASSERT(o.lost > 0);
		CU_ASSERT(o.kept > 0);
		CU_ASSERT(o.torn > 0);
	}
}

/* An unsynced append: the size is lost with it, or grows to cover what was kept. */
static int append_setup(aring_loop *loop, void *arg)
{
	char buf[2048];
	int fd;

	(void)arg;
	fd = durable_file(loop, 1024);
	memset(buf, 'b', sizeof(buf));
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, 2048, 1024, NULL), 2048);
	return 0;
}

static int append_check(aring_loop *loop, void *arg)
{
	unsigned *sizes = arg;
	char buf[4096];
	int n = slurp(loop, "/tmp/f", buf, sizeof(buf)), k;

	CU_ASSERT(n == 1024 || n == 1536 || n == 2048 || n == 2560 || n == 3072);
	for (k = 0; k < n; k++)
		if (k < 1024)
			CU_ASSERT_EQUAL(buf[k], 'a');
	if (n >= 1024 && n <= 3072)
		sizes[(n - 1024) / 512]++;
	return 0;
}

static void test_unsynced_append(void)
{
	unsigned sizes[5] = { 0 }, k;

	for (k = 0; k < SEEDS; k++)
		crash_round(NULL, seed_of(k), append_setup, append_check, sizes);
	CU_ASSERT(sizes[0] > 0); /* lost */
	CU_ASSERT(sizes[4] > 0); /* kept (or torn with the last sector kept) */
}

/* A write on an O_DSYNC fd is durable when it completes. */
static int dsync_setup(aring_loop *loop, void *arg)
{
	char buf[4096];
	int fd;

	(void)arg;
	fd = durable_file(loop, sizeof(buf));
	fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_WRONLY | O_DSYNC, 0, NULL);
	memset(buf, 'b', sizeof(buf));
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, sizeof(buf), 0, NULL), 4096);
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, 100, 4096, NULL), 100);
	return 0;
}

static int dsync_check(aring_loop *loop, void *arg)
{
	char buf[8192];
	int k;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(slurp(loop, "/tmp/f", buf, sizeof(buf)), 4196);
	for (k = 0; k < 4196; k++)
		if (buf[k] != 'b')
			break;
	CU_ASSERT_EQUAL(k, 4196);
	return 0;
}

static void test_dsync_write(void)
{
	unsigned k;

	for (k = 0; k < SEEDS; k++)
		crash_round(NULL, seed_of(k), dsync_setup, dsync_check, NULL);
}

/* ---------------------------------------------------------------- names */

struct names {
	bool dir_fsync;
	unsigned gone, there;
};

static int create_setup(aring_loop *loop, void *arg)
{
	struct names *nm = arg;
	int fd = put(loop, "/tmp/new", O_EXCL, "hello", 5, 0);

	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0); /* the file's own fsync */
	if (nm->dir_fsync)
		CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0);
	return 0;
}

static int create_check(aring_loop *loop, void *arg)
{
	struct names *nm = arg;
	char buf[16];
	int n = slurp(loop, "/tmp/new", buf, sizeof(buf));

	if (n == -ENOENT) {
		nm->gone++;
	} else {
		CU_ASSERT_EQUAL(n, 5);
		CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
		nm->there++;
	}
	return 0;
}

static void test_create_needs_dir_fsync(void)
{
	struct names without = { .dir_fsync = false }, with = { .dir_fsync = true };
	unsigned k;

	for (k = 0; k < SEEDS; k++) {
		crash_round(NULL, seed_of(k), create_setup, create_check, &without);
		crash_round(NULL, seed_of(k), create_setup, create_check, &with);
	}
	CU_ASSERT(without.gone > 0);
	CU_ASSERT(without.there > 0);
	CU_ASSERT_EQUAL(with.gone, 0);
	CU_ASSERT_EQUAL(with.there, SEEDS);
}

/* mkdir + a file in it, both directories fsynced: the whole path survives. */
static int mkdir_setup(aring_loop *loop, void *arg)
{
	(void)arg;
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, "/data", 0755, NULL), 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, put(loop, "/data/x", 0, "xyz", 3, 0), 0, NULL), 0);
	CU_ASSERT_EQUAL(fsync_path(loop, "/data"), 0);
	CU_ASSERT_EQUAL(fsync_path(loop, "/"), 0);
	/* then an unsynced unlink: undone or not */
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/data/x", 0, NULL), 0);
	return 0;
}

static int mkdir_check(aring_loop *loop, void *arg)
{
	unsigned *seen = arg;
	char buf[8];
	int n = slurp(loop, "/data/x", buf, sizeof(buf));
	struct statx st;

	CU_ASSERT_EQUAL(aring_statx(loop, AT_FDCWD, "/data", 0, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT(n == 3 || n == -ENOENT);
	if (n == 3) {
		CU_ASSERT_EQUAL(memcmp(buf, "xyz", 3), 0);
		seen[0]++;
	} else {
		seen[1]++;
	}
	return 0;
}

static void test_mkdir_unlink(void)
{
	unsigned seen[2] = { 0 }, k;

	for (k = 0; k < SEEDS; k++)
		crash_round(NULL, seed_of(k), mkdir_setup, mkdir_check, seen);
	CU_ASSERT(seen[0] > 0); /* the unlink undone */
	CU_ASSERT(seen[1] > 0); /* the unlink kept */
}

struct renames {
	bool dir_fsync;
	unsigned old, new_;
};

static int rename_setup(aring_loop *loop, void *arg)
{
	struct renames *rn = arg;
	int fd = put(loop, "/tmp/name", 0, "old!", 4, 0);

	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0);
	fd = put(loop, "/tmp/name.tmp", O_EXCL, "new!", 4, 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, "/tmp/name.tmp", AT_FDCWD, "/tmp/name", 0,
				       NULL), 0);
	if (rn->dir_fsync)
		CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0);
	return 0;
}

static int rename_check(aring_loop *loop, void *arg)
{
	struct renames *rn = arg;
	char buf[8];

	CU_ASSERT_EQUAL_FATAL(slurp(loop, "/tmp/name", buf, sizeof(buf)), 4); /* never neither */
	if (!memcmp(buf, "old!", 4)) {
		rn->old++;
	} else {
		CU_ASSERT_EQUAL(memcmp(buf, "new!", 4), 0);
		rn->new_++;
		/* the temporary name went with the rename */
		CU_ASSERT_EQUAL(slurp(loop, "/tmp/name.tmp", buf, sizeof(buf)), -ENOENT);
	}
	return 0;
}

static void test_rename_atomic(void)
{
	struct renames without = { .dir_fsync = false }, with = { .dir_fsync = true };
	unsigned k;

	for (k = 0; k < SEEDS; k++) {
		crash_round(NULL, seed_of(k), rename_setup, rename_check, &without);
		crash_round(NULL, seed_of(k), rename_setup, rename_check, &with);
	}
	CU_ASSERT(without.old > 0);
	CU_ASSERT(without.new_ > 0);
	CU_ASSERT_EQUAL(with.new_, SEEDS);
}

/* ---------------------------------------------------------------- sync_file_range */

static int sfr_setup(aring_loop *loop, void *arg)
{
	char buf[4096];
	int fd;

	(void)arg;
	fd = durable_file(loop, sizeof(buf));
	memset(buf, 'b', sizeof(buf));
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, sizeof(buf), 0, NULL), 4096);
	/* [1024, 3072) of it made durable; the rest may go */
	CU_ASSERT_EQUAL(aring_sync_file_range(loop, fd, 2048, 1024,
					      SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER,
					      NULL), 0);
	return 0;
}

static int sfr_check(aring_loop *loop, void *arg)
{
	unsigned *lost_outside = arg;
	char buf[4096];
	int k;

	CU_ASSERT_EQUAL_FATAL(slurp(loop, "/tmp/f", buf, sizeof(buf)), 4096);
	for (k = 1024; k < 3072; k++)
		if (buf[k] != 'b')
			break;
	CU_ASSERT_EQUAL(k, 3072);
	if (buf[0] == 'a' || buf[4095] == 'a')
		(*lost_outside)++;
	return 0;
}

static void test_sync_file_range(void)
{
	unsigned lost_outside = 0, k;

	for (k = 0; k < SEEDS; k++)
		crash_round(NULL, seed_of(k), sfr_setup, sfr_check, &lost_outside);
	CU_ASSERT(lost_outside > 0);
}

/* ---------------------------------------------------------------- faults */

static int fsync_eio_task(aring_loop *loop, void *arg)
{
	char buf[16];
	int fd;

	(void)arg;
	fd = put(loop, "/tmp/f", 0, "aaaa", 4, 0);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), -EIO);
	/* the unsynced data is gone */
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), 0);
	/* the next fsync succeeds */
	CU_ASSERT_EQUAL(aring_write(loop, fd, "aaaa", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0); /* directories never fail */
	CU_ASSERT_EQUAL(aring_write(loop, fd, "bbbbbb", 6, 0, NULL), 6);
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, IORING_FSYNC_DATASYNC, NULL), -EIO);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "aaaa", 4), 0);
	return 0;
}

static int fsync_eio_check(aring_loop *loop, void *arg)
{
	char buf[16];

	(void)arg;
	CU_ASSERT_EQUAL(slurp(loop, "/tmp/f", buf, sizeof(buf)), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "aaaa", 4), 0);
	return 0;
}

static void test_fsync_eio(void)
{
	struct aring_sim_opts so = { .disk_fsync_error_ppm = 1000000 };
	unsigned k;

	for (k = 0; k < 4; k++)
		crash_round(&so, seed_of(k), fsync_eio_task, fsync_eio_check, NULL);
}

struct reads {
	unsigned eio, ok, healed;
};

static int read_eio_task(aring_loop *loop, void *arg)
{
	struct reads *rd = arg;
	char buf[8 * 512], sec[512];
	bool bad[8] = { false };
	int fd, k;

	for (k = 0; k < (int)sizeof(buf); k++)
		buf[k] = (char)('a' + k / 512);
	fd = put(loop, "/tmp/f", 0, buf, sizeof(buf), 0);
	for (k = 0; k < 200; k++) {
		unsigned s = (unsigned)(k * 7 + k / 8) % 8;
		int n;

		if (k % 11 == 10) {
			/* rewriting a sector heals it */
			memset(sec, 'a' + (int)s, sizeof(sec));
			CU_ASSERT_EQUAL(aring_write(loop, fd, sec, 512, s * 512, NULL), 512);
			if (bad[s])
				rd->healed++;
			bad[s] = false;
			continue;
		}
		n = aring_read(loop, fd, sec, 512, s * 512, NULL);
		if (bad[s]) {
			CU_ASSERT_EQUAL(n, -EIO); /* sticky */
		} else if (n == -EIO) {
			bad[s] = true;
			rd->eio++;
		} else {
			CU_ASSERT_EQUAL(n, 512);
			CU_ASSERT_EQUAL(sec[0], 'a' + (int)s);
			CU_ASSERT_EQUAL(sec[511], 'a' + (int)s);
			rd->ok++;
		}
	}
	/* A read over a bad sector stops short before it. */
	for (k = 0; k < 8 && !bad[k]; k++)
		;
	if (k > 0 && k < 8) {
		int n = aring_read(loop, fd, buf, sizeof(buf), 0, NULL);

		/* (the read itself may turn an earlier sector bad: then shorter, or -EIO at 0) */
		CU_ASSERT(n == -EIO || (n > 0 && n <= k * 512 && n % 512 == 0));
	}
	return 0;
}

static void test_read_eio(void)
{
	struct aring_sim_opts so = { .disk_read_error_ppm = 100000 };
	struct reads rd = { 0 };
	unsigned k;

	for (k = 0; k < 10; k++)
		crash_round(&so, seed_of(k), read_eio_task, NULL, &rd);
	CU_ASSERT(rd.eio > 0);
	CU_ASSERT(rd.ok > 0);
	CU_ASSERT(rd.healed > 0);
}

static int nospace_task(aring_loop *loop, void *arg)
{
	static char buf[16384];
	uint64_t total = 0;
	int fd, n, k;

	(void)arg;
	fd = aring_openat(loop, AT_FDCWD, "/tmp/big", O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT(fd >= 0);
	for (k = 0; k < 16; k++) {
		n = aring_write(loop, fd, buf, sizeof(buf), total, NULL);
		if (n < 0) {
			CU_ASSERT_EQUAL(n, -ENOSPC);
			break;
		}
		total += (uint64_t)n;
	}
	CU_ASSERT(k < 16);
	CU_ASSERT(total <= 65536 && total >= 65536 - 4096);
	CU_ASSERT_EQUAL(aring_fallocate(loop, fd, 0, 1 << 20, 4096, NULL), -ENOSPC);
	/* freeing space makes room again */
	CU_ASSERT_EQUAL(aring_ftruncate(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, fd, buf, 4096, 0, NULL), 4096);
	return 0;
}

static int nospace_rate_task(aring_loop *loop, void *arg)
{
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644, NULL);

	(void)arg;
	CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, 0, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(aring_fallocate(loop, fd, 0, 0, 4096, NULL), -ENOSPC);
	/* writes elsewhere (a pipe) are not the disk's */
	CU_ASSERT_EQUAL(aring_write(loop, 1, "x", 1, 0, NULL), 1);
	return 0;
}

static void test_nospace(void)
{
	struct aring_sim_opts small = { .disk_size_bytes = 65536 };
	struct aring_sim_opts rate = { .disk_nospace_ppm = 1000000 };

	crash_round(&small, seed_of(0), nospace_task, NULL, NULL);
	crash_round(&rate, seed_of(0), nospace_rate_task, NULL, NULL);
}

/* Replaced files are freed once no durable name needs them: the disk does not fill up. */
static int replace_task(aring_loop *loop, void *arg)
{
	static char buf[32768];
	int k, fd;

	(void)arg;
	for (k = 0; k < 20; k++) {
		memset(buf, 'a' + k, sizeof(buf));
		fd = aring_openat(loop, AT_FDCWD, "/tmp/name.tmp", O_CREAT | O_EXCL | O_WRONLY, 0644,
				  NULL);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(aring_write(loop, fd, buf, sizeof(buf), 0, NULL), (int)sizeof(buf));
		CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
		CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
		CU_ASSERT_EQUAL(aring_renameat(loop, AT_FDCWD, "/tmp/name.tmp", AT_FDCWD, "/tmp/name",
					       0, NULL), 0);
		CU_ASSERT_EQUAL(fsync_path(loop, "/tmp"), 0);
	}
	return 0;
}

static int replace_check(aring_loop *loop, void *arg)
{
	static char buf[32768];

	(void)arg;
	CU_ASSERT_EQUAL(slurp(loop, "/tmp/name", buf, sizeof(buf)), (int)sizeof(buf));
	CU_ASSERT_EQUAL(buf[0], 'a' + 19);
	return 0;
}

static void test_replaced_files_freed(void)
{
	struct aring_sim_opts so = { .disk_size_bytes = 128 * 1024 };

	crash_round(&so, seed_of(0), replace_task, replace_check, NULL);
}

/* ---------------------------------------------------------------- crash and restart */

static int idle_task(aring_loop *loop, void *arg)
{
	int *ran = arg;

	(void)loop;
	(*ran)++;
	return 0;
}

static int fds_check(aring_loop *loop, void *arg)
{
	int *ran = arg;
	struct statx st;

	(*ran)++;
	/* a fresh fd table: 0, 1, 2 and nothing else */
	CU_ASSERT_EQUAL(aring_statx(loop, 0, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, 2, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st, NULL), 0);
	CU_ASSERT_EQUAL(aring_statx(loop, th_sim_fd(3), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st,
				    NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp", O_RDONLY, 0, NULL), th_sim_fd(3));
	CU_ASSERT_EQUAL(aring_write(loop, 1, "up", 2, 0, NULL), 2);
	return 0;
}

static int open_fds_task(aring_loop *loop, void *arg)
{
	(void)arg;
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp", O_RDONLY, 0, NULL), th_sim_fd(3));
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/", O_RDONLY, 0, NULL), th_sim_fd(4));
	CU_ASSERT_EQUAL(aring_write(loop, 1, "before", 6, 0, NULL), 6);
	return 0;
}

static void test_crash_restart_api(void)
{
	struct aring_sim_opts so = { .seed = seed_of(0) };
	struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop;
	char out[16];
	int ran = 0;

	CU_ASSERT_EQUAL(aring_sim_crash(NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_restart(NULL, idle_task, &ran), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &lo), 0);
	CU_ASSERT_EQUAL(aring_sim_restart(loop, idle_task, &ran), -EALREADY); /* never crashed */
	CU_ASSERT_EQUAL(aring_spawn(loop, open_fds_task, NULL, NULL), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(aring_sim_crash(loop), 0);
	CU_ASSERT_EQUAL(aring_sim_crash(loop), -EALREADY);
	/* what the program wrote to stdout went with it */
	CU_ASSERT_EQUAL(aring_sim_stdout_read(loop, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(aring_sim_restart(loop, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_restart(loop, fds_check, &ran), 0);
	CU_ASSERT_EQUAL(aring_sim_restart(loop, idle_task, &ran), -EALREADY);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(ran, 1);
	CU_ASSERT_EQUAL(aring_sim_stdout_read(loop, out, sizeof(out)), 2);
	aring_loop_free(loop);
}

/* A crash from a controller task while a writer logs records: acknowledged records survive. */
struct logger {
	aring_task *writer;
	unsigned acked;       /* records whose fsync completed */
	unsigned steps;       /* writer progress: must not move after the crash */
	unsigned steps_at_crash;
	unsigned blocked_waiters;
};

#define REC 700u

static int writer_task(aring_loop *loop, void *arg)
{
	struct logger *lg = arg;
	char rec[REC];
	int fd = aring_openat(loop, AT_FDCWD, "/log", O_CREAT | O_RDWR | O_APPEND, 0644, NULL);
	unsigned i;

	CU_ASSERT(fd >= 0);
	/* the name is made durable before any record is acknowledged */
	CU_ASSERT_EQUAL(fsync_path(loop, "/"), 0);
	for (i = 0;; i++) {
		memset(rec, 'A' + (int)(i % 26), sizeof(rec));
		lg->steps++;
		CU_ASSERT_EQUAL(aring_write(loop, fd, rec, REC, (uint64_t)-1, NULL), (int)REC);
		lg->steps++;
		CU_ASSERT_EQUAL(aring_fsync(loop, fd, IORING_FSYNC_DATASYNC, NULL), 0);
		lg->acked = i + 1;
	}
	return 0;
}

static int sleeper_task(aring_loop *loop, void *arg)
{
	struct logger *lg = arg;

	aring_sleep(loop, 3600ull * 1000000000ull);
	lg->steps += 1000000; /* never: it dies in its sleep */
	return 0;
}

static int controller_task(aring_loop *loop, void *arg)
{
	struct logger *lg = arg;

	aring_sleep(loop, 2000000 + (aring_sim_seed(loop) % 1000) * 1000); /* mid-write */
	lg->steps_at_crash = lg->steps;
	CU_ASSERT(lg->acked > 0);
	CU_ASSERT_EQUAL(aring_sim_crash(loop), 0);
	/* the writer is gone: joining its stale handle finds nothing */
	CU_ASSERT_EQUAL(aring_join(loop, lg->writer, NULL), -ESRCH);
	aring_sleep(loop, 1000000);
	CU_ASSERT_EQUAL(lg->steps, lg->steps_at_crash);
	return 0;
}

static int log_check(aring_loop *loop, void *arg)
{
	struct logger *lg = arg;
	static char buf[1 << 20];
	int n = slurp(loop, "/log", buf, sizeof(buf));
	unsigned i, k;

	CU_ASSERT_FATAL(n >= 0);
	CU_ASSERT((unsigned)n >= lg->acked * REC);
	for (i = 0; i < lg->acked; i++)
		for (k = 0; k < REC; k++)
			if (buf[i * REC + k] != 'A' + (int)(i % 26)) {
				CU_FAIL("an acknowledged record was lost");
				return 0;
			}
	return 0;
}

static void test_crash_from_controller(void)
{
	unsigned k;

	for (k = 0; k < 20; k++) {
		struct aring_sim_opts so = { .seed = seed_of(k), .latency_min_ns = 1000,
					     .latency_max_ns = 50000 };
		struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM, .sim = &so };
		struct logger lg = { 0 };
		aring_loop *loop;

		CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &lo), 0);
		CU_ASSERT_EQUAL(aring_spawn(loop, writer_task, &lg, &lg.writer), 0);
		CU_ASSERT_EQUAL(aring_spawn(loop, sleeper_task, &lg, NULL), 0);
		CU_ASSERT_EQUAL(aring_spawn(loop, controller_task, &lg, NULL), 0);
		CU_ASSERT_EQUAL(aring_run(loop), 0);
		CU_ASSERT_EQUAL(aring_sim_restart(loop, log_check, &lg), 0);
		CU_ASSERT_EQUAL(aring_run(loop), 0);
		aring_loop_free(loop);
	}
}

/* Same seed, same crash: the same disk afterwards (and the same trace). */
static int det_check(aring_loop *loop, void *arg)
{
	uint64_t *h = arg;
	char buf[8192];
	int n = slurp(loop, "/tmp/f", buf, sizeof(buf)), k;

	*h = 1469598103934665603ull;
	for (k = 0; k < n; k++)
		*h = (*h ^ (uint8_t)buf[k]) * 1099511628211ull;
	*h ^= (uint64_t)n;
	return 0;
}

static int det_setup(aring_loop *loop, void *arg)
{
	char buf[8192];
	int fd, k;

	(void)arg;
	for (k = 0; k < 6; k++) {
		memset(buf, 'a' + k, sizeof(buf));
		fd = put(loop, "/tmp/f", 0, buf, 1000 + 700 * (unsigned)k, 300 * (unsigned)k);
		if (k == 2)
			CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
		aring_close(loop, fd, NULL);
	}
	return 0;
}

static void test_crash_deterministic(void)
{
	unsigned k;

	for (k = 0; k < 10; k++) {
		uint64_t h1 = 0, h2 = 0;

		crash_round(NULL, seed_of(k), det_setup, det_check, &h1);
		crash_round(NULL, seed_of(k), det_setup, det_check, &h2);
		CU_ASSERT_EQUAL(h1, h2);
	}
}

/* ---------------------------------------------------------------- disk faults are fault decisions */

static int fsync_once_task(aring_loop *loop, void *arg)
{
	int *res = arg;
	int fd = put(loop, "/tmp/f", 0, "abc", 3, 0);

	*res = aring_fsync(loop, fd, 0, NULL);
	return 0;
}

static void test_faults_recorded(void)
{
	struct aring_sim_opts so = { .disk_fsync_error_ppm = 1000000 };
	struct aring_sim_fault f[16];
	uint64_t none = 0;
	long n, i;
	int res = 1;

	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
	crash_round(&so, seed_of(0), fsync_once_task, NULL, &res);
	CU_ASSERT_EQUAL(res, -EIO);
	n = aring_sim_faults_taken(f, 16);
	CU_ASSERT_FATAL(n >= 1 && n <= 16);
	for (i = 1; i < n; i++) /* then the crash's: the file's name may be undone */
		CU_ASSERT_EQUAL(f[i].kind, ARING_SIM_FAULT_CRASH_UNDONE);
	CU_ASSERT_EQUAL(f[0].kind, ARING_SIM_FAULT_DISK_FSYNC);
	CU_ASSERT_EQUAL(f[0].opcode, IORING_OP_FSYNC);
	CU_ASSERT_STRING_EQUAL(aring_sim_fault_kind_name(f[0].kind), "fsync-eio");
	/* suppressed by the run: the fsync succeeds */
	CU_ASSERT_EQUAL(aring_sim_faults_begin(&none, 0), 0);
	crash_round(&so, seed_of(0), fsync_once_task, NULL, &res);
	CU_ASSERT_EQUAL(res, 0);
	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
}

/* ---------------------------------------------------------------- crash outcomes are decisions */

/* Unsynced: /tmp/g (its name too) with 3000 bytes of 'g'; /tmp/f durable then rewritten. */
static int outcome_setup(aring_loop *loop, void *arg)
{
	char buf[3000];

	(void)arg;
	memset(buf, 'g', sizeof(buf));
	aring_close(loop, durable_file(loop, 2000), NULL);
	aring_close(loop, put(loop, "/tmp/g", 0, buf, sizeof(buf), 0), NULL);
	memset(buf, 'h', sizeof(buf));
	aring_close(loop, put(loop, "/tmp/f", 0, buf, 1500, 1000), NULL);
	return 0;
}

/* What the crash left: a digest of both files (-ENOENT counted as such). */
static int outcome_check(aring_loop *loop, void *arg)
{
	uint64_t *h = arg;
	char buf[4096];
	const char *path[2] = { "/tmp/f", "/tmp/g" };

	*h = 0;
	for (int k = 0; k < 2; k++) {
		int n = slurp(loop, path[k], buf, sizeof(buf));

		*h = *h * 1000003u + (uint64_t)(int64_t)n;
		for (int j = 0; j < n; j++)
			*h = *h * 31u + (unsigned char)buf[j];
	}
	return 0;
}

/* Every file whole, as if flushed: f = 1000 'a' + 1500 'h', g = 3000 'g'. */
static int outcome_whole(aring_loop *loop, void *arg)
{
	char buf[4096];
	int n;

	(void)arg;
	n = slurp(loop, "/tmp/f", buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 2500);
	for (int j = 0; j < n; j++)
		if (buf[j] != (j < 1000 ? 'a' : 'h')) {
			CU_FAIL("/tmp/f is not whole");
			break;
		}
	n = slurp(loop, "/tmp/g", buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 3000);
	for (int j = 0; j < n; j++)
		if (buf[j] != 'g') {
			CU_FAIL("/tmp/g is not whole");
			break;
		}
	return 0;
}

static void test_crash_outcomes_are_decisions(void)
{
	struct aring_sim_fault f[64];
	uint64_t none = 0, keep[64];
	unsigned k, lossy = 0;

	for (k = 0; k < 20; k++) {
		uint64_t h_all = 0, h_kept = 0;
		long n, i;

		/* Every outcome suppressed: the no-fault crash keeps every unsynced change. */
		CU_ASSERT_EQUAL(aring_sim_faults_begin(&none, 0), 0);
		crash_round(NULL, seed_of(k), outcome_setup, outcome_whole, NULL);
		CU_ASSERT_EQUAL(aring_sim_faults_taken(NULL, 0), 0);
		/* Every outcome taken: each loss, tear, undo recorded as a crash decision. */
		CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
		crash_round(NULL, seed_of(k), outcome_setup, outcome_check, &h_all);
		n = aring_sim_faults_taken(f, 64);
		CU_ASSERT_FATAL(n >= 0 && n <= 64);
		for (i = 0; i < n; i++) {
			CU_ASSERT(f[i].kind == ARING_SIM_FAULT_CRASH_LOST ||
				  f[i].kind == ARING_SIM_FAULT_CRASH_TORN ||
				  f[i].kind == ARING_SIM_FAULT_CRASH_UNDONE);
			CU_ASSERT_EQUAL(f[i].opcode, ARING_SIM_FAULT_NO_OP);
			CU_ASSERT(f[i].what[0] != 0);
			keep[i] = f[i].seq;
		}
		lossy += n > 0;
		/* Those decisions kept by number: the same disk after the crash. */
		CU_ASSERT_EQUAL(aring_sim_faults_begin(keep, (size_t)n), 0);
		crash_round(NULL, seed_of(k), outcome_setup, outcome_check, &h_kept);
		CU_ASSERT_EQUAL(h_all, h_kept);
	}
	CU_ASSERT(lossy > 0);
	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
}

/* ---------------------------------------------------------------- a node of a world */

#define PORT 7000

struct wcrash {
	aring_loop *a, *b;
	struct logger lg;
	int client_res;
	bool restarted;
};

static int server_task(aring_loop *loop, void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), c;
	char buf[8];

	(void)arg;
	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&sa, sizeof(sa), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, l, 4, NULL), 0);
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT(c >= 0);
	aring_recv(loop, c, buf, sizeof(buf), 0, NULL); /* dies here */
	CU_FAIL("the server ran after its node crashed");
	return 0;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct wcrash *wc = arg;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char buf[8];
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	aring_sleep(loop, 1000000); /* the server listens by then */
	CU_ASSERT_EQUAL(aring_sim_resolve(loop, "a", (struct sockaddr *)&sa, &len), 0);
	sa.sin_port = htons(PORT);
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&sa, sizeof(sa), NULL), 0);
	wc->client_res = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL);
	return 0;
}

/* The restarted server node: its log, and its port free again (the crash closed every fd). */
static int server_again(aring_loop *loop, void *arg)
{
	struct wcrash *wc = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&sa, sizeof(sa), NULL), 0);
	return log_check(loop, &wc->lg);
}

static int world_controller(aring_loop *loop, void *arg)
{
	struct wcrash *wc = arg;

	aring_sleep(loop, 3000000);
	wc->lg.steps_at_crash = wc->lg.steps;
	CU_ASSERT(wc->lg.acked > 0);
	CU_ASSERT_EQUAL(aring_sim_crash(wc->a), 0);
	CU_ASSERT_EQUAL(aring_sim_crash(wc->a), -EALREADY);
	aring_sleep(loop, 1000000);
	CU_ASSERT_EQUAL(wc->lg.steps, wc->lg.steps_at_crash);
	CU_ASSERT_EQUAL(wc->client_res, -ECONNRESET);
	CU_ASSERT_EQUAL(aring_sim_restart(wc->a, server_again, wc), 0);
	wc->restarted = true;
	return 0;
}

static void test_world_crash(void)
{
	unsigned k;

	for (k = 0; k < 8; k++) {
		struct aring_sim_opts so = { .seed = seed_of(k), .latency_min_ns = 1000,
					     .latency_max_ns = 50000,
					     .net_latency_min_ns = 10000, .net_latency_max_ns = 100000 };
		struct wcrash wc = { .client_res = 1 };
		aring_sim_world *w;
		aring_loop *c;

		CU_ASSERT_EQUAL_FATAL(aring_sim_world_new(&w, &so), 0);
		CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "a", NULL, &wc.a), 0);
		CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "b", NULL, &wc.b), 0);
		CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "c", NULL, &c), 0);
		CU_ASSERT_EQUAL(aring_spawn(wc.a, writer_task, &wc.lg, &wc.lg.writer), 0);
		CU_ASSERT_EQUAL(aring_spawn(wc.a, server_task, &wc, NULL), 0);
		CU_ASSERT_EQUAL(aring_spawn(wc.b, client_task, &wc, NULL), 0);
		CU_ASSERT_EQUAL(aring_spawn(c, world_controller, &wc, NULL), 0);
		CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
		CU_ASSERT(wc.restarted);
		aring_sim_world_free(w);
	}
}

static CU_TestInfo tests[] = {
	{ "synced_survives", test_synced_survives },
	{ "unsynced_lost_kept_torn", test_unsynced_lost_kept_torn },
	{ "unsynced_append", test_unsynced_append },
	{ "dsync_write", test_dsync_write },
	{ "create_needs_dir_fsync", test_create_needs_dir_fsync },
	{ "mkdir_unlink", test_mkdir_unlink },
	{ "rename_atomic", test_rename_atomic },
	{ "sync_file_range", test_sync_file_range },
	{ "fsync_eio", test_fsync_eio },
	{ "read_eio", test_read_eio },
	{ "nospace", test_nospace },
	{ "replaced_files_freed", test_replaced_files_freed },
	{ "crash_restart_api", test_crash_restart_api },
	{ "crash_from_controller", test_crash_from_controller },
	{ "crash_deterministic", test_crash_deterministic },
	{ "faults_recorded", test_faults_recorded },
	{ "crash_outcomes_are_decisions", test_crash_outcomes_are_decisions },
	{ "world_crash", test_world_crash },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim_disk", tests, TH_SIM);
}
