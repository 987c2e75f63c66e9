/* SPDX-License-Identifier: MIT */
/*
 * Deadlines kept by the loop: opt->timeout_ns of ops (unless the user asked
 * for ARING_OPT_LINKED_TIMEOUT) and of waits (channels, locks, ...).
 *
 * Servers put a timeout on every op and almost none fires. A linked timeout
 * makes the kernel arm and disarm an hrtimer per op (kernel io_uring/timeout.c
 * io_queue_linked_timeout(), io_disarm_next()): about 700 ns. Here an op
 * with a deadline costs a clock read, an insert into a heap and a removal
 * when its task resumes, and nothing in the kernel:
 *
 * - The record (struct aring__timer) lives in the op or the waiter, on the
 *   task's stack. Deadlines of one timeout value come in arming order (the
 *   clock never goes back), so up to ARING__TIMER_FIFOS values at a time
 *   each get a FIFO list (an empty one goes to the next new value): insert
 *   at the tail and removal anywhere are O(1), whichever op completes
 *   first. The other values go to a pairing
 *   heap ordered by (deadline, arming order): insert O(1), removal
 *   O(log n) amortized. The earliest deadline is the earliest of the FIFOs'
 *   heads and the heap's root. No allocation, ever.
 * - One kernel timeout, IORING_OP_TIMEOUT with IORING_TIMEOUT_ABS on the
 *   backend's clock (CLOCK_MONOTONIC, or the sim's virtual clock), stays
 *   armed at or before the earliest deadline. It is armed lazily, just
 *   before a submit (aring__timers_flush, from aring__loop_poll): a deadline
 *   later than the armed one needs no SQE at all, an earlier one an
 *   IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE (kernel timeout.c
 *   io_timeout_update()). When its CQE is reaped, the deadlines that passed
 *   come off the heap (in CQE order, as a ring timeout of their own would),
 *   and the next flush arms it again for the next one: with 30 s timeouts
 *   that is one CQE every 30 s or so. When the loop is about to sleep with
 *   no deadline left it is removed, so that a loop whose tasks are stuck
 *   still reports -EDEADLK at once (and the sim's clock does not jump).
 * - A waiter whose deadline passed ends at once with -ETIME. An op whose
 *   deadline passed gets an IORING_OP_ASYNC_CANCEL of its user_data (for an
 *   aring_do_n chain, also one of its earlier links': the deadline covers
 *   the whole chain), whose CQEs the op waits for (TAG_TIMEOUT) so that no
 *   cancel of an op that has returned can reach the next op at the same
 *   address. The op returns -ETIME if it ended -ECANCELED or -EINTR (kernel
 *   io_uring/cancel.c io_async_cancel(): cancelled, or interrupted in
 *   io-wq), and its own result if it completed first (the cancel lost).
 *
 * The difference with a linked timeout: the kernel completes an op and its
 * linked timeout atomically (io_link_timeout_fn() and io_disarm_next()
 * decide under the ctx's timeout lock); here the op may complete with its
 * own result a little after its deadline, when its completion came before
 * the cancel, and the deadline counts from the call, not from when the
 * kernel issued the op. On the sim both end an op at exactly its deadline
 * in virtual time: the kernel timeout fires then, and the cancel runs at
 * the same virtual instant.
 */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "core/internal.h"

/* The kernel's KTIME_MAX: a deadline this far never fires. */
#define DEADLINE_MAX ((uint64_t)INT64_MAX)

