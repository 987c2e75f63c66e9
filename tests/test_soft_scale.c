/* SPDX-License-Identifier: MIT */
/*
 * The soft ring's cost does not grow with the world: 100,000 tasks asleep
 * in aring_sleep (each a timeout in the soft ring's heap) while 100 busy
 * tasks run nops. No timing assertion: the run must finish, every sleeper
 * wake at its own virtual time, in order. (Before the soft ring every
 * completion walked every pending timeout: 1.8 k ops/s with 100,000
 * sleepers; bench figures are in the report of the change.)
 */
#include <errno.h>

#include "tests/helpers.h"

#define SLEEPERS 100000u
#define BUSY 100u
#define NOPS 1000u

static uint64_t t0, last_wake;
static unsigned woken, out_of_order, nops_done;

static int sleeper(aring_loop *loop, void *arg)
{
	uint64_t ns = (uint64_t)(uintptr_t)arg;
	uint64_t now;

	CU_ASSERT_EQUAL(aring_sleep(loop, ns), 0);
	now = aring_now_ns(loop);
	CU_ASSERT_EQUAL(now - t0, ns);
	out_of_order += now < last_wake;
	last_wake = now;
	woken++;
	return 0;
}

static int busy(aring_loop *loop, void *arg)
{
	unsigned k;

	(void)arg;
	for (k = 0; k < NOPS; k++)
		if (aring_nop(loop, NULL) == 0)
			nops_done++;
	return 0;
}

static int body(aring_loop *loop, void *arg)
{
	unsigned k;

	(void)arg;
	t0 = aring_now_ns(loop);
	/* Distinct deadlines from 1 ms to 100 s, spawned out of order. */
	for (k = 0; k < SLEEPERS; k++) {
		uint64_t ms = 1 + (k * 7919u) % SLEEPERS;

		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, sleeper, (void *)(uintptr_t)(ms * 1000000u),
						  NULL), 0);
	}
	for (k = 0; k < BUSY; k++)
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, busy, NULL, NULL), 0);
	return 0;
}

static void test_sleepers_and_busy(void)
{
	woken = out_of_order = nops_done = 0;
	last_wake = 0;
	CU_ASSERT_EQUAL(th_run(body, NULL, 0), 0);
	CU_ASSERT_EQUAL(woken, SLEEPERS);
	CU_ASSERT_EQUAL(out_of_order, 0);
	CU_ASSERT_EQUAL(nops_done, BUSY * NOPS);
}

static CU_TestInfo tests[] = {
	{ "100,000 sleepers and 100 busy tasks", test_sleepers_and_busy },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "soft ring scale", tests, TH_SIM);
}
