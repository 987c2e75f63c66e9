/* SPDX-License-Identifier: MIT */
/*
 * Mutex, condition variable, semaphore, wait group: FIFO hand-over of a
 * lock, misuse (-EPERM, -EDEADLK), timeouts and cancels while waiting,
 * cond_wait relocking on every return, a wait group reaching zero twice,
 * and a wait group driven below zero (a documented abort).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)

struct order {
	struct aring_mutex m;
	int seq[8];
	int n;
};

struct locker {
	struct order *o;
	int idx;
};

static int lock_and_record(aring_loop *loop, void *arg)
{
	struct locker *l = arg;
	int ret = aring_mutex_lock(loop, &l->o->m, NULL);

	if (ret)
		return ret;
	l->o->seq[l->o->n++] = l->idx;
	aring_yield(loop);  /* hold it across a switch */
	return aring_mutex_unlock(loop, &l->o->m);
}

/* Five tasks queue on a held mutex; it is handed over in arrival order. */
static int fifo_task(aring_loop *loop, void *arg)
{
	struct order o;
	struct locker l[5];
	aring_task *t[5];
	int i;

	(void)arg;
	memset(&o, 0, sizeof(o));  /* all-zero: a free mutex */
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &o.m, NULL), 0);
	for (i = 0; i < 5; i++) {
		l[i].o = &o;
		l[i].idx = i;
		t[i] = th_spawn(loop, lock_and_record, &l[i]);
		aring_yield(loop);  /* each queues before the next starts */
	}
	CU_ASSERT_EQUAL(aring_mutex_trylock(loop, &o.m), -EBUSY);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &o.m), 0);
	/* Handed over, not released: no barging by the unlocker. */
	CU_ASSERT_EQUAL(aring_mutex_trylock(loop, &o.m), -EBUSY);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
	CU_ASSERT_EQUAL(o.n, 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(o.seq[i], i);
	CU_ASSERT_EQUAL(aring_mutex_trylock(loop, &o.m), 0);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &o.m), 0);
	return 0;
}

static void test_mutex_fifo(void)
{
	CU_ASSERT_EQUAL(th_run(fifo_task, NULL, 0), 0);
}

static int unlock_other(aring_loop *loop, void *arg)
{
	return aring_mutex_unlock(loop, arg);
}

struct timed_lock {
	struct aring_mutex *m;
	uint64_t id;
	uint64_t timeout_ns;
};

static int lock_opt(aring_loop *loop, void *arg)
{
	struct timed_lock *tl = arg;
	struct aring_opt o = { .timeout_ns = tl->timeout_ns, .id = &tl->id };
	int ret = aring_mutex_lock(loop, tl->m, &o);

	if (ret == 0)
		aring_mutex_unlock(loop, tl->m);
	return ret;
}

static int misuse_task(aring_loop *loop, void *arg)
{
	struct aring_mutex m;
	struct timed_lock tl = { .m = &m };
	aring_task *t;
	uint64_t t0;

	(void)arg;
	aring_mutex_init(&m);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &m), -EPERM);  /* not held */
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &m, NULL), 0);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &m, NULL), -EDEADLK);
	CU_ASSERT_EQUAL(aring_mutex_trylock(loop, &m), -EBUSY);
	t = th_spawn(loop, unlock_other, &m);
	CU_ASSERT_EQUAL(th_join(loop, t), -EPERM);  /* not the owner */
	/* A lock that times out (exactly, on the sim), one cancelled by id. */
	tl.timeout_ns = 3 * MS;
	t0 = aring_now_ns(loop);
	t = th_spawn(loop, lock_opt, &tl);
	CU_ASSERT_EQUAL(th_join(loop, t), -ETIME);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 3 * MS);
	tl.timeout_ns = 0;
	t = th_spawn(loop, lock_opt, &tl);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_cancel(loop, tl.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	CU_ASSERT_PTR_NULL(m.waiters.head);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &m), 0);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, NULL, NULL), -EINVAL);
	return 0;
}

static void test_mutex_misuse_timeout_cancel(void)
{
	aring_loop *loop;
	struct aring_mutex m = { 0 };

	CU_ASSERT_EQUAL(th_run(misuse_task, NULL, 0), 0);
	/* Outside a task. */
	loop = th_loop_new(0);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &m, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_mutex_trylock(loop, &m), -EPERM);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &m), -EPERM);
	aring_loop_free(loop);
}

struct cv {
	struct aring_mutex m;
	struct aring_cond c;
	int ready;
	int woken;
	uint64_t id;
	int res;
	int held_after;
};

