/* SPDX-License-Identifier: MIT */
/* The loop and a few ops end to end: the first thing to run when anything breaks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

static int nop_task(aring_loop *loop, void *arg)
{
	int i;

	for (i = 0; i < 100; i++)
		if (aring_nop(loop, NULL) != 0)
			return -1;
	return 42;
}

static void test_nop(void)
{
	CU_ASSERT_EQUAL(th_run(nop_task, NULL, 0), 42);
}

static int pipe_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[16] = { 0 };
	int ret;

	ret = aring_pipe(loop, fds, 0, NULL);
	if (ret < 0)
		return ret;
	ret = aring_write(loop, fds[1], "hello", 5, 0, NULL);
	CU_ASSERT_EQUAL(ret, 5);
	ret = aring_read(loop, fds[0], buf, sizeof(buf), 0, NULL);
	CU_ASSERT_EQUAL(ret, 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	CU_ASSERT_EQUAL(aring_close(loop, fds[0], NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fds[1], NULL), 0);
	return 0;
}

static void test_pipe(void)
{
	CU_ASSERT_EQUAL(th_run(pipe_task, NULL, 0), 0);
}

static int timeout_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[16];
	struct aring_opt o = { .timeout_ns = 10 * 1000 * 1000 };
	uint64_t t0;
	int ret;

	ret = aring_pipe(loop, fds, 0, NULL);
	if (ret < 0)
		return ret;
	t0 = aring_now_ns(loop);
	ret = aring_read(loop, fds[0], buf, sizeof(buf), 0, &o);
	CU_ASSERT_EQUAL(ret, -ETIME);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 10 * 1000 * 1000);
	aring_close(loop, fds[0], NULL);
	aring_close(loop, fds[1], NULL);
	return 0;
}

static void test_read_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_task, NULL, 0), 0);
}

static int sleeper(aring_loop *loop, void *arg)
{
	int *count = arg;

	CU_ASSERT_EQUAL(aring_sleep(loop, 1000 * 1000), 0);
	(*count)++;
	return 0;
}

static int many_task(aring_loop *loop, void *arg)
{
	int count = 0, i;

	for (i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, sleeper, &count, NULL), 0);
	while (count < 1000)
		aring_sleep(loop, 1000 * 1000);
	return count;
}

static void test_small_ring_many_tasks(void)
{
	CU_ASSERT_EQUAL(th_run(many_task, NULL, 2), 1000);
}

static CU_TestInfo tests[] = {
	{ "nop", test_nop },
	{ "pipe write/read", test_pipe },
	{ "read with a timeout", test_read_timeout },
	{ "ring of 2 runs 1000 tasks", test_small_ring_many_tasks },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "smoke", tests, TH_BOTH);
}
