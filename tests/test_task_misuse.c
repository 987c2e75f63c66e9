/* SPDX-License-Identifier: MIT */
/*
 * Misuse of tasks and loops that must give a clear -errno, never a crash or
 * corruption: joining a task twice, stack sizes that overflow.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/helpers.h"

static int return_arg(aring_loop *loop, void *arg)
{
	aring_yield(loop);
	return (int)(intptr_t)arg;
}

/* Two tasks alive at once must never share a stack. */
static void two_distinct(aring_loop *loop, size_t stack_size)
{
	aring_task *a = NULL, *b = NULL;
	int ra = 0, rb = 0;

	CU_ASSERT_EQUAL_FATAL(aring_spawn_stack(loop, return_arg, (void *)1, stack_size, &a), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn_stack(loop, return_arg, (void *)2, stack_size, &b), 0);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(aring_join(loop, a, &ra), 0);
	CU_ASSERT_EQUAL(aring_join(loop, b, &rb), 0);
	CU_ASSERT(ra == 1 && rb == 2);
}

static int join_twice_task(aring_loop *loop, void *arg)
{
	size_t stack_size = *(size_t *)arg;
	aring_task *t = NULL;
	int res = 0;

	CU_ASSERT_EQUAL_FATAL(aring_spawn_stack(loop, return_arg, (void *)7, stack_size, &t), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), 0);
	CU_ASSERT_EQUAL(res, 7);
	/* Already joined: its stack went back once, and only once. */
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), -ESRCH);
	CU_ASSERT_EQUAL(aring_join(loop, t, NULL), -ESRCH);
	two_distinct(loop, stack_size);
	return 0;
}

static void test_join_twice(void)
{
	size_t sizes[] = { 0, 64 * 1024 };  /* the pool's stacks, and a stack of its own */
	unsigned i;

	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(th_run(join_twice_task, &sizes[i], 0), 0);
}

static void test_join_twice_outside(void)
{
	aring_loop *loop = th_loop_new(0);
	aring_task *t = NULL;
	int res = 0;

	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, return_arg, (void *)3, &t), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), -ESRCH);
	two_distinct(loop, 0);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "joining a task twice: -ESRCH, its stack is not freed twice", test_join_twice },
	{ "joining a task twice from outside the loop", test_join_twice_outside },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "task_misuse", tests, TH_BOTH);
}
