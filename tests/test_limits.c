/* SPDX-License-Identifier: MIT */
/*
 * Limits at the edges of the API: size_t lengths past 32 bits, a ring of
 * one entry.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

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
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "limits", tests, TH_BOTH);
}
