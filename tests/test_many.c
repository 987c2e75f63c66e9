/* SPDX-License-Identifier: MIT */
/*
 * uring only: 100,000 concurrent tasks parked on aring_sleep, with the
 * default loop options (256 SQ entries, 128 KiB stacks). Checks that all of
 * them are parked at once and all finish; prints the peak RSS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>

#include "tests/helpers.h"

#define NTASKS 100000
#define MS (1000u * 1000u)

struct park {
	int parked, peak, done, failed;
	bool release;
};

static int parked_task(aring_loop *loop, void *arg)
{
	struct park *p = arg;

	p->parked++;
	if (p->parked > p->peak)
		p->peak = p->parked;
	while (!p->release)
		if (aring_sleep(loop, 500 * MS) != 0)
			p->failed++;
	p->parked--;
	p->done++;
	return 0;
}

static int controller(aring_loop *loop, void *arg)
{
	struct park *p = arg;

	/* Every task is parked: only then let them go. */
	while (p->parked < NTASKS && p->failed == 0)
		aring_sleep(loop, 50 * MS);
	p->release = true;
	return 0;
}

static void test_100k_tasks(void)
{
	aring_loop *loop = th_loop_new(0);
	struct park p = { 0 };
	struct rusage ru;
	aring_task *c;
	int i, ret = 0;

	for (i = 0; i < NTASKS && ret == 0; i++)
		ret = aring_spawn(loop, parked_task, &p, NULL);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, controller, &p, &c), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	th_join(loop, c);
	CU_ASSERT_EQUAL(p.peak, NTASKS);
	CU_ASSERT_EQUAL(p.done, NTASKS);
	CU_ASSERT_EQUAL(p.failed, 0);
	aring_loop_free(loop);
	getrusage(RUSAGE_SELF, &ru);
	printf("\n    %d tasks parked at once; peak RSS %ld MiB ", p.peak, ru.ru_maxrss / 1024);
}

static CU_TestInfo tests[] = {
	{ "100,000 tasks parked on aring_sleep", test_100k_tasks },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "many", tests, TH_URING | TH_EPOLL);
}
