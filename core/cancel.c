/* SPDX-License-Identifier: MIT */
/*
 * Op ids: cancellation, timeout removal and update, poll removal.
 *
 * An op made with opt->id gets the next number of a 64-bit counter (never
 * reused) and joins the loop's registry until its task resumes. Cancelling
 * an id looks it up there: an id that is not in flight gives -ENOENT at once
 * and sends nothing to the kernel, so a stale id can never hit another op
 * that reused the same stack address. A found op is cancelled by its
 * user_data (kernel io_uring/cancel.c io_async_cancel()).
 *
 * The registry is a fixed array of doubly linked buckets indexed by the id
 * (ids are sequential, so they spread evenly): O(1) to add and remove, and
 * a lookup walks one bucket, in flight / 1024 entries on average. It is part
 * of the loop, so registering an id allocates nothing.
 */
#include "config.h"
#include <errno.h>

#include "core/internal.h"

static struct aring__op **bucket(aring_loop *loop, uint64_t id)
{
	return &loop->ids[id % ARING__ID_BUCKETS];
}

void aring__id_add(aring_loop *loop, struct aring__op *op)
{
	struct aring__op **head;

	op->id = ++loop->next_id;
	op->flags |= ARING__OP_ID;
	head = bucket(loop, op->id);
	op->id_prev = NULL;
	op->id_next = *head;
	if (*head)
		(*head)->id_prev = op;
	*head = op;
}

void aring__id_del(aring_loop *loop, struct aring__op *op)
{
	if (op->id_prev)
		op->id_prev->id_next = op->id_next;
	else
		*bucket(loop, op->id) = op->id_next;
	if (op->id_next)
		op->id_next->id_prev = op->id_prev;
	op->flags &= (uint8_t)~ARING__OP_ID;
}

struct aring__op *aring__id_find(aring_loop *loop, uint64_t id)
{
	struct aring__op *op;

	if (id == 0)
		return NULL;
	for (op = *bucket(loop, id); op; op = op->id_next)
		if (op->id == id)
			return op;
	return NULL;
}

enum id_cmd { CMD_CANCEL, CMD_TIMEOUT_REMOVE, CMD_TIMEOUT_UPDATE, CMD_POLL_REMOVE };

static int submit_cmd(aring_loop *loop, enum id_cmd cmd, uint64_t ud, unsigned flags,
		      struct __kernel_timespec *ts, const struct aring_opt *opt)
{
	struct aring__op op;
	struct io_uring_sqe *sqe;
	int ret;

	sqe = aring__op_sqe(loop, &op, opt, &ret);
	if (!sqe)
		return ret;
	switch (cmd) {
	case CMD_CANCEL:
		io_uring_prep_cancel64(sqe, ud, (int)flags);
		break;
	case CMD_TIMEOUT_REMOVE:
		io_uring_prep_timeout_remove(sqe, ud, flags);
		break;
	case CMD_TIMEOUT_UPDATE:
		io_uring_prep_timeout_update(sqe, ts, ud, flags);
		break;
	case CMD_POLL_REMOVE:
		io_uring_prep_poll_remove(sqe, ud);
		break;
	}
	return aring__op_run(loop, &op, opt, sqe);
}

int aring__cancel_ud(aring_loop *loop, uint64_t ud)
{
	return submit_cmd(loop, CMD_CANCEL, ud, 0, NULL, NULL);
}

/* Rounds of cancel_chain before it gives up on a chain it cannot find. */
#define CHAIN_CANCEL_ROUNDS 8

/*
 * An aring_do_n chain: while an earlier link runs, the last SQE waits on
 * the link and no cancel finds it. Cancel the earlier links (they share one
 * user_data); the kernel then fails the rest of the chain with -ECANCELED.
 * With IORING_ASYNC_CANCEL_ALL the kernel returns how many it cancelled,
 * and 0 when none matched (kernel io_uring/cancel.c __io_async_cancel): the
 * earlier links are done, and the last SQE is the one to cancel. Between
 * two links (the next one queued as task work) neither may be found: try
 * again while the chain is in flight.
 */
static int cancel_chain(aring_loop *loop, uint64_t id, const struct aring_opt *opt)
{
	struct aring__op *target = aring__id_find(loop, id);
	unsigned round;
	int ret;

	for (round = 0; round < CHAIN_CANCEL_ROUNDS; round++) {
		ret = submit_cmd(loop, CMD_CANCEL, aring__op_ud(target, ARING__TAG_CHAIN),
				 IORING_ASYNC_CANCEL_ALL, NULL, opt);
		if (ret > 0)
			return 0;
		if (ret < 0 && ret != -ENOENT)
			return ret;
		target = aring__id_find(loop, id);  /* we suspended: look again */
		if (!target)
			return -ENOENT;
		ret = submit_cmd(loop, CMD_CANCEL, aring__op_ud(target, ARING__TAG_MAIN), 0, NULL,
				 opt);
		if (ret != -ENOENT)
			return ret;
		target = aring__id_find(loop, id);
		if (!target)
			return -ENOENT;
	}
	return -EALREADY;  /* in flight, but never found: it completes on its own */
}

/*
 * The target's task cannot resume (and leave the registry, and reuse the
 * address) before this task suspends in submit_cmd, and its next SQE would
 * come after ours in the SQ, which the kernel issues in order.
 */
static int by_id(aring_loop *loop, enum id_cmd cmd, uint64_t id, unsigned flags,
		 struct __kernel_timespec *ts, const struct aring_opt *opt)
{
	struct aring__op *target = aring__id_find(loop, id);

	if (!target)
		return -ENOENT;
	if (cmd == CMD_CANCEL && (target->flags & ARING__OP_CHAIN))
		return cancel_chain(loop, id, opt);
	return submit_cmd(loop, cmd, aring__op_ud(target, ARING__TAG_MAIN), flags, ts, opt);
}

ARING_API int aring_cancel(aring_loop *loop, uint64_t id, unsigned flags, const struct aring_opt *opt)
{
	if (flags & ~IORING_ASYNC_CANCEL_ALL)
		return -EINVAL;
	if (!loop->current)
		return -EPERM;
	return by_id(loop, CMD_CANCEL, id, 0, NULL, opt);
}

ARING_API int aring_timeout_remove(aring_loop *loop, uint64_t id, unsigned flags,
				   const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	return by_id(loop, CMD_TIMEOUT_REMOVE, id, flags, NULL, opt);
}

ARING_API int aring_timeout_update(aring_loop *loop, struct __kernel_timespec *ts, uint64_t id,
				   unsigned flags, const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	if (!ts)
		return -EFAULT;
	return by_id(loop, CMD_TIMEOUT_UPDATE, id, flags, ts, opt);
}

ARING_API int aring_poll_remove(aring_loop *loop, uint64_t id, const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	return by_id(loop, CMD_POLL_REMOVE, id, 0, NULL, opt);
}