static int cond_waiter(aring_loop *loop, void *arg)
{
	struct cv *v = arg;
	int ret;

	aring_mutex_lock(loop, &v->m, NULL);
	while (!v->ready)
		if ((ret = aring_cond_wait(loop, &v->c, &v->m, NULL)) != 0)
			break;
	v->woken++;
	return aring_mutex_unlock(loop, &v->m);
}

static int signal_task(aring_loop *loop, void *arg)
{
	struct cv v;
	aring_task *t[3];
	int i;

	(void)arg;
	memset(&v, 0, sizeof(v));
	for (i = 0; i < 3; i++)
		t[i] = th_spawn(loop, cond_waiter, &v);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(v.woken, 0);
	aring_mutex_lock(loop, &v.m, NULL);
	v.ready = 1;
	aring_cond_signal(loop, &v.c);  /* one */
	aring_mutex_unlock(loop, &v.m);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(v.woken, 1);
	aring_cond_broadcast(loop, &v.c);  /* the rest */
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
	CU_ASSERT_EQUAL(v.woken, 3);
	/* Not holding m: -EPERM. */
	CU_ASSERT_EQUAL(aring_cond_wait(loop, &v.c, &v.m, NULL), -EPERM);
	return 0;
}

static void test_cond_signal_broadcast(void)
{
	CU_ASSERT_EQUAL(th_run(signal_task, NULL, 0), 0);
}

static int cond_timed(aring_loop *loop, void *arg)
{
	struct cv *v = arg;
	struct aring_opt o = { .timeout_ns = 2 * MS, .id = &v->id };

	if (v->ready)
		o.timeout_ns = 0;
	aring_mutex_lock(loop, &v->m, NULL);
	v->res = aring_cond_wait(loop, &v->c, &v->m, &o);
	v->held_after = v->m.owner == aring_current(loop);
	return aring_mutex_unlock(loop, &v->m);
}

/* cond_wait returns -ETIME and -ECANCELED with the mutex held again, also when it had to queue for it. */
static int relock_task(aring_loop *loop, void *arg)
{
	struct cv v;
	aring_task *t;

	(void)arg;
	memset(&v, 0, sizeof(v));
	aring_cond_init(&v.c);
	t = th_spawn(loop, cond_timed, &v);
	aring_yield(loop);
	/* Hold m while the timeout fires: the waiter must queue to relock. */
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &v.m, NULL), 0);
	aring_sleep(loop, 5 * MS);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &v.m), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(v.res, -ETIME);
	CU_ASSERT_EQUAL(v.held_after, 1);

	v.ready = 1;  /* no timeout this time: cancelled by id */
	t = th_spawn(loop, cond_timed, &v);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &v.m, NULL), 0);
	CU_ASSERT_EQUAL(aring_cancel(loop, v.id, 0, NULL), 0);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &v.m), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(v.res, -ECANCELED);
	CU_ASSERT_EQUAL(v.held_after, 1);

	/* Task cancel while queued for the relock: it still gets m back. */
	t = th_spawn(loop, cond_timed, &v);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_mutex_lock(loop, &v.m, NULL), 0);
	aring_cond_signal(loop, &v.c);
	aring_yield(loop);  /* it runs and queues on m */
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_mutex_unlock(loop, &v.m), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(v.res, 0);
	CU_ASSERT_EQUAL(v.held_after, 1);
	return 0;
}

static void test_cond_relock(void)
{
	CU_ASSERT_EQUAL(th_run(relock_task, NULL, 0), 0);
}

struct semt {
	struct aring_sem s;
	int seq[4], n;
};

static int sem_user(aring_loop *loop, void *arg)
{
	struct semt *s = arg;
	int me = s->n++;  /* arrival order */
	int ret = aring_sem_acquire(loop, &s->s, NULL);

	if (ret == 0)
		s->seq[me] = 1;
	return ret;
}

