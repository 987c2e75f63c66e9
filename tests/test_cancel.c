/* SPDX-License-Identifier: MIT */
/*
 * Cancellation and timeouts beyond the Zig tests: cancel flags, cancelling
 * an op that has a linked timeout, a cancelled sleep, an op that beats its
 * linked timeout, timeout_update/remove errors, and IORING_TIMEOUT_ETIME_SUCCESS.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

struct sleeper {
	uint64_t ns;
	uint64_t id;
	int res;
	uint64_t took_ns;
};

static int sleeper(aring_loop *loop, void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = aring_now_ns(loop);

	s->res = aring_sleep_opt(loop, s->ns, &(struct aring_opt){ .id = &s->id });
	s->took_ns = aring_now_ns(loop) - t0;
	return 0;
}

static int cancel_sleep_task(aring_loop *loop, void *arg)
{
	struct sleeper s = { .ns = 3600ull * 1000 * MS, .res = 1 };
	struct sleeper s2 = { .ns = 10 * MS, .res = 1 };
	aring_task *t = th_spawn(loop, sleeper, &s);

	aring_yield(loop);
	/* Unknown cancel flags are refused, and cancel nothing. */
	CU_ASSERT_EQUAL(aring_cancel(loop, s.id, 1u << 30, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_cancel(loop, s.id, IORING_ASYNC_CANCEL_ALL, NULL), 0);
	th_join(loop, t);
	CU_ASSERT_EQUAL(s.res, -ECANCELED);
	/* A sleep that runs out: 0, after at least its time. */
	t = th_spawn(loop, sleeper, &s2);
	th_join(loop, t);
	CU_ASSERT_EQUAL(s2.res, 0);
	CU_ASSERT(s2.took_ns >= 10 * MS);
	return 0;
}

static void test_cancel_sleep(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_sleep_task, NULL, 0), 0);
}

struct reader {
	int fd;
	uint64_t id;
	int res;
};

static int reader(aring_loop *loop, void *arg)
{
	struct reader *r = arg;
	char buf[4];

	r->res = aring_read(loop, r->fd, buf, sizeof(buf), 0,
			    &(struct aring_opt){ .id = &r->id, .timeout_ns = 3600ull * 1000 * MS });
	return 0;
}

static int cancel_linked_task(aring_loop *loop, void *arg)
{
	struct reader r = { .res = 1 };
	aring_task *t;
	int fds[2];
	char buf[4];

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	r.fd = fds[0];
	t = th_spawn(loop, reader, &r);
	aring_yield(loop);
	/* Cancelled, not timed out: -ECANCELED (the linked timeout goes with it). */
	CU_ASSERT_EQUAL(aring_cancel(loop, r.id, 0, NULL), 0);
	th_join(loop, t);
	CU_ASSERT_EQUAL(r.res, -ECANCELED);
	/* An op that completes before its linked timeout returns its own result. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "ab", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &(struct aring_opt){ .timeout_ns = 1000 * MS }), 2);
	CU_ASSERT_EQUAL(aring_nop(loop, &(struct aring_opt){ .timeout_ns = 1 }), 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_cancel_linked(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_linked_task, NULL, 0), 0);
}

static int timeout_errors_task(aring_loop *loop, void *arg)
{
	struct __kernel_timespec ts = { 0, MS };
	struct reader r = { .res = 1 };
	aring_task *t;
	int fds[2];

	CU_ASSERT_EQUAL(aring_timeout_update(loop, NULL, 1, 0, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_timeout_update(loop, &ts, 12345, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_timeout_remove(loop, 12345, 0, NULL), -ENOENT);
	/* The id of an op that is not a timeout: the kernel finds no timeout there. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	r.fd = fds[0];
	t = th_spawn(loop, reader, &r);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_timeout_remove(loop, r.id, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, 0, NULL), 1);
	th_join(loop, t);
	CU_ASSERT_EQUAL(r.res, 1);
	th_close_pair(loop, fds);
	return 0;
}

static void test_timeout_errors(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_errors_task, NULL, 0), 0);
}

static int etime_success_task(aring_loop *loop, void *arg)
{
	struct __kernel_timespec ts = { 0, MS };

	/*
	 * The kernel still posts -ETIME (the flag only keeps a link chain
	 * going), and DESIGN.md says aring_timeout returns what the kernel's
	 * timeout returns. (include/aring.h's "0 if IORING_TIMEOUT_ETIME_SUCCESS"
	 * disagrees: reported.)
	 */
	CU_ASSERT_EQUAL(aring_timeout(loop, &ts, 0, IORING_TIMEOUT_ETIME_SUCCESS, NULL), -ETIME);
	return 0;
}

static void test_etime_success(void)
{
	CU_ASSERT_EQUAL(th_run(etime_success_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "cancel a sleep; cancel flags", test_cancel_sleep },
	{ "cancel an op with a linked timeout", test_cancel_linked },
	{ "timeout_update and timeout_remove errors", test_timeout_errors },
	{ "timeout with IORING_TIMEOUT_ETIME_SUCCESS: -ETIME, as the kernel", test_etime_success },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "cancel", tests, TH_BOTH);
}
