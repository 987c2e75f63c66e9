/* SPDX-License-Identifier: MIT */
/*
 * Futexes between tasks of one loop: FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV
 * (uring, and the sim's model, sim/futex.c). Not on epoll: it does not run
 * the futex ops (-EOPNOTSUPP, docs/ops.md).
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>

#include "core/abi.h"
#include "tests/helpers.h"

#define U32 0x02u /* FUTEX2_SIZE_U32 */
#define ANY 0xffffffffull

struct shared {
	uint32_t word, other;
	int woke_res;
	int waiting;
};

static int waiter(aring_loop *loop, void *arg)
{
	struct shared *sh = arg;

	sh->waiting++;
	sh->woke_res = aring_futex_wait(loop, &sh->word, 0, ANY, U32, 0, NULL);
	return 0;
}

static int waitv_waiter(aring_loop *loop, void *arg)
{
	struct shared *sh = arg;
	struct futex_waitv v[2];

	memset(v, 0, sizeof(v));
	v[0].uaddr = (uint64_t)(uintptr_t)&sh->word;
	v[0].val = 0;
	v[0].flags = U32;
	v[1].uaddr = (uint64_t)(uintptr_t)&sh->other;
	v[1].val = 5;
	v[1].flags = U32;
	sh->waiting++;
	sh->woke_res = aring_futex_waitv(loop, v, 2, 0, NULL);
	return 0;
}

static int futex_task(aring_loop *loop, void *arg)
{
	struct shared sh = { .word = 0, .other = 5 };
	struct futex_waitv v;
	aring_task *t, *t2;
	int i;

	(void)arg;
	/* The value differs: -EAGAIN at once. A zero mask, a misaligned word. */
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &sh.word, 1, ANY, U32, 0, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &sh.word, 0, 0, U32, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_futex_wake(loop, (uint32_t *)((char *)&sh.word + 1), 1, ANY, U32, 0,
					 NULL), -EINVAL);
	/* Sizes other than u32, unknown flags, a value above 32 bits. */
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &sh.word, 0, ANY, 0x03, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &sh.word, 0, ANY, U32 | 0x100, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &sh.word, 1ull << 32, ANY, U32, 0, NULL), -EINVAL);
	/* Nobody waits: a wake wakes none. */
	CU_ASSERT_EQUAL(aring_futex_wake(loop, &sh.word, 1, ANY, U32, 0, NULL), 0);
	/* Two sleepers; a wake of 1 wakes one, then the other. */
	sh.woke_res = 99;
	t = th_spawn(loop, waiter, &sh);
	t2 = th_spawn(loop, waiter, &sh);
	for (i = 0; i < 10 && sh.waiting < 2; i++)
		aring_yield(loop);
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0); /* let their SQEs reach the ring */
	/* A wake of another word wakes none of them. */
	CU_ASSERT_EQUAL(aring_futex_wake(loop, &sh.other, 8, ANY, U32, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_futex_wake(loop, &sh.word, 1, ANY, U32, 0, NULL), 1);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(sh.woke_res, 0);
	CU_ASSERT_EQUAL(aring_futex_wake(loop, &sh.word, 8, ANY, U32, 0, NULL), 1);
	CU_ASSERT_EQUAL(th_join(loop, t2), 0);
	/* waitv: woken through its second word, it returns that index. */
	sh.waiting = 0;
	sh.woke_res = 99;
	t = th_spawn(loop, waitv_waiter, &sh);
	for (i = 0; i < 10 && sh.waiting < 1; i++)
		aring_yield(loop);
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	CU_ASSERT_EQUAL(aring_futex_wake(loop, &sh.other, 1, ANY, U32, 0, NULL), 1);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(sh.woke_res, 1);
	/* waitv: a word that differs -EAGAIN; no entries, reserved bits -EINVAL. */
	memset(&v, 0, sizeof(v));
	v.uaddr = (uint64_t)(uintptr_t)&sh.word;
	v.val = 3;
	v.flags = U32;
	CU_ASSERT_EQUAL(aring_futex_waitv(loop, &v, 1, 0, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(aring_futex_waitv(loop, &v, 0, 0, NULL), -EINVAL);
	v.__reserved = 1;
	CU_ASSERT_EQUAL(aring_futex_waitv(loop, &v, 1, 0, NULL), -EINVAL);
	return 0;
}

static void test_futex(void)
{
	CU_ASSERT_EQUAL(th_run(futex_task, NULL, 0), 0);
}

/* A sleeper can be cancelled. */
static int cancel_task(aring_loop *loop, void *arg)
{
	uint32_t word = 0;
	struct aring_opt o = { .timeout_ns = 1000000 }; /* 1 ms: its linked timeout ends the wait */

	(void)arg;
	CU_ASSERT_EQUAL(aring_futex_wait(loop, &word, 0, ANY, U32, 0, &o), -ETIME);
	return 0;
}

struct cancel_arg {
	uint32_t word;
	uint64_t id;
};

static int id_waiter(aring_loop *loop, void *arg)
{
	struct cancel_arg *c = arg;
	struct aring_opt o = { .id = &c->id };

	return aring_futex_wait(loop, &c->word, 0, ANY, U32, 0, &o);
}

/*
 * An async cancel of a futex wait. The kernel's cancel CQE says 1 (its
 * io_futex_cancel() counts what it cancelled), which aring_cancel reports
 * as found: 0.
 */
static int cancel_id_task(aring_loop *loop, void *arg)
{
	struct cancel_arg c = { 0, 0 };
	aring_task *t;
	int i;

	(void)arg;
	t = th_spawn(loop, id_waiter, &c);
	for (i = 0; i < 10 && !c.id; i++)
		aring_yield(loop);
	CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	CU_ASSERT_EQUAL(aring_cancel(loop, c.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	return 0;
}

static void test_futex_cancel(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_task, NULL, 0), 0);
	CU_ASSERT_EQUAL(th_run(cancel_id_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "futex wait/wake/waitv between tasks", test_futex },
	{ "a futex wait ends by its linked timeout", test_futex_cancel },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	if (!th_kernel_has(ARING_OP_FUTEX_WAIT, "FUTEX_WAIT"))
		return 77;
	/* not epoll: it does not run the futex ops */
	return th_main(argc, argv, "futex", tests, TH_URING | TH_SIM);
}
