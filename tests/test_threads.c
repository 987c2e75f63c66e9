/* SPDX-License-Identifier: MIT */
/*
 * Loops in several threads at once, each with its own tasks, stacks and
 * ring (or simulated world), do not disturb each other.
 */
#include <pthread.h>
#include <string.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)
#define THREADS 4
#define TASKS 200

struct thread_run {
	const struct th_config *cfg;
	int run, sum;
};

static int counter_task(aring_loop *loop, void *arg)
{
	int *sum = arg, i;

	for (i = 0; i < 10; i++) {
		if (aring_nop(loop, NULL) != 0 || aring_sleep(loop, MS / 10) != 0)
			return -1;
		aring_yield(loop);
	}
	(*sum)++;
	return 0;
}

static void *thread_main(void *arg)
{
	struct thread_run *r = arg;
	struct aring_sim_opts sim = { .seed = r->cfg->seed };
	struct aring_loop_opts o = { .backend = r->cfg->backend, .sim = &sim };
	aring_loop *loop;
	int i;

	r->run = aring_loop_new(&loop, &o);
	if (r->run < 0)
		return NULL;
	for (i = 0; i < TASKS; i++)
		aring_spawn(loop, counter_task, &r->sum, NULL);
	r->run = aring_run(loop);
	aring_loop_free(loop);
	return NULL;
}

/* CUnit is not thread-safe: the threads report, the main thread asserts. */
static void test_loops_in_threads(void)
{
	struct thread_run runs[THREADS];
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		runs[i] = (struct thread_run){ .cfg = th_cfg, .run = -1 };
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, thread_main, &runs[i]) == 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(runs[i].run, 0);
		CU_ASSERT_EQUAL(runs[i].sum, TASKS);
	}
}

static CU_TestInfo tests[] = {
	{ "a loop per thread, four at once", test_loops_in_threads },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "threads", tests, TH_BOTH);
}
