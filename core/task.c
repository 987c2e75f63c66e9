/* SPDX-License-Identifier: MIT */
/*
 * Tasks and the scheduler.
 *
 * Runnable tasks run in batches: the scheduler takes everything that became
 * ready (the "ready" queue) as the next batch, submits the SQEs queued so far
 * and reaps completions without waiting, then runs the batch. A task that
 * suspends switches straight to the next task of the batch; only when the
 * batch is empty does control go back to the scheduler, which submits and,
 * if nothing is ready, waits for completions. So a round of N tasks costs
 * N + 1 context switches and one io_uring_enter, and tasks that keep
 * yielding cannot starve I/O.
 *
 * The task's struct lives at the top of its own stack: a spawn allocates
 * nothing beyond the (pooled) stack.
 */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "core/internal.h"
#include "core/context.h"

/*
 * Give a finished task's stack back. The task struct sits at the top of that
 * stack, which stays mapped (the pool keeps every stack until the loop is
 * freed) and whose free-list link lies above the struct's state: a stale
 * handle reads ARING__TASK_FREED until a new spawn reuses the stack, so a
 * second join gets -ESRCH instead of putting the stack on the free list
 * twice (two tasks would then share it).
 */
static void task_free(aring_loop *loop, aring_task *t)
{
	assert(t->state == ARING__TASK_DONE);
	t->state = ARING__TASK_FREED;
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		loop->tasks = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	aring__ctx_unregister_stack(&t->ctx);
	aring__stack_put(loop->stacks, t->stack_top, t->stack_size, t->pooled_stack);
}

_Static_assert(offsetof(struct aring_task, state) + 1 + sizeof(void *) <= sizeof(struct aring_task),
	       "the pool's free-list link (the top 8 bytes of a stack) never covers the state");

static void reap_zombie(aring_loop *loop)
{
	aring_task *z = loop->zombie;

	if (z) {
		loop->zombie = NULL;
		task_free(loop, z);
	}
}

/*
 * The next task to run, when the batch is empty: the running task does the
 * scheduler's work itself (submit, reap, wait if nothing is ready) and takes
 * the next batch, so that a busy loop never hops through the scheduler's
 * context. NULL sends it to the scheduler: nothing can run and nothing is in
 * flight (every task done, or a deadlock), the backend failed, or aring_join
 * from outside a task is waiting and must look after each batch.
 */
static aring_task *next_batch(aring_loop *loop)
{
	aring_task *next;

	if (loop->outside_join)
		return NULL;
	do {
		bool idle = !loop->ready.head;

		if (idle && loop->inflight == 0 && !loop->timers.count && !aring__remote_wait(loop))
			return NULL;
		if (aring__loop_poll(loop, idle) < 0)
			return NULL;
		loop->batch = loop->ready;
		loop->ready.head = loop->ready.tail = NULL;
		loop->batch_handoffs = 0;
		if (ARING_UNLIKELY(loop->shuffle != NULL))
			loop->shuffle(loop, &loop->batch);
		next = aring__taskq_pop(&loop->batch);
	} while (!next);
	return next;
}

/* Leave the running task for the next of the batch, or the scheduler. */
static void switch_next(aring_loop *loop, aring_task *self, bool exiting)
{
	aring_task *next = aring__taskq_pop(&loop->batch);
	struct aring__ctx *to;

	if (!next)
		next = next_batch(loop);
	loop->current = next;
	if (next) {
		next->state = ARING__TASK_RUNNING;
		if (next == self)
			return;  /* woken (or yielded) and first in line: no switch */
		to = &next->ctx;
	} else {
		to = &loop->sched;
	}
	if (exiting)
		aring__ctx_exit(&self->ctx, to);
	aring__ctx_switch(&self->ctx, to);
	reap_zombie(loop);
}

/*
 * Take t off loop->cancelq. A task on it was blocked in an op, and is
 * normally taken off by the flush before it can run; but a flush that ran
 * out of SQ room leaves the rest queued while the op may complete.
 */
