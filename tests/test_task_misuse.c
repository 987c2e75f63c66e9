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

static int huge_stack_task(aring_loop *loop, void *arg)
{
	static const size_t bad[] = { SIZE_MAX, SIZE_MAX - 4095, SIZE_MAX / 2 + 1,
				      ARING_MAX_STACK_SIZE + 1, 16 * 1024 - 1 };
	aring_task *t = NULL;
	unsigned i;
	int ret, res = 0;

	(void)arg;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(aring_spawn_stack(loop, return_arg, NULL, bad[i], &t), -EINVAL);
		CU_ASSERT_EQUAL(aring_spawn_stack(loop, return_arg, NULL, bad[i], NULL), -EINVAL);
	}
	/* The largest works, or the machine cannot map it. */
	ret = aring_spawn_stack(loop, return_arg, (void *)5, ARING_MAX_STACK_SIZE, &t);
	CU_ASSERT(ret == 0 || ret == -ENOMEM);
	if (ret == 0) {
		CU_ASSERT_EQUAL(aring_join(loop, t, &res), 0);
		CU_ASSERT_EQUAL(res, 5);
	}
	return 0;
}

static void test_huge_stack(void)
{
	static const size_t bad[] = { SIZE_MAX, SIZE_MAX - 4095, ARING_MAX_STACK_SIZE + 1 };
	struct aring_loop_opts o = { .backend = th_cfg->backend };
	aring_loop *loop = NULL;
	unsigned i;

	CU_ASSERT_EQUAL(th_run(huge_stack_task, NULL, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.stack_size = bad[i];
		CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
		CU_ASSERT_PTR_NULL(loop);
	}
}

static CU_TestInfo tests[] = {
	{ "joining a task twice: -ESRCH, its stack is not freed twice", test_join_twice },
	{ "joining a task twice from outside the loop", test_join_twice_outside },
	{ "huge stack sizes: -EINVAL, not an overflow", test_huge_stack },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "task_misuse", tests, TH_BOTH);
}
