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

static CU_TestInfo tests[] = {
	{ "send/recv lengths past 32 bits are clamped, not truncated", test_huge_len },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "limits", tests, TH_BOTH);
}