static void cancelq_remove(aring_loop *loop, aring_task *t)
{
	aring_task **p = &loop->cancelq_head, *prev = NULL;

	while (*p != t) {
		prev = *p;
		p = &(*p)->cancel_next;
	}
	*p = t->cancel_next;
	if (loop->cancelq_tail == t)
		loop->cancelq_tail = prev;
	t->cancel_queued = false;
}

static void task_main(void *arg)
{
	aring_task *t = arg;
	aring_loop *loop = t->loop;

	reap_zombie(loop);
	t->result = t->fn(loop, t->arg);

	if (ARING_UNLIKELY(t->cancel_queued))
		cancelq_remove(loop, t);  /* its stack is about to be reused */
	t->state = ARING__TASK_DONE;
	loop->nlive--;
	if (t->joinq.head)
		aring__wait_end(loop, t->joinq.head, 0);
	if (t->group)
		aring__group_task_done(loop, t);
	if (t->detached) {
		/* Freed by the next context to run, once we are off this stack. */
		assert(!loop->zombie);
		loop->zombie = t;
	}
	switch_next(loop, t, true);
}

void aring__task_suspend(aring_loop *loop)
{
	aring_task *self = loop->current;

	self->state = ARING__TASK_BLOCKED;
	switch_next(loop, self, false);
}

int aring__spawn(aring_loop *loop, aring_fn fn, void *arg, size_t stack_size, bool detached,
		 aring_task **out)
{
	size_t usable = 0;
	bool pooled = false;
	char *top;
	aring_task *t;

	if (!loop || !fn)
		return -EINVAL;
	if (stack_size && (stack_size < 16 * 1024 || stack_size > ARING_MAX_STACK_SIZE))
		return -EINVAL;
	top = aring__stack_get(loop->stacks, stack_size, &usable, &pooled);
	if (!top)
		return -ENOMEM;
	/* Ops live on this stack; their addresses must fit user_data (internal.h). */
	assert(((uintptr_t)top - 1) >> ARING_UD_TAG_SHIFT == 0);
	/* The task struct sits at the top of its stack, cache-line aligned. */
	t = (aring_task *)(((uintptr_t)top - sizeof(*t)) & ~(uintptr_t)63);
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->fn = fn;
	t->arg = arg;
	t->detached = detached;
	t->stack_top = top;
	t->stack_size = usable;
	t->pooled_stack = pooled;
	t->ctx.stack_lo = top - usable;
	t->ctx.stack_size = (size_t)((char *)t - (char *)t->ctx.stack_lo) & ~(size_t)15;
	aring__ctx_register_stack(&t->ctx);
	aring__ctx_make(&t->ctx, task_main, t);
	t->state = ARING__TASK_READY;
	aring__taskq_push(&loop->ready, t);
	loop->nlive++;
	t->all_next = loop->tasks;
	if (loop->tasks)
		loop->tasks->all_prev = t;
	loop->tasks = t;
	if (out)
		*out = t;
	return 0;
}

ARING_API int aring_spawn_stack(aring_loop *loop, aring_fn fn, void *arg, size_t stack_size,
				aring_task **task)
{
	return aring__spawn(loop, fn, arg, stack_size, task == NULL, task);
}

ARING_API int aring_spawn(aring_loop *loop, aring_fn fn, void *arg, aring_task **task)
{
	return aring__spawn(loop, fn, arg, 0, task == NULL, task);
}

ARING_API aring_task *aring_current(aring_loop *loop)
{
	return loop->current;
}

ARING_API void aring_yield(aring_loop *loop)
{
	aring_task *self = loop->current;

	if (!self)
		return;
	self->state = ARING__TASK_READY;
	aring__taskq_push(&loop->ready, self);
	switch_next(loop, self, false);
}

/* The scheduler loop, defined below (aring_join from outside a task runs it). */
int aring__loop_run_until(aring_loop *loop, const uint8_t *state, int until);

