/* SPDX-License-Identifier: MIT */
/*
 * Submitting an op from a task and completing it.
 *
 * An op's state (struct aring__op) lives on the task's stack; its address,
 * tagged in the low bits, is the user_data of each of its SQEs. The task
 * stays suspended until every CQE it expects has arrived (the op's, its
 * linked timeout's, the earlier links of a chain), so nothing on its stack
 * is touched after it resumes. No heap allocation per op.
 *
 * opt->timeout_ns is a deadline kept by the loop (core/timer.c), or, with
 * ARING_OPT_LINKED_TIMEOUT, a linked timeout (kernel io_uring/timeout.c):
 * the op gets IOSQE_IO_LINK and is followed by an IORING_OP_LINK_TIMEOUT.
 * If the timer fires first, the op completes with -ECANCELED (or -EINTR if
 * it was already running) and the timeout with -ETIME: aring reports -ETIME.
 * If the op completes first, the timeout completes with -ECANCELED and aring
 * reports the op's own result.
 */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "core/internal.h"

/* Marks in op->results before a chain's CQEs come (chain_result). */
enum { CHAIN_SKIP = 1, CHAIN_HARD = 2 };

#define ALLOWED_SQE_FLAGS (IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_ASYNC | IOSQE_BUFFER_SELECT)

