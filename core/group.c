/* SPDX-License-Identifier: MIT */
/*
 * Groups: a list of detached tasks that can be cancelled and waited for
 * together (libdill bundles, Seastar gates). How a server shuts down:
 * cancel the group of its acceptor and connection tasks, wait, free.
 *
 * Each task of a group is on the group's doubly linked list (task->gprev,
 * gnext) from its spawn to its return, so a cancel visits only live tasks
 * and a return unlinks in O(1).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct aring_group {
	aring_loop *loop;
	aring_task *tasks;            /* live tasks */
	uint64_t nlive;
	bool cancelled;
	struct aring__waitq waiters;  /* aring_group_wait */
};

ARING_API int aring_group_new(aring_loop *loop, aring_group **out)
{
	aring_group *g;

	if (!loop || !out)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->loop = loop;
	*out = g;
	return 0;
}

ARING_API int aring_group_spawn(aring_group *g, aring_fn fn, void *arg)
{
	aring_task *t;
	int ret;

	if (!g || !fn)
		return -EINVAL;
	if (g->cancelled)
		return -ECANCELED;
	ret = aring__spawn(g->loop, fn, arg, 0, true, &t);
	if (ret < 0)
		return ret;
	t->group = g;
	t->gprev = NULL;
	t->gnext = g->tasks;
	if (g->tasks)
		g->tasks->gprev = t;
	g->tasks = t;
	g->nlive++;
	return 0;
}

void aring__group_task_done(aring_loop *loop, aring_task *t)
{
	aring_group *g = t->group;

	if (t->gprev)
		t->gprev->gnext = t->gnext;
	else
		g->tasks = t->gnext;
	if (t->gnext)
		t->gnext->gprev = t->gprev;
	t->group = NULL;
	if (--g->nlive == 0)
		aring__wait_end_all(loop, &g->waiters, 0);
}

ARING_API void aring_group_cancel(aring_loop *loop, aring_group *g)
{
	aring_task *t;

	if (!loop || !g)
		return;
	g->cancelled = true;
	for (t = g->tasks; t; t = t->gnext)
		aring__task_cancel(loop, t);
}

ARING_API int aring_group_wait(aring_loop *loop, aring_group *g, const struct aring_opt *opt)
{
	struct aring__waiter w;
	int ret;

	if (!g || g->loop != loop)
		return -EINVAL;
	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;
	if (loop->current->group == g)
		return -EDEADLK;  /* it would wait for itself */
	if (g->nlive == 0)
		return 0;
	return aring__wait(loop, &g->waiters, &w, opt);
}

ARING_API void aring_group_free(aring_group *g)
{
	if (!g)
		return;
	if (g->nlive || g->waiters.head) {
		fprintf(stderr, "aring_group_free: the group still has running tasks\n");
		abort();
	}
	free(g);
}