ARING_API int aring_join(aring_loop *loop, aring_task *task, int *result)
{
	aring_task *self = loop->current;

	if (!task)
		return -EINVAL;
	if (task->state == ARING__TASK_FREED)
		return -ESRCH;
	if (task->detached)
		return -EINVAL;
	if (task == self)
		return -EDEADLK;
	if (task->joinq.head)
		return -EBUSY;
	if (self && self->cancelled)
		return -ECANCELED;
	if (task->state != ARING__TASK_DONE) {
		if (self) {
			/* A wait: aring_task_cancel of the joiner ends it. */
			struct aring__waiter w;
			int ret = aring__wait(loop, &task->joinq, &w, NULL);

			if (ret < 0)
				return ret;
			assert(task->state == ARING__TASK_DONE);
		} else {
			int ret = aring__loop_run_until(loop, &task->state, ARING__TASK_DONE);

			if (ret < 0)
				return ret;
		}
	}
	if (result)
		*result = task->result;
	task_free(loop, task);
	return 0;
}

/*
 * The scheduler. Runs in the context that called aring_run (or aring_join
 * from outside a task) until *state == until, or, with state NULL, until no
 * task is alive.
 */
int aring__loop_run_until(aring_loop *loop, const uint8_t *state, int until)
{
	aring_loop *prev;
	int ret = 0;

	if (loop->current || loop->running)
		return -EBUSY;
	loop->running = true;
	loop->outside_join = state != NULL;
	prev = aring__post_enter(loop);
	for (;;) {
		aring_task *next;

		if (state ? *state == until : loop->nlive == 0)
			break;
		if (!loop->batch.head) {
			bool idle = !loop->ready.head;

			if (idle && loop->inflight == 0 && !loop->timers.count && !aring__remote_wait(loop)) {
				ret = -EDEADLK;
				break;
			}
			/* Submit what the last batch queued; wait only if nothing can run. */
			ret = aring__loop_poll(loop, idle);
			if (ret < 0)
				break;
			ret = 0;
			loop->batch = loop->ready;
			loop->ready.head = loop->ready.tail = NULL;
			loop->batch_handoffs = 0;
			if (ARING_UNLIKELY(loop->shuffle != NULL))
				loop->shuffle(loop, &loop->batch);
			continue;
		}
		next = aring__taskq_pop(&loop->batch);
		next->state = ARING__TASK_RUNNING;
		loop->current = next;
		aring__ctx_switch(&loop->sched, &next->ctx);
		reap_zombie(loop);
	}
	aring__post_leave(prev);
	loop->running = false;
	loop->outside_join = false;
	return ret;
}

ARING_API int aring_run(aring_loop *loop)
{
	return aring__loop_run_until(loop, NULL, 0);
}

/* ---------------------------------------------------------------- crash (sim) */

void aring__loop_crash(aring_loop *loop)
{
	aring_task *self = loop->current, *t, *next;

	/* A dead task leaves the queue it waits on and its group (they may outlive it). */
	for (t = loop->tasks; t; t = t->all_next) {
		if (t == self || t->state == ARING__TASK_DONE)
			continue;
		if (t->state == ARING__TASK_BLOCKED && t->wait && t->wait->res == ARING__WAIT_PENDING)
			aring__wait_end(loop, t->wait, -ECANCELED);
		if (t->group)
			aring__group_task_done(loop, t);
	}
	loop->ready.head = loop->ready.tail = NULL;
	loop->batch.head = loop->batch.tail = NULL;
	reap_zombie(loop);
	for (t = loop->tasks; t; t = next) {
		next = t->all_next;
		if (t == self)
			continue;
		if (t->state != ARING__TASK_DONE)
			loop->nlive--;
		t->state = ARING__TASK_DONE;
		t->cancel_queued = false;
		task_free(loop, t);
	}
	/* Every request of the ring was dropped: no CQE is coming. */
	loop->inflight = 0;
	loop->cancelq_head = loop->cancelq_tail = NULL;
	aring__id_free(loop);
	memset(&loop->ids, 0, sizeof(loop->ids));
	loop->ms_ops = NULL;
	loop->ms_armed = 0;
	loop->sig_pending = 0;
	loop->batch_handoffs = 0;
	if (self) {
		self->cancel_queued = false;
	}
	aring__timers_reset(loop);
}