/* Make room in the SQ for n SQEs, submitting (and reaping if the CQ is full). */
int aring__sq_room(aring_loop *loop, unsigned n)
{
	struct aring__backend *be = loop->be;

	while (be->ops->sq_space(be) < n) {
		int ret = be->ops->submit(be, 0);

		if (ret == -EINTR)
			continue;
		if (ret == -EBUSY || ret == -EAGAIN) {
			/* CQ overflow: consume completions so the kernel can post more. */
			aring__loop_reap(loop);
			if (be->ops->sq_space(be) < n && aring__loop_reap(loop) == 0) {
				ret = be->ops->submit(be, 1);
				if (ret < 0 && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
					return ret;
				aring__loop_reap(loop);
			}
			continue;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

int aring__op_begin(aring_loop *loop, struct aring__op *op, const struct aring_opt *opt,
		    struct io_uring_sqe **sqes, unsigned nsqes)
{
	struct aring__backend *be = loop->be;
	unsigned need = nsqes;
	unsigned i;
	int ret;

	if (ARING_UNLIKELY(!loop->current))
		return -EPERM;
	/* A cancelled task's ops fail here, before the ring (core/task.c). */
	if (ARING_UNLIKELY(loop->current->cancelled && !loop->current->exempt))
		return -ECANCELED;
	op->flags = 0;
	if (opt) {
		if ((opt->sqe_flags & ~ALLOWED_SQE_FLAGS) || (opt->flags & ~ARING_OPT_LINKED_TIMEOUT))
			return -EINVAL;
		if (opt->timeout_ns && (opt->flags & ARING_OPT_LINKED_TIMEOUT))
			need++;
	}
	if (need > be->sq_entries)
		return -EINVAL;
	/* All of an op's SQEs go to the kernel in one submission: a link
	 * must not be split across two io_uring_enter calls. */
	if ((loop->ring ? io_uring_sq_space_left(loop->ring) : be->ops->sq_space(be)) < need) {
		ret = aring__sq_room(loop, need);
		if (ret < 0)
			return ret;
	}
	if (opt && opt->id && (ret = aring__id_reserve(loop)) < 0)
		return ret;
	for (i = 0; i < nsqes; i++)
		sqes[i] = aring__get_sqe(loop);
	if (opt && opt->timeout_ns) {
		if (opt->flags & ARING_OPT_LINKED_TIMEOUT) {
			/* Taken now so that it follows the op's SQE in the ring. */
			op->flags |= ARING__OP_TIMEOUT;
			op->tsqe = aring__get_sqe(loop);
		} else {
			op->flags |= ARING__OP_DEADLINE;  /* armed in aring__op_wait */
		}
	}
	op->task = loop->current;
	op->timeout_res = 0;
	op->cqe_flags = 0;
	op->res = 0;
	return 0;
}

struct io_uring_sqe *aring__op_begin1(aring_loop *loop, struct aring__op *op,
				      const struct aring_opt *opt, int *err)
{
	struct io_uring_sqe *sqe = NULL;

	*err = aring__op_begin(loop, op, opt, &sqe, 1);
	return sqe;
}

static void set_timeout(struct aring__op *op, uint64_t ns)
{
	op->ts.tv_sec = (long long)(ns / 1000000000u);
	op->ts.tv_nsec = (long long)(ns % 1000000000u);
}

int aring__op_wait(aring_loop *loop, struct aring__op *op, const struct aring_opt *opt,
		   struct io_uring_sqe **sqes, unsigned nsqes)
{
	struct io_uring_sqe *last = sqes[nsqes - 1];
	unsigned i;

	/*
	 * A chain's members post one CQE each: aring clears the
	 * IOSQE_CQE_SKIP_SUCCESS they may carry and reports 0 for them itself
	 * (chain_result). With the kernel's skip, how many CQEs a chain posts
	 * depends on REQ_F_FAIL, which user space cannot see: a short read
	 * fails a link with res >= 0, and a failed member that skips posts its
	 * CQE while the rest then post none (req_set_fail in io_uring.h,
	 * io_fail_links in timeout.c). The core would not know when the last
	 * CQE has come, and would hang or resume the task too early.
	 */
	for (i = 0; i + 1 < nsqes; i++) {
		uint8_t f = sqes[i]->flags;

		if (op->results)
			op->results[i] = (f & IOSQE_CQE_SKIP_SUCCESS ? CHAIN_SKIP : 0) |
					 (f & IOSQE_IO_HARDLINK ? CHAIN_HARD : 0);
		f &= (uint8_t)~IOSQE_CQE_SKIP_SUCCESS;
		if (!(f & IOSQE_IO_HARDLINK))
			f |= IOSQE_IO_LINK;
		sqes[i]->flags = f;
		sqes[i]->user_data = aring__op_ud(op, ARING__TAG_CHAIN);
	}
	if (nsqes > 1) {
		op->flags |= ARING__OP_CHAIN;
		op->chain_idx = 0;
		op->chain_n = nsqes;
		op->chain_prev_skip = false;
		if (op->results)
			op->results[nsqes - 1] = 0;
	}
	last->user_data = aring__op_ud(op, ARING__TAG_MAIN);
	last->flags &= (uint8_t)~(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS);
	op->pending = nsqes;
	if (opt) {
		last->flags |= (uint8_t)opt->sqe_flags;
		if (op->flags & ARING__OP_TIMEOUT) {
			last->flags |= IOSQE_IO_LINK;
			set_timeout(op, opt->timeout_ns);
			io_uring_prep_link_timeout(op->tsqe, &op->ts, 0);
			op->tsqe->user_data = aring__op_ud(op, ARING__TAG_TIMEOUT);
			op->pending++;
		}
		if (op->flags & ARING__OP_DEADLINE)
			aring__timer_add(loop, &op->tm, opt->timeout_ns, ARING__TIMER_OP);
		if (opt->id) {
			aring__id_add(loop, op);
			*opt->id = op->id;
		}
	}
	loop->inflight += op->pending;
	op->task->cur_op = op;
	do
		aring__task_suspend(loop);
	while (op->pending);
	if (op->flags & ARING__OP_DEADLINE)
		aring__timer_del(loop, &op->tm);
	if (op->flags & ARING__OP_ID)
		aring__id_del(loop, op);
	if (opt && opt->cqe_flags)
		*opt->cqe_flags = op->cqe_flags;
	if (op->res == -ECANCELED || op->res == -EINTR) {
		/* A linked timeout that fired says -ETIME, or for a futex or
		 * waitid op the number it cancelled, 1 (kernel
		 * io_req_task_link_timeout(): io_try_cancel() ?: -ETIME); or the
		 * deadline passed and its cancel (core/timer.c), sent before any
		 * other, ended the op. */
		if ((op->flags & ARING__OP_TIMEOUT) &&
		    (op->timeout_res == -ETIME || op->timeout_res > 0))
			return -ETIME;
		if (op->flags & ARING__OP_EXPIRED)
			return -ETIME;
	}
	return op->res;
}

void aring__op_discard(aring_loop *loop, struct aring__op *op, struct io_uring_sqe **sqes,
		       unsigned nsqes)
{
	unsigned i;

	for (i = 0; i <= nsqes; i++) {
		struct io_uring_sqe *sqe = i < nsqes ? sqes[i] : op->tsqe;

		if (i == nsqes && !(op->flags & ARING__OP_TIMEOUT))
			break;
		memset(sqe, 0, sizeof(*sqe));
		io_uring_prep_nop(sqe);
		sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
	}
}

/*
 * A CQE of a chain member (aring_do_chain). They come in member order: the
 * kernel starts a link only once the one before it has completed, and fails
 * the rest of a chain in order (io_fail_links).
 */
static void chain_result(struct aring__op *op, int res)
{
	int *r = op->results;
	unsigned i = op->chain_idx++;
	int marker;
	bool skip;

	assert(i < op->chain_n);  /* one CQE per member: chain() refused the others */
	if (i >= op->chain_n)
		return;
	marker = r[i];
	skip = (marker & CHAIN_SKIP) && res >= 0;

	/* The kernel fails a link on a short transfer too (res >= 0), and then
	 * posts the CQE of even a member that skips (req_set_fail): a member
	 * cancelled right after one that skipped tells that one failed. */
	if (res == -ECANCELED && op->chain_prev_skip)
		r[i - 1] = op->chain_prev_res;
	op->chain_prev_skip = skip && !(marker & CHAIN_HARD);
	op->chain_prev_res = res;
	r[i] = skip ? 0 : res;
}

/*
 * A CQE other than the plain single one: a linked timeout's, an earlier
 * link's, a multishot's, a zero-copy notification. Returns true when the
 * CQE does not end one of the op's expected completions.
 */
static bool complete_slow(aring_loop *loop, struct aring__op *op, unsigned tag,
			  const struct io_uring_cqe *cqe)
{
	/* Before op is looked at: it is no op (internal.h). */
	if ((cqe->user_data & ARING__UD_FORM_MASK) == ARING__UD_POST) {
		aring__post_cqe(loop, cqe);
		return true;
	}
	if (op->flags & ARING__OP_DISCARD) {
		if (tag == ARING__TAG_TIMEOUT)
			aring__timers_cqe(loop, cqe->res);  /* the loop's kernel timeout */
		return true;
	}
	if (op->flags & ARING__OP_ITER) {
		aring__iter_cqe(loop, op, cqe);
		return true;
	}
	if (tag == ARING__TAG_TIMEOUT) {
		op->timeout_res = cqe->res;
		return false;
	}
	if ((op->flags & ARING__OP_CHAIN) && op->results)
		chain_result(op, cqe->res);
	/* A cancel that came between two links found neither: cancel the next. */
	if (tag == ARING__TAG_CHAIN && ARING_UNLIKELY(op->task->cancelled))
		aring__task_cancel(loop, op->task);
	/* The same for a chain whose deadline passed (core/timer.c). */
	if (tag == ARING__TAG_CHAIN && (op->flags & ARING__OP_EXPIRED) && cqe->res != -ECANCELED &&
	    op->pending > 1)
		aring__timer_expire_again(loop, op);
	if (tag != ARING__TAG_MAIN)
		return false;
	if (op->flags & ARING__OP_MULTISHOT) {
		if (cqe->flags & IORING_CQE_F_MORE) {
			if (!op->ms_stop && op->ms_fn(loop, cqe->res, cqe->flags, op->ms_arg)) {
				op->ms_stop = 1;
				aring__task_wake(loop, op->task);
			}
			return true;
		}
		if (cqe->res >= 0 && !op->ms_stop)
			op->ms_fn(loop, cqe->res, cqe->flags, op->ms_arg);
	} else if (cqe->flags & IORING_CQE_F_NOTIF) {
		/* The zero-copy notification: the result came before it. */
		op->cqe_flags |= IORING_CQE_F_NOTIF;
		return false;
	}
	op->res = cqe->res;
	op->cqe_flags = cqe->flags;
	return (cqe->flags & IORING_CQE_F_MORE) != 0;
}

/* One CQE for an op of the core: on the scheduler's stack, or on the stack
 * of a task that is making room in the SQ. */
static inline void complete(aring_loop *loop, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	struct aring__op *op = aring__ud_op(ud);
	unsigned tag = (unsigned)(ud & ARING__TAG_MASK);

	/* Not made by aring (see internal.h): never dereference it. */
	if (ARING_UNLIKELY(!ARING_UD_RESERVED(ud))) {
		loop->foreign_cqes++;
		return;
	}
	if (ARING_LIKELY((ud & ARING__UD_FORM_MASK) == 0 && !(op->flags & ARING__OP_SLOW) &&
			 !(cqe->flags & (IORING_CQE_F_MORE | IORING_CQE_F_NOTIF)))) {
		op->res = cqe->res;
		op->cqe_flags = cqe->flags;
	} else if (complete_slow(loop, op, tag, cqe)) {
		return;
	}
	loop->inflight--;
	if (--op->pending == 0)
		aring__task_wake(loop, op->task);
}

#define REAP_BATCH 64

/*
 * The uring backend: walk the CQ ring in place, one acquire load of the tail
 * and one release store of the head per batch.
 */
static unsigned reap_ring(aring_loop *loop, struct io_uring *ring)
{
	struct io_uring_cq *cq = &ring->cq;
	/* In locals: complete()'s stores could alias *cq, forcing reloads per CQE. */
	const struct io_uring_cqe *cqes = cq->cqes;
	unsigned mask = cq->ring_mask;
	unsigned shift = (ring->flags & IORING_SETUP_CQE32) ? 1 : 0;
	unsigned total = 0;

	for (;;) {
		unsigned head = *cq->khead;
		unsigned tail = io_uring_smp_load_acquire(cq->ktail);

		if (head != tail) {
			total += tail - head;
			for (; head != tail; head++)
				complete(loop, &cqes[(head & mask) << shift]);
			io_uring_smp_store_release(cq->khead, head);
			continue;
		}
		/* Completions the kernel holds back (task work, overflow):
		 * as io_uring_peek_batch_cqe does, enter to flush them. */
		if (!total && (IO_URING_READ_ONCE(*ring->sq.kflags) &
			       (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))) {
			io_uring_get_events(ring);
			if (io_uring_cq_ready(ring))
				continue;
		}
		return total;
	}
}

unsigned aring__loop_reap(aring_loop *loop)
{
	struct aring__backend *be = loop->be;
	struct io_uring_cqe *cqes[REAP_BATCH];
	unsigned total = 0;

	if (loop->ring)
		return reap_ring(loop, loop->ring);
	for (;;) {
		unsigned n = be->ops->peek(be, cqes, REAP_BATCH);
		unsigned i;

		for (i = 0; i < n; i++)
			complete(loop, cqes[i]);
		be->ops->advance(be, n);
		total += n;
		if (n < REAP_BATCH)
			return total;
	}
}

int aring__loop_poll(aring_loop *loop, bool wait)
{
	struct aring__backend *be = loop->be;

	if (ARING_UNLIKELY(loop->cancelq_head != NULL))
		aring__cancel_flush(loop);
	if (loop->timers.count || loop->timers.out || loop->timers.due_head) {
		aring__timers_flush(loop, wait);
		if (loop->ready.head)
			wait = false;  /* a wait whose deadline passed ended */
	}
	for (;;) {
		int ret;

		if (!wait && !be->ops->sq_ready(be) && !be->submit_to_poll) {
			aring__loop_reap(loop);
			return 0;
		}
		ret = be->ops->submit(be, wait ? 1 : 0);
		if (ret >= 0 || ret == -ETIME)
			break;
		if (ret == -EINTR)
			continue;
		if (ret == -EBUSY || ret == -EAGAIN) {
			/* CQ overflow: reap, then submit again. */
			if (aring__loop_reap(loop) && wait)
				return 0;
			continue;
		}
		return ret;
	}
	aring__loop_reap(loop);
	return 0;
}
