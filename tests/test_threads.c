/* SPDX-License-Identifier: MIT */
/*
 * Loops in several threads at once, each with its own tasks, stacks and
 * ring (or simulated world), do not disturb each other.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)
#define THREADS 4
#define TASKS 200

struct thread_run {
	const struct th_config *cfg;
	int run, sum;
};

static int counter_task(aring_loop *loop, void *arg)
{
	int *sum = arg, i;

	for (i = 0; i < 10; i++) {
		if (aring_nop(loop, NULL) != 0 || aring_sleep(loop, MS / 10) != 0)
			return -1;
		aring_yield(loop);
	}
	(*sum)++;
	return 0;
}

static void *thread_main(void *arg)
{
	struct thread_run *r = arg;
	struct aring_sim_opts sim = { .seed = r->cfg->seed };
	struct aring_loop_opts o = { .backend = r->cfg->backend, .sim = &sim };
	aring_loop *loop;
	int i;

	r->run = aring_loop_new(&loop, &o);
	if (r->run < 0)
		return NULL;
	for (i = 0; i < TASKS; i++)
		aring_spawn(loop, counter_task, &r->sum, NULL);
	r->run = aring_run(loop);
	aring_loop_free(loop);
	return NULL;
}

/* CUnit is not thread-safe: the threads report, the main thread asserts. */
static void test_loops_in_threads(void)
{
	struct thread_run runs[THREADS];
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		runs[i] = (struct thread_run){ .cfg = th_cfg, .run = -1 };
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, thread_main, &runs[i]) == 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(runs[i].run, 0);
		CU_ASSERT_EQUAL(runs[i].sum, TASKS);
	}
}

/*
 * A loop waits in the kernel for a completion that only another thread can
 * cause: a plain thread writes the pipe the loop reads, and a second loop's
 * task writes the pipe the first loop's second read waits on. Under Valgrind
 * this hung while the uring backend waited in io_uring_enter(2) (see
 * uring_wait_valgrind in backends/uring.c); .ci/run runs this file under
 * Valgrind. Run on a ring with the default setup flags and on one with
 * IORING_SETUP_DEFER_TASKRUN (whose completions wait on the ring, not on the
 * thread). The sim never waits in the kernel: uring only.
 */
struct cross {
	int plain[2], loops[2];  /* pipes: plain thread -> loop A, loop B -> loop A */
	int got, wrote;
};

static void *plain_writer(void *arg)
{
	struct cross *x = arg;

	usleep(20 * 1000);  /* let loop A reach its wait first (not asserted on) */
	return write(x->plain[1], "p", 1) == 1 ? NULL : arg;
}

static int reader_task(aring_loop *loop, void *arg)
{
	struct cross *x = arg;
	char c[2];
	int r1 = aring_read(loop, x->plain[0], &c[0], 1, (uint64_t)-1, NULL);
	int r2 = aring_read(loop, x->loops[0], &c[1], 1, (uint64_t)-1, NULL);

	x->got = (r1 == 1 && c[0] == 'p') + (r2 == 1 && c[1] == 'l');
	return 0;
}

static int loop_writer_task(aring_loop *loop, void *arg)
{
	struct cross *x = arg;

	if (aring_sleep(loop, 40 * MS) != 0)
		return -1;
	x->wrote = aring_write(loop, x->loops[1], "l", 1, (uint64_t)-1, NULL);
	return 0;
}

/* Loop B, on its own thread: no CUnit here (see above). */
static void *loop_b_main(void *arg)
{
	struct cross *x = arg;
	aring_loop *loop;
	aring_task *t;
	int result = -1;

	if (aring_loop_new(&loop, NULL) < 0)
		return NULL;
	if (aring_spawn(loop, loop_writer_task, x, &t) == 0 && aring_join(loop, t, &result) == 0 &&
	    result != 0)
		x->wrote = -1;
	aring_loop_free(loop);
	return NULL;
}

static void wait_for_other_thread(unsigned setup_flags)
{
	struct aring_loop_opts o = { .setup_flags = setup_flags };
	struct cross x = { .wrote = -1 };
	pthread_t plain, loop_b;
	aring_loop *loop;

	CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
	CU_ASSERT_FATAL(pipe(x.plain) == 0 && pipe(x.loops) == 0);
	CU_ASSERT_FATAL(pthread_create(&plain, NULL, plain_writer, &x) == 0);
	CU_ASSERT_FATAL(pthread_create(&loop_b, NULL, loop_b_main, &x) == 0);
	CU_ASSERT_EQUAL(th_run_on(loop, reader_task, &x), 0);
	CU_ASSERT_EQUAL(pthread_join(plain, NULL), 0);
	CU_ASSERT_EQUAL(pthread_join(loop_b, NULL), 0);
	CU_ASSERT_EQUAL(x.got, 2);
	CU_ASSERT_EQUAL(x.wrote, 1);
	aring_loop_free(loop);
	close(x.plain[0]), close(x.plain[1]), close(x.loops[0]), close(x.loops[1]);
}

static void test_wait_for_other_thread(void)
{
	if (th_is_sim())
		return;
	wait_for_other_thread(0);
	wait_for_other_thread(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
}

static CU_TestInfo tests[] = {
	{ "a loop per thread, four at once", test_loops_in_threads },
	{ "a loop waits for a plain thread and for another loop", test_wait_for_other_thread },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "threads", tests, TH_BOTH);
}
