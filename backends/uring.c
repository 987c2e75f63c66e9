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
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define DEFAULT_SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

struct uring {
	struct aring__backend be;
	struct io_uring ring;
	uint64_t ops[(ARING_OP_LAST + 63) / 64];  /* probe bitmap */
	bool valgrind;  /* running under Valgrind: wait in poll(2), see below */
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

/*
 * Submit, then wait for a CQE in poll(2) rather than in io_uring_enter(2):
 * used under Valgrind only. Valgrind runs one thread at a time under its big
 * lock and drops the lock only around syscalls its wrapper marks as blocking
 * (SfMayBlock). Its wrapper for io_uring_enter (PRE(sys_io_uring_enter) in
 * coregrind/m_syswrap/syswrap-linux.c, Valgrind 3.19) does not, so a thread
 * waiting there keeps every other thread of the process stopped, and a
 * completion that another thread must cause (a write to the pipe the loop
 * reads, a wake from another loop) never comes: the process hangs, deaf to
 * SIGTERM. No Valgrind option helps (--fair-sched=yes only picks who gets the
 * lock next). poll(2) is marked blocking, and the ring fd polls readable while
 * the CQ ring holds CQEs or has overflowed ones or task work to flush (kernel
 * io_uring_poll() in io_uring/io_uring.c); a task work item queued for this
 * thread also ends the poll (task_work_add() with TWA_SIGNAL_NO_IPI, the
 * COOP_TASKRUN notify method, wakes it: __set_notify_signal()). The enter with
 * GETEVENTS runs that work and flushes the overflow list into the CQ ring.
 * A ring with IORING_SETUP_DEFER_TASKRUN is the exception: its task work is
 * queued on the ring, and io_req_local_work_add() wakes only a task waiting
 * in io_cqring_wait() (ctx->cq_wait_nr), so there the poll gives up after
 * DEFER_POLL_MS and the enter runs what has come.
 * It waits for one CQE (the core never asks for more). Returns the SQEs
 * submitted, as io_uring_submit_and_wait(), or -errno (-EINTR when a signal
 * interrupted the wait, which the core retries).
 */
#define DEFER_POLL_MS 10

static int uring_wait_valgrind(struct uring *u)
{
	struct pollfd pfd = { .fd = u->ring.ring_fd, .events = POLLIN };
	int ms = u->ring.flags & IORING_SETUP_DEFER_TASKRUN ? DEFER_POLL_MS : -1;
	int ret = io_uring_submit(&u->ring), r;

	while (ret >= 0 && !io_uring_cq_ready(&u->ring)) {
		if (poll(&pfd, 1, ms) < 0)
			return -errno;
		r = io_uring_enter(u->ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL);
		if (r < 0)
			return r;
	}
	return ret;
}

static int uring_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct uring *u = to_uring(be);

	if (wait_nr && u->valgrind)
		return uring_wait_valgrind(u);
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

/* io_uring_register(2) itself: the kernel decides every result (io_uring/register.c). */
static int uring_register_rsrc(struct aring__backend *be, unsigned opcode, void *arg,
			       unsigned nr_args)
{
	long ret = syscall(__NR_io_uring_register, to_uring(be)->ring.ring_fd, opcode, arg, nr_args);

	return ret < 0 ? -errno : (int)ret;
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
	.register_rsrc = uring_register_rsrc,
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
	u->valgrind = RUNNING_ON_VALGRIND != 0;
	u->be.ops = &uring_ops;
	u->be.sq_entries = u->ring.sq.ring_entries;
	*out = &u->be;
	return 0;
}
