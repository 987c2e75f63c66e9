/* SPDX-License-Identifier: MIT */
/*
 * aring_signal_wait: real signals on uring (raise(), which is directed at
 * this thread, and kill() of the own pid, directed at the process), each
 * blocked first; signals raised on the sim with aring_sim_signal; a signal
 * already pending; timeout and cancel; bad sets.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)

static void sig_set(sigset_t *set, int a, int b)
{
	sigemptyset(set);
	sigaddset(set, a);
	if (b)
		sigaddset(set, b);
}

/* Send sig the way the backend gets signals: raise/kill on uring, aring_sim_signal on the sim. */
static void send_sig(aring_loop *loop, int sig, int by_kill)
{
	int ret;

	if (th_is_sim())
		ret = aring_sim_signal(loop, sig);
	else
		ret = by_kill ? kill(getpid(), sig) : raise(sig);
	CU_ASSERT_EQUAL(ret, 0);
}

struct sw {
	sigset_t set;
	int res;
	uint64_t id;
	struct aring_opt o;
};

static int waiter(aring_loop *loop, void *arg)
{
	struct sw *w = arg;

	w->res = aring_signal_wait(loop, &w->set, &w->o);
	return w->res;
}

static int basic_task(aring_loop *loop, void *arg)
{
	struct sw w;
	aring_task *t;
	int by_kill;

	(void)arg;
	memset(&w, 0, sizeof(w));
	sig_set(&w.set, SIGUSR1, SIGUSR2);
	/* Block them first: a raise before the first wait must not kill us. */
	CU_ASSERT_EQUAL(pthread_sigmask(SIG_BLOCK, &w.set, NULL), 0);
	for (by_kill = 0; by_kill <= 1; by_kill++) {
		w.res = 0;
		t = th_spawn(loop, waiter, &w);
		aring_sleep(loop, MS);
		CU_ASSERT_EQUAL(w.res, 0);  /* still waiting */
		send_sig(loop, by_kill ? SIGUSR2 : SIGUSR1, by_kill);
		CU_ASSERT_EQUAL(th_join(loop, t), by_kill ? SIGUSR2 : SIGUSR1);
	}
	/* Already pending when the wait starts: taken at once. */
	send_sig(loop, SIGUSR2, 0);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &w.set, NULL), SIGUSR2);
	return 0;
}

static void test_basic(void)
{
	CU_ASSERT_EQUAL(th_run(basic_task, NULL, 0), 0);
}

static int timeout_cancel_task(aring_loop *loop, void *arg)
{
	struct sw w;
	aring_task *t;
	uint64_t t0;
	sigset_t none;

	(void)arg;
	memset(&w, 0, sizeof(w));
	sig_set(&w.set, SIGUSR1, 0);
	CU_ASSERT_EQUAL(pthread_sigmask(SIG_BLOCK, &w.set, NULL), 0);
	w.o.timeout_ns = 2 * MS;
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &w.set, &w.o), -ETIME);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 2 * MS);
	w.o.timeout_ns = 0;
	w.o.id = &w.id;
	t = th_spawn(loop, waiter, &w);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_cancel(loop, w.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	t = th_spawn(loop, waiter, &w);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	/* Bad sets. */
	sigemptyset(&none);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, NULL, NULL), -EFAULT);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &none, NULL), -EINVAL);
	sigaddset(&none, SIGKILL);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &none, NULL), -EINVAL);
	return 0;
}

static void test_timeout_cancel(void)
{
	aring_loop *loop;
	sigset_t set;

	CU_ASSERT_EQUAL(th_run(timeout_cancel_task, NULL, 0), 0);
	loop = th_loop_new(0);
	sig_set(&set, SIGUSR1, 0);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &set, NULL), -EPERM);
	if (th_is_sim()) {
		CU_ASSERT_EQUAL(aring_sim_signal(loop, 0), -EINVAL);
		CU_ASSERT_EQUAL(aring_sim_signal(loop, SIGKILL), -EINVAL);
		CU_ASSERT_EQUAL(aring_sim_signal(loop, 65), -EINVAL);
	} else {
		CU_ASSERT_EQUAL(aring_sim_signal(loop, SIGUSR1), -EINVAL);  /* not a sim loop */
	}
	aring_loop_free(loop);
}

/* Sim: two waiters with overlapping sets are served in FIFO order; a signal nobody waits for stays pending. */
static int fifo_task(aring_loop *loop, void *arg)
{
	struct sw a, b;
	aring_task *ta, *tb;

	(void)arg;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	sig_set(&a.set, SIGUSR1, SIGTERM);
	sig_set(&b.set, SIGUSR1, SIGINT);
	ta = th_spawn(loop, waiter, &a);
	tb = th_spawn(loop, waiter, &b);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_sim_signal(loop, SIGHUP), 0);  /* nobody's: pending */
	CU_ASSERT_EQUAL(aring_sim_signal(loop, SIGINT), 0);  /* b only */
	CU_ASSERT_EQUAL(aring_sim_signal(loop, SIGUSR1), 0); /* a: first in line */
	CU_ASSERT_EQUAL(th_join(loop, ta), SIGUSR1);
	CU_ASSERT_EQUAL(th_join(loop, tb), SIGINT);
	sig_set(&a.set, SIGHUP, 0);
	CU_ASSERT_EQUAL(aring_signal_wait(loop, &a.set, NULL), SIGHUP);
	return 0;
}

static void test_sim_fifo(void)
{
	if (!th_is_sim())
		return;  /* the kernel's order is its own (signalfd) */
	CU_ASSERT_EQUAL(th_run(fifo_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "a raised / killed signal ends the wait; pending before the wait", test_basic },
	{ "timeout, cancel by id and by task cancel, bad sets", test_timeout_cancel },
	{ "sim: waiters served in FIFO order, pending signals", test_sim_fifo },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "signal_wait", tests, TH_BOTH);
}