static inline bool before(const struct aring__timer *a, const struct aring__timer *b)
{
	return a->deadline_ns < b->deadline_ns ||
	       (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

/* Two heaps' roots into one: the later becomes the earlier's first child. */
static struct aring__timer *meld(struct aring__timer *a, struct aring__timer *b)
{
	struct aring__timer *t;

	if (before(b, a)) {
		t = a;
		a = b;
		b = t;
	}
	b->prev = a;
	b->next = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	return a;
}

/* The two-pass merge of a sibling list (the children of a removed node). */
static struct aring__timer *merge_pairs(struct aring__timer *list)
{
	struct aring__timer *acc = NULL, *res;

	while (list) {
		struct aring__timer *a = list, *b = a->next, *m;

		list = b ? b->next : NULL;
		m = b ? meld(a, b) : a;
		m->next = acc;  /* a stack of the pairs, the last on top */
		acc = m;
	}
	if (!acc)
		return NULL;
	res = acc;
	acc = acc->next;
	while (acc) {
		struct aring__timer *n = acc->next;

		res = meld(res, acc);
		acc = n;
	}
	res->next = res->prev = NULL;
	return res;
}

static inline struct aring__op *op_of(struct aring__timer *t)
{
	return (struct aring__op *)((char *)t - offsetof(struct aring__op, tm));
}

static bool expire(aring_loop *loop, struct aring__op *op, bool submit);

static void heap_insert(struct aring__timers *h, struct aring__timer *t)
{
	t->child = t->next = t->prev = NULL;
	t->seq = h->seq++;
	t->where = ARING__TIMER_IN_HEAP;
	h->root = h->root ? meld(h->root, t) : t;
	h->root->prev = h->root->next = NULL;
}

static void heap_remove(struct aring__timers *h, struct aring__timer *t)
{
	struct aring__timer *sub;

	t->where = ARING__TIMER_OUT;
	if (t == h->root) {
		h->root = merge_pairs(t->child);
		return;
	}
	/* Off its sibling list: prev is its parent when it is a first child. */
	if (t->prev->child == t)
		t->prev->child = t->next;
	else
		t->prev->next = t->next;
	if (t->next)
		t->next->prev = t->prev;
	sub = merge_pairs(t->child);
	if (sub)
		h->root = meld(h->root, sub);
}

void aring__timer_add(aring_loop *loop, struct aring__timer *t, uint64_t timeout_ns,
		      enum aring__timer_kind kind)
{
	struct aring__timers *h = &loop->timers;
	struct aring__timer_fifo *f;
	uint64_t now = loop->be->ops->now_ns(loop->be);
	unsigned i;

	t->kind = (uint8_t)kind;
	t->deadline_ns = timeout_ns >= DEADLINE_MAX - now ? DEADLINE_MAX : now + timeout_ns;
	h->count++;
	/* The FIFO of this value, or an empty one it can take over. */
	for (i = 0, f = NULL; i < ARING__TIMER_FIFOS; i++) {
		if (h->fifo[i].timeout_ns == timeout_ns) {
			f = &h->fifo[i];
			break;
		}
		if (!f && !h->fifo[i].head)
			f = &h->fifo[i];
	}
	if (f) {
		f->timeout_ns = timeout_ns;
		i = (unsigned)(f - h->fifo);
		t->seq = h->seq++;
		t->where = ARING__TIMER_FIFO;
		t->fifo = (uint8_t)i;
		t->next = NULL;
		t->prev = f->tail;
		if (f->tail)
			f->tail->next = t;
		else
			f->head = t;
		f->tail = t;
		return;
	}
	heap_insert(h, t);
}

static void fifo_remove(struct aring__timers *h, struct aring__timer *t)
{
	struct aring__timer_fifo *f = &h->fifo[t->fifo];

	t->where = ARING__TIMER_OUT;
	if (t->prev)
		t->prev->next = t->next;
	else
		f->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		f->tail = t->prev;
}

/* The earliest deadline of all, or NULL. */
static struct aring__timer *earliest(const struct aring__timers *h)
{
	struct aring__timer *min = h->root;
	unsigned i;

	for (i = 0; i < ARING__TIMER_FIFOS; i++)
		if (h->fifo[i].head && (!min || before(h->fifo[i].head, min)))
			min = h->fifo[i].head;
	return min;
}

/* Take t out of the heap or its FIFO. */
static void take(struct aring__timers *h, struct aring__timer *t)
{
	h->count--;
	if (t->where == ARING__TIMER_FIFO)
		fifo_remove(h, t);
	else
		heap_remove(h, t);
}

/* The due list: timers of ops whose deadline passed, their cancel not yet sent. */
static void due_push(struct aring__timers *h, struct aring__timer *t)
{
	t->where = ARING__TIMER_DUE;
	t->next = NULL;
	t->prev = h->due_tail;
	if (h->due_tail)
		h->due_tail->next = t;
	else
		h->due_head = t;
	h->due_tail = t;
}

static void due_remove(struct aring__timers *h, struct aring__timer *t)
{
	t->where = ARING__TIMER_OUT;
	if (t->prev)
		t->prev->next = t->next;
	else
		h->due_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		h->due_tail = t->prev;
}

void aring__timer_del(aring_loop *loop, struct aring__timer *t)
{
	if (t->where == ARING__TIMER_IN_HEAP || t->where == ARING__TIMER_FIFO)
		take(&loop->timers, t);
	else if (t->where == ARING__TIMER_DUE)
		due_remove(&loop->timers, t);
}

void aring__timer_expire_again(aring_loop *loop, struct aring__op *op)
{
	if (op->tm.where == ARING__TIMER_OUT)
		due_push(&loop->timers, &op->tm);
}

bool aring__ud_deadline(uint64_t ud)
{
	struct aring__op *op;

	if (!ARING_UD_RESERVED(ud) || (ud & ARING__UD_FORM_MASK) != ARING__TAG_MAIN)
		return false;
	op = aring__ud_op(ud);
	return (op->flags & (ARING__OP_DEADLINE | ARING__OP_DISCARD)) == ARING__OP_DEADLINE;
}

void aring__timers_reset(aring_loop *loop)
{
	struct aring__timers *h = &loop->timers;

	h->root = NULL;
	memset(h->fifo, 0, sizeof(h->fifo));
	h->count = 0;
	h->due_head = h->due_tail = NULL;
	h->out = 0;
	h->armed_ns = ARING__TIMER_NONE;
}

/*
 * The loop's kernel timeout (TAG_TIMEOUT of loop->discard) posted its CQE.
 * The deadlines that passed come off the heap now, in order with the other
 * CQEs of the reap, as a ring timeout of their own would: a wait ends
 * -ETIME, an op gets its cancel SQE (submitted with the next batch), before
 * a completion reaped after this one can end them otherwise. An op finds
 * no SQ room here only when the SQ is full: the due list keeps it for the
 * next flush.
 */
void aring__timers_cqe(aring_loop *loop, int res)
{
	struct aring__timers *h = &loop->timers;
	struct aring__timer *t;
	uint64_t now;

	assert(h->out > 0);
	h->out--;
	loop->inflight--;
	/* -ECANCELED is a removal's (or the loop's teardown); anything else
	 * (-ETIME) means the time came, and the one armed is gone. */
	if (res != -ECANCELED || h->out == 0)
		h->armed_ns = ARING__TIMER_NONE;
	if (!h->count)
		return;
	now = loop->be->ops->now_ns(loop->be);
	while ((t = earliest(h)) && t->deadline_ns <= now) {
		take(h, t);
		if (t->kind == ARING__TIMER_WAIT) {
			struct aring__waiter *w = (struct aring__waiter *)((char *)t -
						  offsetof(struct aring__waiter, tm));

			if (w->res == ARING__WAIT_PENDING)
				aring__wait_end(loop, w, -ETIME);
		} else if (h->due_head || !expire(loop, op_of(t), false)) {
			due_push(h, t);  /* in deadline order after those waiting already */
		}
	}
}

/* A free SQE, submitting what is queued to make room if `submit`; NULL if there is none. */
static struct io_uring_sqe *flush_sqe(aring_loop *loop, unsigned n, bool submit)
{
	struct aring__backend *be = loop->be;

	if (be->ops->sq_space(be) < n) {
		if (!submit)
			return NULL;
		be->ops->submit(be, 0);
		if (be->ops->sq_space(be) < n)
			return NULL;
	}
	return aring__get_sqe(loop);
}

/*
 * An op whose deadline passed: false when there was no SQ room (it waits on
 * the due list for the next flush). Not submitting from a reap: the soft
 * ring would post CQEs while the reap holds pointers into its CQ.
 */
static bool expire(aring_loop *loop, struct aring__op *op, bool submit)
{
	struct io_uring_sqe *sqe;
	aring_task *task = op->task;
	unsigned n;

	/* Completed first (its task resumes and finds it out of the heap), or
	 * a cancel (aring_cancel, aring_task_cancel) is already on its way: it
	 * decides the result, -ECANCELED. */
	if (!op->pending || (op->flags & ARING__OP_CANCELLED) || (task->cancelled && !task->exempt))
		return true;
	n = op->flags & ARING__OP_CHAIN ? 2 : 1;
	sqe = flush_sqe(loop, n, submit);
	if (!sqe)
		return false;
	op->flags |= ARING__OP_EXPIRED;
	if (n == 2) {
		/* While an earlier link runs, the last SQE is not found (core/cancel.c). */
		io_uring_prep_cancel64(sqe, aring__op_ud(op, ARING__TAG_CHAIN),
				       IORING_ASYNC_CANCEL_ALL);
		sqe->user_data = aring__op_ud(op, ARING__TAG_TIMEOUT);
		sqe = aring__get_sqe(loop);
	}
	io_uring_prep_cancel64(sqe, aring__op_ud(op, ARING__TAG_MAIN), 0);
	sqe->user_data = aring__op_ud(op, ARING__TAG_TIMEOUT);
	op->pending += n;
	loop->inflight += n;
	return true;
}

/* The kernel timeout at deadline_ns: a new one, or the armed one moved earlier. */
static void arm(aring_loop *loop, uint64_t deadline_ns)
{
	struct aring__timers *h = &loop->timers;
	struct __kernel_timespec *ts = &h->ts[h->ts_idx];
	uint64_t ud = aring__op_ud(&loop->discard, ARING__TAG_TIMEOUT);
	struct io_uring_sqe *sqe = flush_sqe(loop, 1, true);

	if (!sqe)
		return;  /* at the next flush */
	/* Two timespecs in turn: under SQPOLL the kernel may read one after
	 * this returns (io_timeout_prep() copies it at issue). */
	h->ts_idx ^= 1;
	ts->tv_sec = (long long)(deadline_ns / 1000000000u);
	ts->tv_nsec = (long long)(deadline_ns % 1000000000u);
	if (h->armed_ns == ARING__TIMER_NONE) {
		io_uring_prep_timeout(sqe, ts, 0, IORING_TIMEOUT_ABS);
		sqe->user_data = ud;
		h->out++;
		loop->inflight++;
	} else {
		/* -ENOENT if it fired meanwhile: its CQE then re-arms. */
		io_uring_prep_timeout_update(sqe, ts, ud, IORING_TIMEOUT_ABS);
		sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
	}
	h->armed_ns = deadline_ns;
}

void aring__timers_flush(aring_loop *loop, bool wait)
{
	struct aring__timers *h = &loop->timers;
	struct io_uring_sqe *sqe;

	while (h->due_head) {
		struct aring__timer *t = h->due_head;

		if (!expire(loop, op_of(t), true))
			break;
		due_remove(h, t);
	}
	if (h->count) {
		struct aring__timer *t = earliest(h);

		if (t->deadline_ns < h->armed_ns && t->deadline_ns < DEADLINE_MAX)
			arm(loop, t->deadline_ns);
	} else if (wait && h->armed_ns != ARING__TIMER_NONE && (sqe = flush_sqe(loop, 1, true))) {
		/* Nothing left to time: do not keep the loop (or the sim's clock) waiting for it. */
		io_uring_prep_timeout_remove(sqe, aring__op_ud(&loop->discard, ARING__TAG_TIMEOUT), 0);
		sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
		h->armed_ns = ARING__TIMER_NONE;
	}
}
