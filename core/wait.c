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
 * Timeouts are ring timeouts, so the sim's virtual clock drives them: the
 * task submits an IORING_OP_TIMEOUT whose user_data is the task's own
 * address (the struct sits at the top of its stack, 64-aligned) tagged
 * ARING__TAG_WAIT, with a 4-bit generation in bits 2..5. A wait that ends
 * before its timeout removes it (IORING_OP_TIMEOUT_REMOVE, its CQE ignored)
 * and returns at once; the removed timeout's CQE (-ECANCELED, or -ETIME if
 * it fired meanwhile) comes later and, its generation or timer_armed no
 * longer matching, only counts down timer_out. A task keeps at most 15
 * timeouts in flight, so generations never collide, and does not exit
 * before their CQEs came (its stack, with timer_ts, would be reused).
 *
 * A wait without a timeout submits nothing; a call that needs no wait never
 * gets here.
 */
#include "config.h"
#include <errno.h>

#include "core/internal.h"

#define GEN_SHIFT 2
#define GEN_MASK 15u
/* In flight at once per task, so that 16 generations never collide. */
#define MAX_TIMERS 15u

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

static uint64_t timer_ud(aring_task *t, unsigned gen)
{
	return ARING_UD_TAG | (uint64_t)(uintptr_t)t | ((uint64_t)gen << GEN_SHIFT) |
	       ARING__TAG_WAIT;
}

/*
 * Suspend until fewer than `max` timeouts are in flight, or the wait the
 * task is in (if any) ended.
 */
static void timers_wait_below(aring_loop *loop, aring_task *t, uint32_t max)
{
	t->timer_drain = true;
	while (t->timer_out >= max && (!t->wait || t->wait->res == ARING__WAIT_PENDING)) {
		t->cur_op = NULL;
		aring__task_suspend(loop);
	}
	t->timer_drain = false;
}

void aring__wait_timers_drain(aring_loop *loop, aring_task *t)
{
	timers_wait_below(loop, t, 1);
}

/* Submit the wait's timeout: 0 or -errno (nothing armed). */
static int timer_arm(aring_loop *loop, aring_task *t, uint64_t ns)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (t->timer_out >= MAX_TIMERS) {
		timers_wait_below(loop, t, MAX_TIMERS);
		if (t->wait->res != ARING__WAIT_PENDING)
			return 0;  /* ended meanwhile: no timeout needed */
	}
	ret = aring__sq_room(loop, 1);
	if (ret < 0)
		return ret;
	sqe = aring__get_sqe(loop);
	t->timer_ts.tv_sec = (long long)(ns / 1000000000u);
	t->timer_ts.tv_nsec = (long long)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, &t->timer_ts, 0, 0);
	t->timer_gen = (uint8_t)((t->timer_gen + 1) & GEN_MASK);
	sqe->user_data = timer_ud(t, t->timer_gen);
	t->timer_armed = true;
	t->timer_out++;
	loop->inflight++;
	return 0;
}

/* The wait ended first: remove its timeout (the removal's own CQE is ignored). */
static void timer_disarm(aring_loop *loop, aring_task *t)
{
	struct io_uring_sqe *sqe;

	t->timer_armed = false;
	if (aring__sq_room(loop, 1) < 0)
		return;  /* the timeout then fires in its time, and is ignored */
	sqe = aring__get_sqe(loop);
	io_uring_prep_timeout_remove(sqe, timer_ud(t, t->timer_gen), 0);
	sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
}

void aring__wait_timer_cqe(aring_loop *loop, uint64_t ud, int res)
{
	aring_task *t = (aring_task *)(uintptr_t)(ud & ARING__UD_PTR_MASK & ~(uint64_t)63);
	unsigned gen = (unsigned)(ud >> GEN_SHIFT) & GEN_MASK;

	loop->inflight--;
	assert(t->timer_out > 0);
	t->timer_out--;
	if (t->timer_armed && gen == t->timer_gen) {
		t->timer_armed = false;
		/* -ETIME: the time passed. Anything else (a removal by the ring's
		 * teardown, an injected fault) ends the wait as well. */
		if (t->wait && t->wait->res == ARING__WAIT_PENDING)
			aring__wait_end(loop, t->wait, res < 0 ? res : -ETIME);
	}
	if (t->timer_drain)
		aring__task_wake(loop, t);  /* it looks again (timers_wait_below) */
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
	/* Queued first: making room in the SQ may reap CQEs whose callbacks
	 * (multishot) end this wait, which then must not be missed. */
	if (opt && opt->timeout_ns && (ret = timer_arm(loop, self, opt->timeout_ns)) < 0) {
		if (w->res == ARING__WAIT_PENDING) {
			waitq_remove(w);
			w->res = ret;
		}
	}
	while (w->res == ARING__WAIT_PENDING) {
		self->cur_op = NULL;
		aring__task_suspend(loop);
	}
	self->wait = NULL;
	if (self->timer_armed)
		timer_disarm(loop, self);
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