/* ---------------------------------------------------------------- cancellation */
/*
 * aring_task_cancel marks the task: every op (core/op.c aring__op_begin)
 * and every wait (aring__wait_check, core/internal.h) it starts then fails with
 * -ECANCELED before reaching the ring, except aring_close and
 * aring_shutdown (task->exempt). What it is blocked in ends now:
 * - a wait (channel, lock, condition, semaphore, wait group, group, join,
 *   sim signal): at once, -ECANCELED;
 * - an op in the ring (a sleep is a timeout op): an IORING_OP_ASYNC_CANCEL
 *   of its user_data, whose own CQE is ignored (kernel io_uring/cancel.c
 *   io_async_cancel; an op already running and not cancellable completes
 *   with its own result). The task goes on loop->cancelq and the cancel SQEs
 *   are written just before the next submit (aring__loop_poll), so
 *   aring_task_cancel never needs SQ room, may be called from anywhere
 *   (a multishot callback, outside a task), and is O(1) per task (a group
 *   of 10,000 tasks is cancelled in one pass). A multishot op ends with
 *   its final CQE.
 */

void aring__task_cancel(aring_loop *loop, aring_task *t)
{
	t->cancelled = true;
	if (t->state != ARING__TASK_BLOCKED)
		return;  /* it finds out at its next op or wait */
	if (t->wait) {
		if (t->wait->res == ARING__WAIT_PENDING && !t->wait->nocancel)
			aring__wait_end(loop, t->wait, -ECANCELED);
		return;
	}
	if (!t->cur_op || t->exempt || t->cancel_queued)
		return;
	t->cancel_queued = true;
	t->cancel_next = NULL;
	if (loop->cancelq_tail)
		loop->cancelq_tail->cancel_next = t;
	else
		loop->cancelq_head = t;
	loop->cancelq_tail = t;
}

static void prep_cancel(aring_loop *loop, struct io_uring_sqe *sqe, uint64_t ud, int flags)
{
	io_uring_prep_cancel64(sqe, ud, flags);
	sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
}

void aring__cancel_flush(aring_loop *loop)
{
	struct aring__backend *be = loop->be;
	aring_task *t;

	while ((t = loop->cancelq_head)) {
		struct aring__op *op = t->cur_op;
		unsigned need = op && (op->flags & ARING__OP_CHAIN) ? 2 : 1;

		/* Still blocked in that op? (It may have completed meanwhile.) */
		if (t->state == ARING__TASK_BLOCKED && !t->wait && op && op->pending && !t->exempt) {
			if (be->ops->sq_space(be) < need) {
				be->ops->submit(be, 0);
				if (be->ops->sq_space(be) < need)
					return;  /* the rest at the next submit */
			}
			/* A chain: its earlier links share one user_data, and while
			 * one runs the last SQE is not found (core/cancel.c). */
			if (op->flags & ARING__OP_CHAIN)
				prep_cancel(loop, aring__get_sqe(loop),
					    aring__op_ud(op, ARING__TAG_CHAIN), IORING_ASYNC_CANCEL_ALL);
			prep_cancel(loop, aring__get_sqe(loop), aring__op_ud(op, ARING__TAG_MAIN), 0);
		}
		loop->cancelq_head = t->cancel_next;
		if (!loop->cancelq_head)
			loop->cancelq_tail = NULL;
		t->cancel_queued = false;
	}
}

ARING_API int aring_task_cancel(aring_loop *loop, aring_task *task)
{
	if (!loop || !task)
		return -EINVAL;
	if (task->state == ARING__TASK_FREED || task->state == ARING__TASK_DONE)
		return -ESRCH;
	if (task->detached)
		return -EINVAL;
	aring__task_cancel(loop, task);
	return 0;
}

ARING_API int aring_task_cancelled(aring_loop *loop)
{
	return loop && loop->current && loop->current->cancelled;
}
