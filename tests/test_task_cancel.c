/* SPDX-License-Identifier: MIT */
/*
 * aring_task_cancel: a task blocked in each kind of wait (an op in the
 * ring, a sleep, a channel send and receive, a mutex, a condition, a
 * semaphore, a wait group, a join) returns -ECANCELED; afterwards its ops
 * and waits fail at once without reaching the ring, while aring_close and
 * aring_shutdown still run; a multishot op ends; a task cancelled while it
 * holds a mutex keeps it until it unlocks; return codes.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)

enum kind {
	K_OP, K_SLEEP, K_SEND, K_RECV, K_MUTEX, K_COND, K_SEM, K_WG, K_JOIN, K_MULTISHOT,
	K_TIMED_OP, K_CHAIN, K_N
};

static const char *const kind_name[K_N] = {
	"op", "sleep", "chan send", "chan recv", "mutex", "cond", "sem", "wg", "join", "multishot",
	"op with a timeout", "chain",
};

struct world {
	enum kind kind;
	int pipe[2];
	aring_chan *full, *empty;
	struct aring_mutex m, held;
	struct aring_cond c;
	struct aring_sem s;
	struct aring_wg wg;
	aring_task *sleeper;
	int res;          /* the wait's result */
	int after_nop;    /* an op after the cancel */
	int after_recv;   /* a wait after the cancel */
	int after_close;  /* aring_close still runs */
	int cond_held;    /* cond_wait gave m back */
	int cancelled;    /* aring_task_cancelled */
	int ms_calls;
};

static int long_sleep(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_sleep(loop, 3600000 * MS);
}

static int never_stop(aring_loop *loop, int res, unsigned flags, void *arg)
{
	struct world *w = arg;

	(void)loop;
	(void)res;
	(void)flags;
	w->ms_calls++;
	return 0;
}

/* A chain whose first link blocks: a poll on the pipe's read end, then a NOP. */
static void prep_chain(struct io_uring_sqe **sqes, void *ctx)
{
	struct world *w = ctx;

	io_uring_prep_poll_add(sqes[0], w->pipe[0], POLLIN);
	io_uring_prep_nop(sqes[1]);
}

static int blocked(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	struct aring_opt timed = { .timeout_ns = 3600000 * MS };
	char c;
	int v = 0;

	switch (w->kind) {
	case K_OP:
		w->res = aring_read(loop, w->pipe[0], &c, 1, (uint64_t)-1, NULL);
		break;
	case K_SLEEP:
		w->res = aring_sleep(loop, 3600000 * MS);
		break;
	case K_SEND:
		w->res = aring_chan_send(loop, w->full, &v, NULL);
		break;
	case K_RECV:
		w->res = aring_chan_recv(loop, w->empty, &v, NULL);
		break;
	case K_MUTEX:
		w->res = aring_mutex_lock(loop, &w->held, NULL);
		break;
	case K_COND:
		aring_mutex_lock(loop, &w->m, NULL);
		w->res = aring_cond_wait(loop, &w->c, &w->m, NULL);
		w->cond_held = w->m.owner == aring_current(loop);
		aring_mutex_unlock(loop, &w->m);
		break;
	case K_SEM:
		w->res = aring_sem_acquire(loop, &w->s, NULL);
		break;
	case K_WG:
		w->res = aring_wg_wait(loop, &w->wg, NULL);
		break;
	case K_JOIN:
		w->res = aring_join(loop, w->sleeper, NULL);
		break;
	case K_MULTISHOT:
		w->res = aring_poll_multishot(loop, w->pipe[0], POLLIN, never_stop, w, NULL);
		break;
	case K_TIMED_OP:
		w->res = aring_read(loop, w->pipe[0], &c, 1, (uint64_t)-1, &timed);
		break;
	case K_CHAIN:
		w->res = aring_do_n(loop, 2, prep_chain, w, NULL);
		break;
	case K_N:
		break;
	}
	w->cancelled = aring_task_cancelled(loop);
	w->after_nop = aring_nop(loop, NULL);
	w->after_recv = aring_chan_recv(loop, w->full, &v, NULL);  /* has a message: still refused */
	w->after_close = aring_close(loop, w->pipe[1], NULL);
	return 77;
}