static int sem_task(aring_loop *loop, void *arg)
{
	struct semt st;
	struct aring_opt o = { .timeout_ns = MS };
	aring_task *t[3];
	int i;

	(void)arg;
	memset(&st, 0, sizeof(st));  /* value 0 */
	CU_ASSERT_EQUAL(aring_sem_try_acquire(loop, &st.s), -EAGAIN);
	CU_ASSERT_EQUAL(aring_sem_acquire(loop, &st.s, &o), -ETIME);
	aring_sem_init(&st.s, 2);
	CU_ASSERT_EQUAL(aring_sem_acquire(loop, &st.s, NULL), 0);
	CU_ASSERT_EQUAL(aring_sem_try_acquire(loop, &st.s), 0);
	CU_ASSERT_EQUAL(aring_sem_try_acquire(loop, &st.s), -EAGAIN);
	for (i = 0; i < 3; i++)
		t[i] = th_spawn(loop, sem_user, &st);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(st.n, 3);
	for (i = 0; i < 3; i++) {
		aring_sem_release(loop, &st.s);
		aring_yield(loop);
		/* FIFO: the unit went to the i-th waiter, and only to it. */
		CU_ASSERT_EQUAL(st.seq[0] + st.seq[1] + st.seq[2], i + 1);
		CU_ASSERT_EQUAL(st.seq[i], 1);
	}
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
	CU_ASSERT_EQUAL(st.s.value, 0);
	aring_sem_release(loop, &st.s);
	CU_ASSERT_EQUAL(st.s.value, 1);
	return 0;
}

static void test_sem(void)
{
	CU_ASSERT_EQUAL(th_run(sem_task, NULL, 0), 0);
}

struct wgt {
	struct aring_wg wg;
	int done;
};

static int wg_worker(aring_loop *loop, void *arg)
{
	struct wgt *w = arg;

	aring_sleep(loop, MS);
	w->done++;
	aring_wg_done(loop, &w->wg);
	return 0;
}

/* A wait group reaches zero, is raised again, reaches zero again; waits see each. */
static int wg_task(aring_loop *loop, void *arg)
{
	struct wgt w;
	struct aring_opt o = { .timeout_ns = MS / 2 };
	int round, i;

	(void)arg;
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(aring_wg_wait(loop, &w.wg, NULL), 0);  /* zero: at once */
	for (round = 1; round <= 2; round++) {
		aring_wg_add(&w.wg, 4);
		for (i = 0; i < 4; i++)
			CU_ASSERT_EQUAL(aring_spawn(loop, wg_worker, &w, NULL), 0);
		CU_ASSERT_EQUAL(aring_wg_wait(loop, &w.wg, &o), -ETIME);
		CU_ASSERT_EQUAL(aring_wg_wait(loop, &w.wg, NULL), 0);
		CU_ASSERT_EQUAL(w.done, 4 * round);
		CU_ASSERT_EQUAL(w.wg.count, 0);
	}
	return 0;
}

static void test_wg_twice(void)
{
	CU_ASSERT_EQUAL(th_run(wg_task, NULL, 0), 0);
}

static void wg_negative_child(void *arg)
{
	struct aring_wg wg;

	(void)arg;
	aring_wg_init(&wg);
	aring_wg_add(&wg, 1);
	aring_wg_done(NULL, &wg);
	aring_wg_done(NULL, &wg);  /* below zero */
}

static void test_wg_negative_aborts(void)
{
	th_expect_abort(wg_negative_child, NULL, "aring_wg_add: the counter went below zero");
}

static int lock_forever(aring_loop *loop, void *arg)
{
	return aring_mutex_lock(loop, arg, NULL);
}

static int hold_and_return(aring_loop *loop, void *arg)
{
	return aring_mutex_lock(loop, arg, NULL);  /* returns holding it */
}

/* A task waiting on a mutex whose owner returned holding it: aring_run gives -EDEADLK. */
static void test_deadlock_detected(void)
{
	aring_loop *loop = th_loop_new(0);
	struct aring_mutex m = { 0 };
	aring_task *t;

	CU_ASSERT_EQUAL(aring_spawn(loop, hold_and_return, &m, NULL), 0);
	CU_ASSERT_EQUAL(aring_spawn(loop, lock_forever, &m, &t), 0);
	CU_ASSERT_EQUAL(aring_run(loop), -EDEADLK);
	CU_ASSERT_PTR_NOT_NULL(m.owner);  /* still held by the task that returned */
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "mutex is handed over in FIFO order", test_mutex_fifo },
	{ "mutex: -EPERM, -EDEADLK, -EBUSY, timeout, cancel by id", test_mutex_misuse_timeout_cancel },
	{ "cond: signal wakes one, broadcast the rest", test_cond_signal_broadcast },
	{ "cond_wait relocks on -ETIME, -ECANCELED and a task cancel", test_cond_relock },
	{ "semaphore: counts, FIFO, timeout", test_sem },
	{ "wait group reaches zero twice", test_wg_twice },
	{ "wait group below zero aborts naming the misuse", test_wg_negative_aborts },
	{ "waiting on a mutex held by a returned task: -EDEADLK", test_deadlock_detected },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sync", tests, TH_BOTH);
}
