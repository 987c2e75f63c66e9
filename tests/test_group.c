/* SPDX-License-Identifier: MIT */
/*
 * Groups: wait for every task, a task spawning into its own group, cancel
 * a group of 10,000 tasks blocked in sleeps (ring ops: more cancel SQEs
 * than the SQ holds) and channel receives, wait timeouts and cancels,
 * misuse (-EDEADLK, -ECANCELED, freeing a group with live tasks aborts).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)
#define NTASKS 10000

struct gw {
	aring_group *g;
	aring_chan *ch;
	int returned;
	int cancelled_res;
	int depth;
	int wait_self;
};

static int short_job(aring_loop *loop, void *arg)
{
	struct gw *w = arg;

	aring_sleep(loop, MS);
	w->returned++;
	return 0;
}

/* Spawns the next generation into its own group, three deep. */
static int spawner(aring_loop *loop, void *arg)
{
	struct gw *w = arg;

	w->wait_self = aring_group_wait(loop, w->g, NULL);
	if (w->depth++ < 3)
		CU_ASSERT_EQUAL(aring_group_spawn(w->g, spawner, w), 0);
	aring_yield(loop);
	w->returned++;
	return 0;
}

static int wait_task(aring_loop *loop, void *arg)
{
	struct gw w;
	struct aring_opt o = { .timeout_ns = MS / 2 };
	int i;

	(void)arg;
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(aring_group_new(loop, &w.g), 0);
	CU_ASSERT_EQUAL(aring_group_wait(loop, w.g, NULL), 0);  /* empty: at once */
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(aring_group_spawn(w.g, short_job, &w), 0);
	CU_ASSERT_EQUAL(aring_group_wait(loop, w.g, &o), -ETIME);
	CU_ASSERT_EQUAL(aring_group_wait(loop, w.g, NULL), 0);
	CU_ASSERT_EQUAL(w.returned, 5);
	/* Reused after it emptied; a task spawning into its own group. */
	w.returned = 0;
	CU_ASSERT_EQUAL(aring_group_spawn(w.g, spawner, &w), 0);
	CU_ASSERT_EQUAL(aring_group_wait(loop, w.g, NULL), 0);
	CU_ASSERT_EQUAL(w.returned, 4);
	CU_ASSERT_EQUAL(w.wait_self, -EDEADLK);
	CU_ASSERT_EQUAL(aring_group_spawn(w.g, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_group_wait(loop, NULL, NULL), -EINVAL);
	aring_group_free(w.g);
	aring_group_free(NULL);
	return 0;
}

static void test_wait(void)
{
	CU_ASSERT_EQUAL(th_run(wait_task, NULL, 0), 0);
}

static int blocked_member(aring_loop *loop, void *arg)
{
	struct gw *w = arg;
	int v, ret;

	if (w->returned++ % 2)
		ret = aring_sleep(loop, 3600000 * MS);
	else
		ret = aring_chan_recv(loop, w->ch, &v, NULL);
	if (ret == -ECANCELED)
		w->cancelled_res++;
	return ret;
}

/* 10,000 tasks, half in a sleep (a ring op each), half in a channel receive. */
static int many_task(aring_loop *loop, void *arg)
{
	struct gw w;
	uint64_t t0;
	int i;

	(void)arg;
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(aring_group_new(loop, &w.g), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &w.ch), 0);
	for (i = 0; i < NTASKS; i++)
		CU_ASSERT_EQUAL_FATAL(aring_group_spawn(w.g, blocked_member, &w), 0);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(w.returned, NTASKS);  /* all started */
	t0 = aring_now_ns(loop);
	aring_group_cancel(loop, w.g);
	CU_ASSERT_EQUAL(aring_group_spawn(w.g, blocked_member, &w), -ECANCELED);
	CU_ASSERT_EQUAL(aring_group_wait(loop, w.g, NULL), 0);
	CU_ASSERT_EQUAL(w.cancelled_res, NTASKS);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop), t0);  /* no time passed */
	aring_group_cancel(loop, w.g);  /* empty: nothing */
	aring_group_free(w.g);
	aring_chan_free(w.ch);
	return 0;
}

static void test_cancel_10000(void)
{
	CU_ASSERT_EQUAL(th_run(many_task, NULL, 0), 0);
}

struct waiter_arg {
	aring_group *g;
	uint64_t id;
};

static int group_waiter(aring_loop *loop, void *arg)
{
	struct waiter_arg *a = arg;
	struct aring_opt o = { .id = &a->id };

	return aring_group_wait(loop, a->g, &o);
}

static int sleeper(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_sleep(loop, 3600000 * MS);
}

/* A group_wait cancelled (by id, and by a task cancel) gives -ECANCELED; the group is untouched. */
static int cancel_wait_task(aring_loop *loop, void *arg)
{
	struct waiter_arg a = { 0 };
	aring_task *t;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_group_new(loop, &a.g), 0);
	CU_ASSERT_EQUAL(aring_group_spawn(a.g, sleeper, NULL), 0);
	t = th_spawn(loop, group_waiter, &a);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_cancel(loop, a.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	t = th_spawn(loop, group_waiter, &a);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), -ECANCELED);
	aring_group_cancel(loop, a.g);
	CU_ASSERT_EQUAL(aring_group_wait(loop, a.g, NULL), 0);
	aring_group_free(a.g);
	return 0;
}

static void test_cancel_wait(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_wait_task, NULL, 0), 0);
}

static int free_live_group(aring_loop *loop, void *arg)
{
	aring_group *g;

	(void)arg;
	if (aring_group_new(loop, &g) < 0 || aring_group_spawn(g, sleeper, NULL) < 0)
		return -1;
	aring_yield(loop);
	aring_group_free(g);
	return 0;
}

static void free_live_child(void *arg)
{
	struct aring_loop_opts o = { .backend = th_cfg->backend };
	aring_loop *loop;

	(void)arg;
	if (aring_loop_new(&loop, &o) < 0)
		_exit(3);
	aring_spawn(loop, free_live_group, NULL, NULL);
	aring_run(loop);
}

static void test_free_live_aborts(void)
{
	th_expect_abort(free_live_child, NULL, "aring_group_free: the group still has running tasks");
}

static CU_TestInfo tests[] = {
	{ "group_wait: at once, -ETIME, 0; spawn into its own group", test_wait },
	{ "cancel a group of 10,000 tasks", test_cancel_10000 },
	{ "a cancelled group_wait", test_cancel_wait },
	{ "free with live tasks aborts naming the misuse", test_free_live_aborts },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "group", tests, TH_BOTH);
}
