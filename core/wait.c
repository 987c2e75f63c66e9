/* SPDX-License-Identifier: MIT */
/*
 * Waits: what channels, locks, conditions, semaphores, wait groups, groups,
 * joins and (on the sim) signals share.
 *
 * A waiting task puts a record (struct aring__waiter) on its own stack and
 * links it at the tail of the object's queue (struct aring__waitq), so
 * nothing is allocated and waiters are served in FIFO order. Whoever ends a
 * wait (a sender, an unlock, a close, a timeout, a cancel) unlinks the
 * record, stores the result in it and makes the task ready: the waiter
 * never has to look at the object again, and the record is not touched
 * once the task runs.
 *
 * A wait's timeout is a deadline in the loop's heap (core/timer.c): the
 * record is in the waiter, nothing goes to the ring for it, and when the
 * deadline passes the loop ends the wait with -ETIME. The loop's one kernel
 * timeout for the earliest deadline is what moves the sim's virtual clock.
 *
 * A wait without a timeout submits nothing; a call that needs no wait never
 * gets here.
 */
#include "config.h"
#include <errno.h>

#include "core/internal.h"

static void waitq_push(struct aring__waitq *q, struct aring__waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	w->q = q;
}

static void waitq_remove(struct aring__waiter *w)
{
	struct aring__waitq *q = w->q;

	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->q = NULL;
}

/*
 * Wake a waiter. One that a running task wakes (a send to a waiting
 * receiver, an unlock) joins the batch that is running rather than the
 * next one, as Go's runnext does: a channel ping-pong then costs a switch
 * per hop, not a switch and a pass through the completion queue. At most
 * MAX_HANDOFFS per batch, so tasks handing work back and forth still let
 * the loop submit and reap between batches. Wakes from completions
 * (timeouts) or callbacks while the loop polls go to the next batch.
 */
#define MAX_HANDOFFS 64u

void aring__wait_end(aring_loop *loop, struct aring__waiter *w, int res)
{
	aring_task *t = w->task;

	/* The waiter's own loop, whatever loop the caller passed. */
	loop = t->loop;
	assert(w->res == ARING__WAIT_PENDING);
	if (w->q)
		waitq_remove(w);
	w->res = res;
	if (t->state != ARING__TASK_BLOCKED)
		return;
	t->state = ARING__TASK_READY;
	if (loop->current && loop->current->state == ARING__TASK_RUNNING &&
	    loop->batch_handoffs < MAX_HANDOFFS) {
		loop->batch_handoffs++;
		aring__taskq_push(&loop->batch, t);
	} else {
		aring__taskq_push(&loop->ready, t);
	}
}

void aring__wait_end_all(aring_loop *loop, struct aring__waitq *q, int res)
{
	struct aring__waiter *w;

	while ((w = q->head))
		aring__wait_end(loop, w, res);
}

static int wait_on(aring_loop *loop, struct aring__waitq *q, struct aring__waiter *w,
		const struct aring_opt *opt, bool nocancel)
{
	aring_task *self = loop->current;
	int ret;

	w->nocancel = nocancel;
	w->task = self;
	w->res = ARING__WAIT_PENDING;
	w->id = 0;
	if (opt && opt->id) {
		ret = aring__id_reserve(loop);
		if (ret < 0)
			return ret;
		aring__id_add_wait(loop, w);
		*opt->id = w->id;
	}
	waitq_push(q, w);
	self->wait = w;
	w->tm.where = ARING__TIMER_OUT;
	if (opt && opt->timeout_ns)
		aring__timer_add(loop, &w->tm, opt->timeout_ns, ARING__TIMER_WAIT);
	while (w->res == ARING__WAIT_PENDING) {
		self->cur_op = NULL;
		aring__task_suspend(loop);
	}
	self->wait = NULL;
	aring__timer_del(loop, &w->tm);
	if (w->id)
		aring__id_del_wait(loop, w);
	if (opt && opt->cqe_flags)
		*opt->cqe_flags = 0;
	return w->res;
}

int aring__wait(aring_loop *loop, struct aring__waitq *q, struct aring__waiter *w,
		const struct aring_opt *opt)
{
	return wait_on(loop, q, w, opt, false);
}

int aring__wait_nocancel(aring_loop *loop, struct aring__waitq *q, struct aring__waiter *w)
{
	return wait_on(loop, q, w, NULL, true);
}
