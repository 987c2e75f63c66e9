/* SPDX-License-Identifier: MIT */
/*
 * Virtual time: a 10 s sleep takes no real time and exactly 10 s of virtual
 * time; timers fire in order and exactly on time; time does not move while
 * a task can run; a program blocked on nothing that can happen ends with
 * -EDEADLK.
 */
#include <errno.h>
#include <time.h>

#include "tests/helpers.h"

#define SEC 1000000000ull

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static int sleep10(aring_loop *loop, void *arg)
{
	uint64_t t0 = aring_now_ns(loop);

	(void)arg;
	CU_ASSERT_EQUAL(t0, ARING_SIM_START_NS);
	CU_ASSERT_EQUAL(aring_sleep(loop, 10 * SEC), 0);
	CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 10 * SEC);
	return 0;
}

static void test_sleep_10s(void)
{
	uint64_t t0 = real_ns();
	aring_loop *loop = th_loop_new(0);

	CU_ASSERT_EQUAL(th_run_on(loop, sleep10, NULL), 0);
	CU_ASSERT_EQUAL(aring_now_ns(loop), ARING_SIM_START_NS + 10 * SEC);
	aring_loop_free(loop);
	CU_ASSERT(real_ns() - t0 < SEC);
}

static uint64_t woke[100];
static unsigned nwoke;

static int sleeper(aring_loop *loop, void *arg)
{
	uint64_t ms = (uint64_t)(uintptr_t)arg;

	CU_ASSERT_EQUAL(aring_sleep(loop, ms * 1000000u), 0);
	woke[nwoke++] = aring_now_ns(loop) - ARING_SIM_START_NS;
	return 0;
}

static void test_many_timers(void)
{
	aring_loop *loop = th_loop_new(0);
	unsigned k;

	nwoke = 0;
	for (k = 0; k < 100; k++)
		aring_spawn(loop, sleeper, (void *)(uintptr_t)((k * 37) % 100 + 1), NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(nwoke, 100);
	for (k = 0; k < nwoke; k++)
		CU_ASSERT_EQUAL(woke[k], (uint64_t)(k + 1) * 1000000u);
	aring_loop_free(loop);
}

static int busy(aring_loop *loop, void *arg)
{
	uint64_t t0 = aring_now_ns(loop);
	int k;

	(void)arg;
	for (k = 0; k < 100; k++)
		aring_yield(loop);
	/* Zero latency by default: nops do not move the clock either. */
	for (k = 0; k < 100; k++)
		CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	CU_ASSERT_EQUAL(aring_now_ns(loop), t0);
	return 0;
}

static void test_time_stands_still(void)
{
	CU_ASSERT_EQUAL(th_run(busy, NULL, 0), 0);
}

static int latency_task(aring_loop *loop, void *arg)
{
	uint64_t t0 = aring_now_ns(loop), dt;

	(void)arg;
	/* A write to stdout's pipe: an op of the world (a nop is the soft
	 * ring's own and completes inline, as in the kernel). */
	CU_ASSERT_EQUAL(aring_write(loop, 1, "x", 1, 0, NULL), 1);
	dt = aring_now_ns(loop) - t0;
	CU_ASSERT(dt >= 1000 && dt <= 2000);
	return 0;
}

static void test_latency(void)
{
	struct aring_sim_opts so = { .latency_min_ns = 1000, .latency_max_ns = 2000 };
	aring_loop *loop = th_loop_new_sim(0, &so);

	CU_ASSERT_EQUAL(th_run_on(loop, latency_task, NULL), 0);
	aring_loop_free(loop);
}

static int stuck(aring_loop *loop, void *arg)
{
	int fds[2];
	char c;

	(void)arg;
	if (aring_pipe(loop, fds, 0, NULL) < 0)
		return -1;
	return aring_read(loop, fds[0], &c, 1, (uint64_t)-1, NULL); /* the writer never writes */
}

static void test_deadlock(void)
{
	aring_loop *loop = th_loop_new(0);

	aring_spawn(loop, stuck, NULL, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), -EDEADLK);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "a 10 s sleep: exact virtual time, no real time", test_sleep_10s },
	{ "100 timers fire in order, on time", test_many_timers },
	{ "time stands still while tasks run", test_time_stands_still },
	{ "op latency within [min, max]", test_latency },
	{ "nothing can complete: -EDEADLK", test_deadlock },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim time", tests, TH_SIM);
}
