/* SPDX-License-Identifier: MIT */
/*
 * Fault injection, each kind at 0 and at 1,000,000 ppm: the op's result and
 * the simulator's counters. Ring-internal ops (nop, timeouts) never fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "tests/helpers.h"

#define MS 1000000ull

static struct aring_sim_stats stats(aring_loop *loop)
{
	struct aring_sim_stats st;

	CU_ASSERT_EQUAL(aring_sim_stats(loop, &st), 0);
	return st;
}

static int errors_task(aring_loop *loop, void *arg)
{
	int on = *(int *)arg, fd;

	fd = aring_openat(loop, AT_FDCWD, "/tmp/e", O_CREAT | O_RDWR, 0644, NULL);
	if (on) {
		CU_ASSERT(fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM);
	} else {
		CU_ASSERT(fd >= 0);
	}
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0); /* never injected */
	CU_ASSERT_EQUAL(aring_sleep(loop, MS), 0);
	return 0;
}

static void run_with(const struct aring_sim_opts *so, aring_fn fn, int on,
		     struct aring_sim_stats *st)
{
	aring_loop *loop = th_loop_new_sim(0, so);

	CU_ASSERT_EQUAL(th_run_on(loop, fn, &on), 0);
	*st = stats(loop);
	aring_loop_free(loop);
}

static void test_errors(void)
{
	struct aring_sim_opts so = { .error_ppm = 1000000 };
	struct aring_sim_stats st;

	run_with(&so, errors_task, 1, &st);
	CU_ASSERT_EQUAL(st.errors_injected, 1);
	so.error_ppm = 0;
	run_with(&so, errors_task, 0, &st);
	CU_ASSERT_EQUAL(st.errors_injected, 0);
}

static int shorts_task(aring_loop *loop, void *arg)
{
	int on = *(int *)arg, fd, ret;
	char buf[100];

	memset(buf, 'a', sizeof(buf));
	fd = aring_openat(loop, AT_FDCWD, "/tmp/s", O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT_FATAL(fd >= 0);
	ret = aring_write(loop, fd, buf, 100, 0, NULL);
	if (on) {
		CU_ASSERT(ret >= 1 && ret < 100);
	} else {
		CU_ASSERT_EQUAL(ret, 100);
	}
	/* aring_write_all retries short writes. */
	CU_ASSERT_EQUAL(aring_write_all(loop, fd, buf, 100, NULL), 100);
	ret = aring_read(loop, fd, buf, 50, 0, NULL);
	if (on) {
		CU_ASSERT(ret >= 1 && ret < 50);
	} else {
		CU_ASSERT_EQUAL(ret, 50);
	}
	return aring_close(loop, fd, NULL);
}

static void test_shorts(void)
{
	struct aring_sim_opts so = { .short_ppm = 1000000 };
	struct aring_sim_stats st;

	run_with(&so, shorts_task, 1, &st);
	CU_ASSERT(st.shorts_injected >= 2);
	so.short_ppm = 0;
	run_with(&so, shorts_task, 0, &st);
	CU_ASSERT_EQUAL(st.shorts_injected, 0);
}

static int cancels_task(aring_loop *loop, void *arg)
{
	int on = *(int *)arg, fds[2];
	char c;

	CU_ASSERT_FATAL(aring_pipe(loop, fds, 0, NULL) == 0); /* pipe never waits: no fault */
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, (uint64_t)-1, NULL), on ? -ECANCELED : 1);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], &c, 1, (uint64_t)-1, NULL), on ? -ECANCELED : 1);
	CU_ASSERT_EQUAL(aring_sleep(loop, MS), 0);
	return 0;
}

static void test_cancels(void)
{
	struct aring_sim_opts so = { .cancel_ppm = 1000000 };
	struct aring_sim_stats st;

	run_with(&so, cancels_task, 1, &st);
	CU_ASSERT_EQUAL(st.cancels_injected, 2);
	so.cancel_ppm = 0;
	run_with(&so, cancels_task, 0, &st);
	CU_ASSERT_EQUAL(st.cancels_injected, 0);
}

static int timeouts_task(aring_loop *loop, void *arg)
{
	int on = *(int *)arg, fds[2];
	struct aring_opt o = { .timeout_ns = 5 * MS };
	uint64_t t0;
	char c;

	CU_ASSERT_FATAL(aring_pipe(loop, fds, 0, NULL) == 0);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, (uint64_t)-1, NULL), 1);
	t0 = aring_now_ns(loop);
	/* Data is there: without the fault the read returns at once. */
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], &c, 1, (uint64_t)-1, &o), on ? -ETIME : 1);
	CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, on ? 5 * MS : 0);
	/* Ops without a linked timeout are never held. */
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	return 0;
}

static void test_timeouts(void)
{
	struct aring_sim_opts so = { .timeout_ppm = 1000000 };
	struct aring_sim_stats st;

	run_with(&so, timeouts_task, 1, &st);
	CU_ASSERT_EQUAL(st.timeouts_injected, 1);
	so.timeout_ppm = 0;
	run_with(&so, timeouts_task, 0, &st);
	CU_ASSERT_EQUAL(st.timeouts_injected, 0);
}

static int mixed_task(aring_loop *loop, void *arg)
{
	char buf[64];
	int k, fd;

	(void)arg;
	for (k = 0; k < 200; k++) {
		fd = aring_openat(loop, AT_FDCWD, "/tmp/m", O_CREAT | O_RDWR, 0644, NULL);
		if (fd < 0)
			continue;
		aring_write(loop, fd, buf, sizeof(buf), 0, NULL);
		aring_read(loop, fd, buf, sizeof(buf), 0, NULL);
		aring_close(loop, fd, NULL);
	}
	return 0;
}

/* At 10% of each kind the program still runs to the end, and some faults happen. */
static void test_mixed(void)
{
	struct aring_sim_opts so = { .error_ppm = 100000, .short_ppm = 100000,
				     .cancel_ppm = 100000, .timeout_ppm = 100000 };
	aring_loop *loop = th_loop_new_sim(0, &so);
	struct aring_sim_stats st;

	CU_ASSERT_EQUAL(th_run_on(loop, mixed_task, NULL), 0);
	st = stats(loop);
	CU_ASSERT(st.errors_injected > 0 && st.shorts_injected > 0);
	CU_ASSERT_EQUAL(st.inflight, 0);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "error_ppm 0 and 1e6", test_errors },
	{ "short_ppm 0 and 1e6", test_shorts },
	{ "cancel_ppm 0 and 1e6", test_cancels },
	{ "timeout_ppm 0 and 1e6", test_timeouts },
	{ "10% of every fault", test_mixed },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim faults", tests, TH_SIM);
}