static int cancel_each_task(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	aring_task *t;
	int v = 1, ret;
	char byte = 'x';

	memset(&w->m, 0, sizeof(*w) - offsetof(struct world, m));
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, w->pipe, 0, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 1, &w->full), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 1, &w->empty), 0);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, w->full, &v), 0);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &w->held, NULL), 0);
	aring_wg_add(&w->wg, 1);
	w->sleeper = th_spawn(loop, long_sleep, NULL);
	t = th_spawn(loop, blocked, w);
	aring_sleep(loop, MS);
	if (w->kind == K_MULTISHOT) {  /* one event first: it is armed */
		CU_ASSERT_EQUAL(aring_write(loop, w->pipe[1], &byte, 1, (uint64_t)-1, NULL), 1);
		aring_sleep(loop, MS);
		CU_ASSERT(w->ms_calls >= 1);
	}
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);  /* twice: harmless */
	ret = th_join(loop, t);
	CU_ASSERT_EQUAL(ret, 77);
	if (w->res != -ECANCELED)
		fprintf(stderr, "cancel while blocked in %s: %d\n", kind_name[w->kind], w->res);
	CU_ASSERT_EQUAL(w->res, -ECANCELED);
	CU_ASSERT_EQUAL(w->cancelled, 1);
	CU_ASSERT_EQUAL(w->after_nop, -ECANCELED);
	CU_ASSERT_EQUAL(w->after_recv, -ECANCELED);
	CU_ASSERT_EQUAL(w->after_close, 0);
	if (w->kind == K_COND)
		CU_ASSERT_EQUAL(w->cond_held, 1);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), -ESRCH);  /* returned and joined */
	/* The objects are as before: nothing was taken or queued. */
	CU_ASSERT_PTR_NULL(w->held.waiters.head);
	CU_ASSERT_PTR_NULL(w->c.waiters.head);
	CU_ASSERT_PTR_NULL(w->s.waiters.head);
	CU_ASSERT_PTR_NULL(w->wg.waiters.head);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, w->full, &v), 0);
	/* The joined-for task is still there and joinable. */
	CU_ASSERT_EQUAL(aring_task_cancel(loop, w->sleeper), 0);
	CU_ASSERT_EQUAL(th_join(loop, w->sleeper), -ECANCELED);
	aring_wg_done(loop, &w->wg);
	aring_mutex_unlock(loop, &w->held);
	aring_chan_free(w->full);
	aring_chan_free(w->empty);
	CU_ASSERT_EQUAL(aring_close(loop, w->pipe[0], NULL), 0);
	return 0;
}

static void test_cancel_each_kind(void)
{
	struct world w;
	int k;

	for (k = 0; k < K_N; k++) {
		w.kind = (enum kind)k;
		CU_ASSERT_EQUAL(th_run(cancel_each_task, &w, 0), 0);
	}
}

struct holder {
	struct aring_mutex m;
	int step;
	int sleep_res;
	int unlock_res;
};

static int hold_and_sleep(aring_loop *loop, void *arg)
{
	struct holder *h = arg;

	aring_mutex_lock(loop, &h->m, NULL);
	h->step = 1;
	h->sleep_res = aring_sleep(loop, 3600000 * MS);
	h->step = 2;
	aring_yield(loop);  /* still held after the cancel ... */
	h->unlock_res = aring_mutex_unlock(loop, &h->m);  /* ... until its error path unlocks */
	return 0;
}

