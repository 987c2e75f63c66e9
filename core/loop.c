/* SPDX-License-Identifier: MIT */
/* The loop: creation, teardown, time, the raw ring. Scheduling is in task.c. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

ARING_API int aring_loop_new(aring_loop **out, const struct aring_loop_opts *opts)
{
	static const struct aring_loop_opts defaults;
	struct aring_loop_opts o;
	aring_loop *loop;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->backend != ARING_BACKEND_URING && opts->backend != ARING_BACKEND_SIM)
		return -EINVAL;
	if (opts->entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	if (opts->offload_threads > ARING_MAX_OFFLOAD_THREADS)
		return -EINVAL;
	if (opts->stack_size &&
	    (opts->stack_size < 16 * 1024 || opts->stack_size > ARING_MAX_STACK_SIZE))
		return -EINVAL;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->kind = opts->backend;
	loop->discard.flags = ARING__OP_DISCARD;
	ret = aring__stack_pool_new(opts->stack_size ? opts->stack_size : ARING_DEFAULT_STACK_SIZE,
				    &loop->stacks);
	if (ret < 0)
		goto fail;
	/* An op with a timeout takes two SQ entries; an op never fails for
	 * want of room (DESIGN.md), so a ring has at least two. */
	o = *opts;
	if (o.entries == 1)
		o.entries = 2;
	if (o.backend == ARING_BACKEND_URING)
		ret = aring__uring_new(&o, &loop->be);
	else
		ret = aring__sim_new(&o, &loop->be);
	if (ret < 0)
		goto fail;
	if (o.backend == ARING_BACKEND_SIM)
		aring__sim_attach(loop->be, loop);
	loop->ring = loop->be->ops->ring(loop->be);
	/* The inline SQE path zeroes 64 bytes (internal.h): 128-byte SQEs go
	 * through the backend's get_sqe. */
	if (loop->ring && (loop->ring->flags & IORING_SETUP_SQE128))
		loop->ring = NULL;
	loop->offload_threads = opts->offload_threads ? opts->offload_threads
						      : ARING_DEFAULT_OFFLOAD_THREADS;
	aring__post_register(loop);
	*out = loop;
	return 0;
fail:
	aring__stack_pool_free(loop->stacks);
	free(loop);
	return ret;
}

/*
 * Ops still in flight (aring_run gave -EDEADLK, or was never called after
 * an op was queued) point into task stacks. Cancel them all and wait for
 * their CQEs, so that the kernel is done with those stacks before they are
 * unmapped. The sim has no one else writing into them.
 */
static void drain(aring_loop *loop)
{
	struct aring__backend *be = loop->be;
	struct io_uring_sqe *sqe;

	if (!loop->inflight || !be->ops->ring(be))
		return;
	while (!(sqe = be->ops->get_sqe(be)))
		be->ops->submit(be, 0);
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
	sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
	while (loop->inflight) {
		int ret = be->ops->submit(be, 1);

		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN && ret != -ETIME)
			break;
		aring__loop_reap(loop);
	}
}

ARING_API void aring_loop_free(aring_loop *loop)
{
	if (!loop)
		return;
	assert(!loop->running && !loop->current);
	/* Workers finish what runs; then no other thread reaches the loop. */
	aring__offload_stop(loop);
	aring__post_unregister(loop);
	drain(loop);
	loop->be->ops->destroy(loop->be);
	aring__stack_pool_free(loop->stacks);
	aring__id_free(loop);
	free(loop);
}

ARING_API uint64_t aring_now_ns(aring_loop *loop)
{
	return loop->be->ops->now_ns(loop->be);
}

ARING_API struct io_uring *aring_ring(aring_loop *loop)
{
	return loop->be->ops->ring(loop->be);
}

ARING_API uint64_t aring_foreign_cqes(aring_loop *loop)
{
	return loop->foreign_cqes;
}

ARING_API enum aring_backend aring_loop_backend(aring_loop *loop)
{
	return loop->kind;
}

ARING_API int aring_op_supported(aring_loop *loop, unsigned opcode)
{
	return opcode < ARING_OP_LAST && loop->be->ops->has_op(loop->be, opcode);
}
