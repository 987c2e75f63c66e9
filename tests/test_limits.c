/* SPDX-License-Identifier: MIT */
/*
 * Limits at the edges of the API: size_t lengths past 32 bits, a ring of
 * one entry.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

static int huge_len_task(aring_loop *loop, void *arg)
{
	char buf[16];
	int a, b;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &a, &b), 0);
	CU_ASSERT_EQUAL(aring_send(loop, a, "hello", 5, 0, NULL), 5);
	/* 4 GiB: clamped to ARING_MAX_RW_COUNT, not truncated to 0 (an EOF). */
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_recv(loop, b, buf, (size_t)1 << 32, 0, NULL), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(aring_send(loop, a, "xy", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_recv(loop, b, buf, SIZE_MAX, 0, NULL), 2);
	aring_close(loop, a, NULL);
	aring_close(loop, b, NULL);
	return 0;
}

static void test_huge_len(void)
{
	CU_ASSERT_EQUAL(th_run(huge_len_task, NULL, 0), 0);
}

/*
 * madvise with a length past 32 bits: the kernel sees the whole length
 * (Linux 6.11+ reads it from sqe->off), so advice over a range that runs
 * past the mapping fails with -ENOMEM as madvise(2) does. Truncated to its
 * low 32 bits, the length would be one page and the call would succeed.
 * The sim has no process memory to advise (aring_madvise(3)): it checks the
 * arguments only, so it answers 0 for both lengths.
 */
static bool kernel_before(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

static int huge_madvise_task(aring_loop *loop, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t huge = ((off_t)1 << 32) + page;
	char *p;
	int ret;

	(void)arg;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	CU_ASSERT_EQUAL(aring_madvise(loop, p, page, MADV_NORMAL, NULL), 0);
	ret = aring_madvise(loop, p, huge, MADV_NORMAL, NULL);
	CU_ASSERT_EQUAL(ret, aring_loop_backend(loop) == ARING_BACKEND_SIM ? 0
			: kernel_before(6, 11) ? -EINVAL : -ENOMEM);
	munmap(p, (size_t)page);
	return 0;
}

static void test_huge_madvise(void)
{
	CU_ASSERT_EQUAL(th_run(huge_madvise_task, NULL, 0), 0);
}

#define TASKS 20

static int timed_nops(aring_loop *loop, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 5; i++)
		if (aring_nop(loop, &(struct aring_opt){ .timeout_ns = 1000 * MS }) != 0)
			return -1;
	return 0;
}

static int one_entry_task(aring_loop *loop, void *arg)
{
	aring_task *t[TASKS];
	int fds[2], i;
	char c;

	(void)arg;
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .timeout_ns = 1000 * MS }), 0);
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], &c, 1, 0, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	for (i = 0; i < TASKS; i++)
		t[i] = th_spawn(loop, timed_nops, NULL);
	for (i = 0; i < TASKS; i++)
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_one_entry_ring(void)
{
	/* A full SQ never fails an op: 1 entry is rounded up to 2, an op and its timeout. */
	CU_ASSERT_EQUAL(th_run(one_entry_task, NULL, 1), 0);
}

static CU_TestInfo tests[] = {
	{ "send/recv lengths past 32 bits are clamped, not truncated", test_huge_len },
	{ "a ring of 1 entry runs ops with timeouts", test_one_entry_ring },
	{ "madvise lengths past 32 bits reach the kernel whole", test_huge_madvise },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "limits", tests, TH_BOTH);
}
