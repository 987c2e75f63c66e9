/* SPDX-License-Identifier: MIT */
/*
 * A signal interrupting the wait for completions (io_uring_enter gives
 * -EINTR) is retried, never seen by a task.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

static int sleep_task(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_sleep(loop, 50 * MS);
}

/* A 1 ms interval timer without SA_RESTART interrupts every wait of a 50 ms sleep. */
static void test_eintr_retried(void)
{
	struct itimerval on = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	CU_ASSERT_FATAL(sigaction(SIGALRM, &sa, &old) == 0);
	ticks = 0;
	CU_ASSERT_FATAL(setitimer(ITIMER_REAL, &on, NULL) == 0);
	ret = th_run(sleep_task, NULL, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CU_ASSERT_EQUAL(ret, 0);
	/* The signals did arrive while the loop waited (else this proves nothing). */
	CU_ASSERT(ticks > 5);
}

static CU_TestInfo tests[] = {
	{ "-EINTR while waiting is retried", test_eintr_retried },
	CU_TEST_INFO_NULL,
};

/* The real ring only: the sim never blocks in a system call (virtual time). */
int main(int argc, char **argv)
{
	return th_main(argc, argv, "signals", tests, TH_URING | TH_EPOLL);
}