static int waits_for_lock(aring_loop *loop, void *arg)
{
	struct holder *h = arg;
	int ret = aring_mutex_lock(loop, &h->m, NULL);

	if (ret == 0) {
		CU_ASSERT_EQUAL(h->step, 2);
		aring_mutex_unlock(loop, &h->m);
	}
	return ret;
}

/* A task cancelled while it holds a mutex keeps it until it unlocks it itself. */
static int holder_task(aring_loop *loop, void *arg)
{
	struct holder h;
	aring_task *t, *w;

	(void)arg;
	memset(&h, 0, sizeof(h));
	t = th_spawn(loop, hold_and_sleep, &h);
	aring_yield(loop);
	w = th_spawn(loop, waits_for_lock, &h);
	aring_yield(loop);
	CU_ASSERT_EQUAL(h.step, 1);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_PTR_EQUAL(h.m.owner, t);  /* not released by the cancel */
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(h.sleep_res, -ECANCELED);
	CU_ASSERT_EQUAL(h.unlock_res, 0);
	CU_ASSERT_EQUAL(th_join(loop, w), 0);
	return 0;
}

static void test_cancel_holding_mutex(void)
{
	CU_ASSERT_EQUAL(th_run(holder_task, NULL, 0), 0);
}

static int self_cancel(aring_loop *loop, void *arg)
{
	int fds[2] = { -1, -1 }, ret;

	(void)arg;
	CU_ASSERT_EQUAL(aring_task_cancelled(loop), 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, aring_current(loop)), 0);
	CU_ASSERT_EQUAL(aring_task_cancelled(loop), 1);
	CU_ASSERT_EQUAL(aring_sleep(loop, MS), -ECANCELED);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, (uint64_t)-1, NULL), -ECANCELED);
	/* aring_shutdown runs (ENOTSOCK: it reached the kernel). */
	ret = aring_shutdown(loop, fds[1], SHUT_RDWR, NULL);
	CU_ASSERT(ret == -ENOTSOCK || ret == -EOPNOTSUPP);
	CU_ASSERT_EQUAL(aring_close(loop, fds[0], NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fds[1], NULL), 0);
	return 5;
}

static int never_runs_an_op(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_nop(loop, NULL);
}

static int codes_task(aring_loop *loop, void *arg)
{
	aring_task *t;

	(void)arg;
	t = th_spawn(loop, self_cancel, NULL);
	CU_ASSERT_EQUAL(th_join(loop, t), 5);
	/* Cancelled before it first ran: its first op fails. */
	t = th_spawn(loop, never_runs_an_op, NULL);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, NULL), -EINVAL);
	return 0;
}

static void test_self_and_codes(void)
{
	aring_loop *loop;
	aring_task *t;

	CU_ASSERT_EQUAL(th_run(codes_task, NULL, 0), 0);
	/* From outside a task, before aring_run. */
	loop = th_loop_new(0);
	CU_ASSERT_EQUAL(aring_spawn(loop, long_sleep, NULL, &t), 0);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(aring_task_cancelled(loop), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	aring_loop_free(loop);
}

static int detached_target(aring_loop *loop, void *arg)
{
	aring_task **self = arg;

	*self = aring_current(loop);
	return aring_sleep(loop, MS);
}

static int detached_task(aring_loop *loop, void *arg)
{
	aring_task *d = NULL;

	(void)arg;
	CU_ASSERT_EQUAL(aring_spawn(loop, detached_target, &d, NULL), 0);
	aring_yield(loop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, d), -EINVAL);
	return 0;
}

static void test_detached(void)
{
	CU_ASSERT_EQUAL(th_run(detached_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "cancel a task blocked in each kind of wait", test_cancel_each_kind },
	{ "a cancelled task keeps its mutex until it unlocks", test_cancel_holding_mutex },
	{ "self-cancel, cancel before the first run, codes", test_self_and_codes },
	{ "a detached task: -EINVAL", test_detached },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "task_cancel", tests, TH_BOTH);
}
