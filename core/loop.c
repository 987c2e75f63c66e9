/* SPDX-License-Identifier: MIT */
/* The loop: creation, teardown, time, the raw ring. Scheduling is in task.c. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"

/*
 * kernel io_uring/io_uring.c io_uring_allowed(): sysctl io_uring_disabled 2
 * refuses everyone, 1 everyone outside the io_uring_group (setup gives
 * -EPERM then, which the fallback catches too).
 */
static bool uring_disabled(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '2';
}

/* ARING_BACKEND for an AUTO loop: a backend, AUTO if unset, or -EINVAL. */
static int backend_from_env(void)
{
	const char *v = getenv("ARING_BACKEND");

	if (!v || !*v || !strcmp(v, "auto"))
		return ARING_BACKEND_AUTO;
	if (!strcmp(v, "uring"))
		return ARING_BACKEND_URING;
	if (!strcmp(v, "epoll"))
		return ARING_BACKEND_EPOLL;
	if (!strcmp(v, "sim"))
		return ARING_BACKEND_SIM;
	return -EINVAL;
}

/*
 * setup_flags, cq_entries and sq_thread_idle_ms on the soft ring (sim,
 * epoll). It runs every request inline at submit, as a kernel ring with
 * IORING_SETUP_SUBMIT_ALL whose task work always runs in time, so the flags
 * that only change who issues requests and when completions are posted
 * (SQPOLL, SQ_AFF, COOP_TASKRUN, TASKRUN_FLAG, SINGLE_ISSUER,
 * DEFER_TASKRUN, SUBMIT_ALL) and the CQ's size (CQSIZE, CLAMP) are
 * accepted and change nothing: its CQ stays twice the SQ, overflowing into
 * its list as the kernel's does (IORING_FEAT_NODROP). What a program could
 * not run unchanged on the kernel is refused as the kernel refuses it
 * (io_uring/io_uring.c io_uring_sanitise_params(), io_uring_fill_params(),
 * io_sq_offload_create() in io_uring/sqpoll.c), so a setup tested on the sim
 * is one the kernel takes. The other flags change the ABI or need hardware
 * the soft ring does not model (SQE128, CQE32, IOPOLL, NO_MMAP, ...):
 * -EINVAL. (The soft ring has 64-byte SQEs and 16-byte CQEs.)
 */
#define SOFT_SETUP_FLAGS                                                                      \
	(IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | \
	 IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |      \
	 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

static int soft_setup_check(const struct aring_loop_opts *o)
{
	unsigned f = o->setup_flags | (o->cq_entries ? IORING_SETUP_CQSIZE : 0);
	unsigned sq = ARING_DEFAULT_ENTRIES;

	if (f & ~SOFT_SETUP_FLAGS)
		return -EINVAL;
	if ((f & IORING_SETUP_SQ_AFF) && !(f & IORING_SETUP_SQPOLL))
		return -EINVAL;
	if ((f & IORING_SETUP_SQPOLL) &&
	    (f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((f & IORING_SETUP_TASKRUN_FLAG) &&
	    !(f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((f & IORING_SETUP_DEFER_TASKRUN) && !(f & IORING_SETUP_SINGLE_ISSUER))
		return -EINVAL;
	if (f & IORING_SETUP_CQSIZE) {
		if (o->entries)
			for (sq = 1; sq < o->entries; sq <<= 1)
				;
		if (!o->cq_entries)
			return -EINVAL;
		if (!(f & IORING_SETUP_CLAMP) &&
		    (o->cq_entries < sq || o->cq_entries > 2 * ARING_MAX_ENTRIES))
			return -EINVAL;
	}
	return 0;
}

/*
 * AUTO: io_uring, unless setup fails the way blocked or disabled io_uring
 * does (seccomp: -EPERM; a kernel without it: -ENOSYS; RLIMIT_MEMLOCK on
 * kernels before 5.12: -ENOMEM), then epoll. aring__auto_falls_back()
 * (core/backend.h) is that rule; the sim's profile (uring_errno) goes
 * through it too.
 */
static int auto_new(struct aring_loop_opts *o, aring_loop *loop, struct aring__backend **be)
{
	int ret = -EPERM;

	if (!uring_disabled()) {
		o->backend = ARING_BACKEND_URING;
		ret = aring__uring_new(o, be);
		if (!aring__auto_falls_back(ret))
			goto out;
	}
	o->backend = ARING_BACKEND_EPOLL;
	ret = soft_setup_check(o);
	if (ret == 0)
		ret = aring__epoll_new(o, be);
out:
	loop->kind = o->backend;
	return ret;
}

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
	if ((unsigned)opts->backend > ARING_BACKEND_EPOLL)
		return -EINVAL;
	if (opts->entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	if (opts->offload_threads > ARING_MAX_OFFLOAD_THREADS)
		return -EINVAL;
	if (opts->stack_size &&
	    (opts->stack_size < 16 * 1024 || opts->stack_size > ARING_MAX_STACK_SIZE))
		return -EINVAL;
	/* The kernel ignores sq_thread_idle without SQPOLL; aring refuses it on
	 * every backend, so that a forgotten flag is not silently a ring
	 * without its SQ thread. */
	if (opts->sq_thread_idle_ms && !(opts->setup_flags & IORING_SETUP_SQPOLL))
		return -EINVAL;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->discard.flags = ARING__OP_DISCARD;
	aring__timers_reset(loop);
	ret = aring__stack_pool_new(opts->stack_size ? opts->stack_size : ARING_DEFAULT_STACK_SIZE,
				    &loop->stacks);
	if (ret < 0)
		goto fail;
	/* An op with a timeout takes two SQ entries; an op never fails for
	 * want of room (DESIGN.md), so a ring has at least two. */
	o = *opts;
	if (o.entries == 1)
		o.entries = 2;
	if (o.backend == ARING_BACKEND_AUTO) {
		ret = backend_from_env();
		if (ret < 0)
			goto fail;
		o.backend = (enum aring_backend)ret;
	}
	if ((o.backend == ARING_BACKEND_SIM || o.backend == ARING_BACKEND_EPOLL) &&
	    (ret = soft_setup_check(&o)) < 0)
		goto fail;
	loop->kind = o.backend;
	switch (o.backend) {
	case ARING_BACKEND_URING:
		ret = aring__uring_new(&o, &loop->be);
		break;
	case ARING_BACKEND_SIM:
		ret = aring__sim_new(&o, &loop->be);
		break;
	case ARING_BACKEND_EPOLL:
		ret = aring__epoll_new(&o, &loop->be);
		break;
	default:
		ret = auto_new(&o, loop, &loop->be);
		break;
	}
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
	/* A sim loop standing in for epoll (io_uring unavailable) says so. */
	if (loop->kind == ARING_BACKEND_SIM && aring__sim_as_epoll(loop->be))
		return ARING_BACKEND_EPOLL;
	return loop->kind;
}

ARING_API int aring_op_supported(aring_loop *loop, unsigned opcode)
{
	return opcode < ARING_OP_LAST && loop->be->ops->has_op(loop->be, opcode);
}
