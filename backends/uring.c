/* SPDX-License-Identifier: MIT */
/*
 * The real backend: the kernel's io_uring through liburing.
 *
 * Setup flags: with setup_flags == 0 the ring is made with
 * IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG
 * (one thread, no IPIs, completions flushed when the loop looks for them),
 * falling back to no flags on a kernel that rejects them. Other values are
 * passed to the kernel as they are.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

#define DEFAULT_SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

struct uring {
	struct aring__backend be;
	struct io_uring ring;
	uint64_t ops[(ARING_OP_LAST + 63) / 64];  /* probe bitmap */
};

static inline struct uring *to_uring(struct aring__backend *be)
{
	return (struct uring *)be;
}

static struct io_uring_sqe *uring_get_sqe(struct aring__backend *be)
{
	struct io_uring *ring = &to_uring(be)->ring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/* Zeroed: 64 bytes, or 128 on an IORING_SETUP_SQE128 ring. */
	if (sqe)
		memset(sqe, 0, (ring->flags & IORING_SETUP_SQE128) ? 2 * sizeof(*sqe) : sizeof(*sqe));
	return sqe;
}

static unsigned uring_sq_space(struct aring__backend *be)
{
	return io_uring_sq_space_left(&to_uring(be)->ring);
}

static unsigned uring_sq_ready(struct aring__backend *be)
{
	return io_uring_sq_ready(&to_uring(be)->ring);
}

static int uring_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct uring *u = to_uring(be);

	if (wait_nr)
		return io_uring_submit_and_wait(&u->ring, wait_nr);
	return io_uring_submit(&u->ring);
}

static unsigned uring_peek(struct aring__backend *be, struct io_uring_cqe **cqes, unsigned max)
{
	return io_uring_peek_batch_cqe(&to_uring(be)->ring, cqes, max);
}

static void uring_advance(struct aring__backend *be, unsigned n)
{
	if (n)
		io_uring_cq_advance(&to_uring(be)->ring, n);
}

static uint64_t uring_now_ns(struct aring__backend *be)
{
	struct timespec ts;

	(void)be;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool uring_has_op(struct aring__backend *be, unsigned opcode)
{
	struct uring *u = to_uring(be);

	return opcode < ARING_OP_LAST && (u->ops[opcode / 64] >> (opcode % 64) & 1);
}

static struct io_uring *uring_ring(struct aring__backend *be)
{
	return &to_uring(be)->ring;
}

static void uring_destroy(struct aring__backend *be)
{
	struct uring *u = to_uring(be);

	io_uring_queue_exit(&u->ring);
	free(u);
}

static const struct aring__backend_ops uring_ops = {
	.name = "uring",
	.get_sqe = uring_get_sqe,
	.sq_space = uring_sq_space,
	.sq_ready = uring_sq_ready,
	.submit = uring_submit,
	.peek = uring_peek,
	.advance = uring_advance,
	.now_ns = uring_now_ns,
	.has_op = uring_has_op,
	.ring = uring_ring,
	.destroy = uring_destroy,
};

int aring__uring_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	struct uring *u = calloc(1, sizeof(*u));
	unsigned entries = opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct io_uring_probe *probe;
	int ret, i;

	if (!u)
		return -ENOMEM;
	if (opts->setup_flags) {
		ret = io_uring_queue_init(entries, &u->ring, opts->setup_flags);
	} else {
		ret = io_uring_queue_init(entries, &u->ring, DEFAULT_SETUP_FLAGS);
		if (ret == -EINVAL)
			ret = io_uring_queue_init(entries, &u->ring, 0);
	}
	if (ret < 0) {
		free(u);
		return ret;
	}
	probe = io_uring_get_probe_ring(&u->ring);
	if (probe) {
		for (i = 0; i < probe->ops_len && i < ARING_OP_LAST; i++)
			if (probe->ops[i].flags & IO_URING_OP_SUPPORTED)
				u->ops[i / 64] |= 1ull << (i % 64);
		io_uring_free_probe(probe);
	}
	u->be.ops = &uring_ops;
	u->be.sq_entries = u->ring.sq.ring_entries;
	*out = &u->be;
	return 0;
}
